// Package pipeline is the PipelineRun engine, pure: from a run, its resolved
// pipeline, its existing TaskRuns and the time, it decides which TaskRuns to
// create or cancel and what the run's status is. It knows nothing of the API
// server, so table tests drive every path; the controller only reads, calls
// Plan and writes.
package pipeline

import (
	"regexp"
	"sort"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// resultRef matches $(tasks.T.results.R...) and $(finally.T.results.R...).
var resultRef = regexp.MustCompile(`\$\(\s*(tasks|finally)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.results\.([a-zA-Z_][a-zA-Z0-9_-]*)`)

// statusRef matches $(tasks.T.status) and $(tasks.status).
var statusRef = regexp.MustCompile(`\$\(\s*tasks\.(([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.)?status\s*\)`)

// ResultRef is one reference to another task's result.
type ResultRef struct {
	Section string // tasks or finally
	Task    string
	Result  string
}

// strings returns every string of a pipeline task that may hold references:
// its params, when expressions and matrix.
func taskStrings(pt *windlassv1.PipelineTask) []string {
	var out []string
	add := func(v windlassv1.ParamValue) { out = append(out, valueStrings(v)...) }
	for _, p := range pt.Params {
		add(p.Value)
	}
	for _, w := range pt.When {
		out = append(out, w.Input, w.CEL)
		out = append(out, w.Values...)
	}
	if pt.Matrix != nil {
		for _, p := range pt.Matrix.Params {
			add(p.Value)
		}
		for _, inc := range pt.Matrix.Include {
			for _, p := range inc.Params {
				add(p.Value)
			}
		}
	}
	return out
}

// ResultRefs are the results of other tasks pt references, in order, once each.
func ResultRefs(pt *windlassv1.PipelineTask) []ResultRef {
	var out []ResultRef
	seen := map[ResultRef]bool{}
	for _, s := range taskStrings(pt) {
		for _, m := range resultRef.FindAllStringSubmatch(s, -1) {
			r := ResultRef{Section: m[1], Task: m[2], Result: m[4]}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// usesStatus tells whether pt references $(tasks.T.status) or $(tasks.status).
func usesStatus(pt *windlassv1.PipelineTask) bool {
	for _, s := range taskStrings(pt) {
		if statusRef.MatchString(s) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
