package rollout

import (
	"strings"
	"testing"
)

func TestBlueGreenColors(t *testing.T) {
	for live, want := range map[string]string{"": Blue, Blue: Green, Green: Blue} {
		if got := NextColor(live); got != want {
			t.Errorf("NextColor(%q) = %q, want %q", live, got, want)
		}
	}
	if ColorName("web", Green) != "web-green" || PreviewName("web") != "web-preview" || CanaryName("web") != "web-canary" {
		t.Error("names")
	}
}

func TestCanaries(t *testing.T) {
	tests := []struct {
		replicas int32
		ratio    float64
		want     int32
	}{
		{4, 0.25, 1}, {4, 0.5, 2}, {3, 0.5, 2}, {10, 0.1, 1}, {10, 0.15, 2}, {1, 0.1, 1}, {0, 0.5, 1}, {2, 1, 2},
	}
	for _, tc := range tests {
		got, err := Canaries(tc.replicas, tc.ratio)
		if err != nil || got != tc.want {
			t.Errorf("Canaries(%d, %v) = %d, %v; want %d", tc.replicas, tc.ratio, got, err, tc.want)
		}
	}
	for _, bad := range []float64{0, -0.5, 1.5} {
		if _, err := Canaries(4, bad); err == nil || !strings.Contains(err.Error(), "canary ratio") {
			t.Errorf("Canaries(4, %v): want an error naming the ratio, got %v", bad, err)
		}
	}
}
