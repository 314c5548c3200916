package cli

import (
	"bytes"
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
