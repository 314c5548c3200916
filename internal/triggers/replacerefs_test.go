package triggers

import (
	"errors"
	"strings"
	"testing"
)

func TestReplaceRefs(t *testing.T) {
	// Replaces $(x) with "$(x)$(x)" to show an inserted value is not scanned
	// again; leaves any other $( alone.
	each := func(s string) func(int) (string, int, bool, error) {
		return func(start int) (string, int, bool, error) {
			if strings.HasPrefix(s[start:], "$(x)") {
				return "$(x)$(x)", start + 4, true, nil
			}
			if strings.HasPrefix(s[start:], "$(bad)") {
				return "", 0, true, errors.New("bad")
			}
			return "", 0, false, nil
		}
	}
	for _, tc := range []struct{ in, want, err string }{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "$(x)", want: "$(x)$(x)"},
		{in: "a$(x)b$(y)c$(x", want: "a$(x)$(x)b$(y)c$(x"},
		{in: "$($(x))", want: "$($(x)$(x))"},
		{in: "$(", want: "$("},
		{in: "ok $(x) then $(bad)", err: "bad"},
	} {
		got, err := replaceRefs(tc.in, each(tc.in))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("replaceRefs(%q): err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("replaceRefs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
