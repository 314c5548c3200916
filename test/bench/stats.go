package main

import (
	"fmt"
	"sort"
	"time"
)

// summary holds the order statistics of one measured series.
type summary struct {
	N                     int
	Min, Median, P90, Max time.Duration
}

// summarize returns the order statistics of ds; the median of an even count is
// the mean of the two middle values. An empty series gives the zero summary.
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	p90 := s[(n*9+9)/10-1] // nearest rank
	return summary{N: n, Min: s[0], Median: med, P90: p90, Max: s[n-1]}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
