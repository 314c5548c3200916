package entrypoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeStepResult(t *testing.T, dir, step, result, value string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, step), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, step, result), []byte(value), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStepResults(t *testing.T) {
	dir := t.TempDir()
	writeStepResult(t, dir, "a", "str", "foo")
	writeStepResult(t, dir, "a", "list", `["image1", "image2", "image3"]`)
	writeStepResult(t, dir, "a", "obj", `{"IMAGE_URL":"ar.com", "IMAGE_DIGEST":"sha234"}`)
	writeStepResult(t, dir, "a", "bad", `not json`)
	tests := []struct {
		name             string
		command, environ []string
		wantCmd, wantEnv []string
		err              string
	}{
		{
			name:    "every form",
			command: []string{"echo", "$(steps.a.results.list[*])", "$(steps.a.results.list[0])", "x=$(steps.a.results.str)", "$(steps.a.results.obj.IMAGE_URL)"},
			environ: []string{"S=$(steps.a.results.str)-$(steps.a.results.obj.IMAGE_DIGEST)", "PLAIN=a=b", "SHELL=$(date)"},
			wantCmd: []string{"echo", "image1", "image2", "image3", "image1", "x=foo", "ar.com"},
			wantEnv: []string{"S=foo-sha234", "PLAIN=a=b", "SHELL=$(date)"},
		},
		{name: "unwritten result", command: []string{"$(steps.a.results.nope)"}, err: `argument 0: $(steps.a.results.nope): step "a" did not write its result "nope"`},
		{name: "star inside an item", command: []string{"x$(steps.a.results.list[*])"}, err: "can only be a whole command line item"},
		{name: "star in env", environ: []string{"L=$(steps.a.results.list[*])"}, err: "$L: $(steps.a.results.list[*]): an array's items"},
		{name: "index out of range", command: []string{"$(steps.a.results.list[3])"}, err: "index 3 is out of range: the array has 3 items"},
		{name: "missing key", command: []string{"$(steps.a.results.obj.nope)"}, err: `the object has no key "nope"`},
		{name: "not an array", command: []string{"$(steps.a.results.bad[0])"}, err: "the result is not a JSON array of strings"},
		{name: "not an object", command: []string{"$(steps.a.results.bad.k)"}, err: "the result is not a JSON object of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, env, err := StepResults(tt.command, tt.environ, dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCmd, cmd); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEnv, env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunSetsTaskResultsFromStepResults(t *testing.T) {
	f := newFixture(t)
	steps := filepath.Join(f.dir, "step-results")
	writeStepResult(t, steps, "a", "r1", "from a\n")
	writeStepResult(t, steps, "a", "r2", "ignored")
	f.opts.Command = []string{"sh", "-c", "echo -n own > " + filepath.Join(f.opts.ResultsDir, "own")}
	f.opts.Dirs = []string{f.opts.ResultsDir}
	f.opts.Results = []string{"fromstep", "own", "unwritten"}
	f.opts.ResultsFrom = []string{
		"fromstep=" + filepath.Join(steps, "a", "r1"),
		"own=" + filepath.Join(steps, "a", "r2"), // the step wrote it: kept
		"unwritten=" + filepath.Join(steps, "a", "nope"),
	}
	code, st, out := f.run(t)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	want := map[string]string{"fromstep": "from a\n", "own": "own"}
	if diff := cmp.Diff(want, st.Results); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
}
