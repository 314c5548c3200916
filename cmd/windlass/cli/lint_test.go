package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLintCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"lint", "../../../internal/lint/testdata/bad/903-task-deep-field.yaml"}, 2,
			"../../../internal/lint/testdata/bad/903-task-deep-field.yaml:13: spec.steps[1].script: $(params.missing): no such value\n"},
		{[]string{"lint", "../../../catalog/git-clone"}, 0, ""},
		{[]string{"lint"}, 2, ""},
		{[]string{"lint", "/nonexistent"}, 2, ""},
	} {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"windlass"}, tc.args...), &out, &errOut)
		if code != tc.code || out.String() != tc.out {
			t.Errorf("windlass %s: exit %d, stdout %q (stderr %q); want %d and %q", strings.Join(tc.args, " "), code, out.String(), errOut.String(), tc.code, tc.out)
		}
	}
}

func TestImportCommand(t *testing.T) {
	in := "../../../internal/cli/tektonimport/testdata/in/"
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout
	}{
		{[]string{"import", "--check", in}, 2, "v1-runs.yaml:12  PipelineRun  from-hub  unsupported  spec.pipelineRef.resolver"},
		{[]string{"import", in + "v1beta1-task.yaml"}, 0, "apiVersion: windlass.dev/v1alpha1\nkind: Task\n"},
		{[]string{"import", "-o", dir, in + "v1beta1-task.yaml"}, 0, ""},
		{[]string{"import", "../../../internal/lint/testdata/bad/903-task-deep-field.yaml"}, 2, ""},
		{[]string{"import"}, 2, ""},
	} {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"windlass"}, tc.args...), &out, &errOut)
		// the table's columns: compared with runs of spaces as one
		if code != tc.code || !strings.Contains(spaced(out.String()), spaced(tc.out)) {
			t.Errorf("windlass %s: exit %d, stdout %q (stderr %q); want %d and %q", strings.Join(tc.args, " "), code, out.String(), errOut.String(), tc.code, tc.out)
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, "v1beta1-task.yaml")); err != nil || !strings.Contains(string(data), "windlass.dev/pipeline: demo") {
		t.Errorf("-o wrote %q (%v)", data, err)
	}
}

func spaced(s string) string { return strings.Join(strings.Fields(s), " ") }
