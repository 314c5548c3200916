package lint

import (
	"context"
	"github.com/windlass-dev/windlass/test/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
)

// TestBad lints every file under testdata/bad on its own (many are samples
// of test/integration/corpus, whose "# want:" line names what the API server
// or the controller says) and compares all problems with bad.golden.
func TestBad(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	var out strings.Builder
	for _, f := range files {
		probs, err := Paths(context.Background(), []string{f})
		if err != nil {
			t.Fatal(err)
		}
		if len(probs) == 0 {
			t.Errorf("%s: no problem found", f)
		}
		want := wantLine(t, f)
		found := false
		for _, p := range probs {
			out.WriteString(p.String() + "\n")
			found = found || strings.Contains(p.String(), want)
		}
		if !found {
			t.Errorf("%s: no problem says %q", f, want)
		}
	}
	checkGolden(t, "testdata/bad.golden", out.String())
}

// wantLine is what a bad file's "# want:" line expects (without the corpus'
// leading reason word), or "" when it has none.
func wantLine(t *testing.T, file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if w, ok := strings.CutPrefix(l, "# want: "); ok {
			_, rest, _ := strings.Cut(w, " ")
			return rest
		}
	}
	return ""
}

// TestGood lints the catalog's Tasks and Pipelines and the samples: no problem.
func TestGood(t *testing.T) {
	files, _ := filepath.Glob("../../catalog/*/*/*.yaml")
	samples, _ := filepath.Glob("../../config/samples/demo-*.yaml")
	files = append(files, samples...)
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	probs, err := Paths(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("%s", p)
	}
}

func TestSplitField(t *testing.T) {
	for in, want := range map[string][3]string{
		"spec.pipelineSpec.tasks[0] (a).matrix.params[1] (x): needs an array": {"spec.pipelineSpec.tasks[0].matrix.params[1]", "a,x", "needs an array"},
		"spec.params: \"x\" required":                                         {"spec.params", "", "\"x\" required"},
		"spec.steps[0].script: $(params.nope): no such value":                 {"spec.steps[0].script", "", "$(params.nope): no such value"},
		"the Task's spec.params[0].default: bad":                              {"", "", "the Task's spec.params[0].default: bad"},
		"spec is odd":                                                         {"", "", "spec is odd"},
	} {
		path, names, msg := splitField(in)
		if got := [3]string{path, strings.Join(names, ","), msg}; got != want {
			t.Errorf("splitField(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLine(t *testing.T) {
	var doc yamlv3.Node
	src := "kind: X\nspec:\n  steps:\n  - name: a\n  - name: b\n    env:\n      k: v\n"
	if err := yamlv3.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"": 1, "kind": 1, "spec": 2, "spec.steps[1]": 5, "spec.steps[1].name": 5, "spec.steps[1].env[k]": 7,
		"spec.steps[1].env.k": 7, "spec.steps[7].name": 3, "spec.nothing": 2, "metadata.name": 1,
	} {
		if got := Line(&doc, path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
}

// TestPlaceholders: a lone Task or Pipeline is checked with made-up values
// for its required params; they must not make problems of their own.
func TestPlaceholders(t *testing.T) {
	src := `apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: t}
spec:
  params: [{name: mode}, {name: list, type: array}, {name: env, enum: [dev, prod]}]
  steps:
  - image: busybox
    onError: $(params.mode)
    command: [echo, "$(params.list[2])", "$(params.env)"]
`
	objs, probs := Read("t.yaml", []byte(src))
	probs = append(probs, Objects(context.Background(), objs)...)
	for _, p := range probs {
		t.Errorf("%s", p)
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	golden.Check(t, path, []byte(got))
}
