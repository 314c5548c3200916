package main

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want summary
	}{
		{"empty", nil, summary{}},
		{"one", ms(5), summary{N: 1, Min: 5 * time.Millisecond, Median: 5 * time.Millisecond, P90: 5 * time.Millisecond, Max: 5 * time.Millisecond}},
		{"odd unsorted", ms(30, 10, 20), summary{N: 3, Min: 10 * time.Millisecond, Median: 20 * time.Millisecond, P90: 30 * time.Millisecond, Max: 30 * time.Millisecond}},
		{"even", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), summary{N: 10, Min: time.Millisecond, Median: 5500 * time.Microsecond, P90: 9 * time.Millisecond, Max: 10 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.in); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
