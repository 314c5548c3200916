package names

import (
	"strings"
	"testing"
)

func TestFit(t *testing.T) {
	long := strings.Repeat("a", 70)
	for _, tc := range []struct {
		base, suffix string
		max          int
		want         string
	}{
		{"run", "-pod", 63, "run-pod"},
		{long, "", 63, long[:54] + "-" + Fit(long, "", 63)[55:]},
		{strings.Repeat("b", 58) + "--x", "-pod", 63, ""},
	} {
		got := Fit(tc.base, tc.suffix, tc.max)
		if len(got) > tc.max || !strings.HasSuffix(got, tc.suffix) {
			t.Errorf("Fit(%q, %q, %d) = %q: longer than max or lost its suffix", tc.base, tc.suffix, tc.max, got)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("Fit(%q, %q, %d) = %q, want %q", tc.base, tc.suffix, tc.max, got, tc.want)
		}
	}
	if Fit(long+"1", "", 63) == Fit(long+"2", "", 63) {
		t.Error("names that differ only after the cut must stay distinct")
	}
}
