// Package pipeline is the PipelineRun engine, pure: from a run, its resolved
// pipeline, its existing TaskRuns and the time, it decides which TaskRuns to
// create or cancel and what the run's status is. It knows nothing of the API
// server, so table tests drive every path; the controller only reads, calls
// Plan and writes.
package pipeline

import (
	"fmt"
	"regexp"
	"slices"
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

// taskString is a string of a pipeline task that may hold references, with
// where it is, relative to the task: params[0].value, when[1].values[2], ...
type taskString struct {
	field, s string
}

// taskFields returns every string of a pipeline task that may hold
// references: its params, when expressions and matrix. Fields are named only
// when named is set: the planner, which walks these on every reconcile, needs
// the strings alone.
func taskFields(pt *windlassv1.PipelineTask, named bool) []taskString {
	var out []taskString
	at := func(format string, a ...any) string {
		if !named {
			return ""
		}
		return fmt.Sprintf(format, a...)
	}
	add := func(field string, v windlassv1.ParamValue) {
		switch v.Type {
		case windlassv1.ParamTypeArray:
			for i, e := range v.ArrayVal {
				out = append(out, taskString{at("%s[%d]", field, i), e})
			}
		case windlassv1.ParamTypeObject:
			for _, k := range sortedKeys(v.ObjectVal) {
				out = append(out, taskString{at("%s.%s", field, k), v.ObjectVal[k]})
			}
		default:
			out = append(out, taskString{field, v.StringVal})
		}
	}
	for i, p := range pt.Params {
		add(at("params[%d].value", i), p.Value)
	}
	for i, w := range pt.When {
		out = append(out, taskString{at("when[%d].input", i), w.Input}, taskString{at("when[%d].cel", i), w.CEL})
		for j, v := range w.Values {
			out = append(out, taskString{at("when[%d].values[%d]", i, j), v})
		}
	}
	if pt.Matrix != nil {
		for i, p := range pt.Matrix.Params {
			add(at("matrix.params[%d].value", i), p.Value)
		}
		for i, inc := range pt.Matrix.Include {
			for j, p := range inc.Params {
				add(at("matrix.include[%d].params[%d].value", i, j), p.Value)
			}
		}
	}
	return out
}

// ResultRefs are the results of other tasks pt references, in order, once each.
func ResultRefs(pt *windlassv1.PipelineTask) []ResultRef {
	var out []ResultRef
	seen := map[ResultRef]bool{}
	for _, f := range taskFields(pt, false) {
		for _, m := range resultRef.FindAllStringSubmatch(f.s, -1) {
			r := ResultRef{Section: m[1], Task: m[2], Result: m[4]}
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// matrixRef matches $(tasks.T.matrix.length) and $(tasks.T.matrix.R.length).
var matrixRef = regexp.MustCompile(`\$\(\s*tasks\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.matrix\.`)

// matrixRefs are the tasks whose matrix lengths pt references: like a
// result, such a reference makes pt wait for the task.
func matrixRefs(pt *windlassv1.PipelineTask) []string {
	var out []string
	for _, f := range taskFields(pt, false) {
		for _, m := range matrixRef.FindAllStringSubmatch(f.s, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// usesStatus tells whether pt references $(tasks.T.status) or $(tasks.status).
func usesStatus(pt *windlassv1.PipelineTask) bool {
	for _, f := range taskFields(pt, false) {
		if statusRef.MatchString(f.s) {
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
