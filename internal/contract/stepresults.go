package contract

import (
	"regexp"
	"strconv"
)

// StepResultsDir holds the steps' own results (Tekton's step results):
// step S writes its result R to StepResultPath(S, R), $(step.results.R.path).
const StepResultsDir = RunDir + "/step-results"

// StepResultDir is the directory of step's results (step is the step's name,
// unnamed-<i> for an unnamed one).
func StepResultDir(step string) string { return StepResultsDir + "/" + step }

// StepResultPath is the file step writes its result to.
func StepResultPath(step, result string) string { return StepResultDir(step) + "/" + result }

// StepResultRef is one $(steps.<step>.results.<result>...) reference, which
// the entrypoint of a later step replaces with the value the step wrote:
// the whole value, an array's items ([*], only as a whole command line
// item), an array's item [N], or an object's key (.KEY).
type StepResultRef struct {
	// Text is the reference as written.
	Text         string
	Step, Result string
	// Star is [*]; Index is [N] (-1 when none); Key is .KEY.
	Star  bool
	Index int
	Key   string
}

// stepResultPattern matches $(steps.S.results.R), [*], [N] and .KEY.
var stepResultPattern = regexp.MustCompile(`\$\(\s*steps\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.results\.([a-zA-Z_][a-zA-Z0-9_-]*)(\[(\*|[0-9]+)\]|\.([^()\s]+))?\s*\)`)

// StepResultRefs lists the step result references in s.
func StepResultRefs(s string) []StepResultRef {
	var out []StepResultRef
	for _, m := range stepResultPattern.FindAllStringSubmatch(s, -1) {
		r := StepResultRef{Text: m[0], Step: m[1], Result: m[3], Index: -1, Key: m[6]}
		switch m[5] {
		case "":
		case "*":
			r.Star = true
		default:
			n, err := strconv.Atoi(m[5])
			if err != nil {
				continue // too large to be an index
			}
			r.Index = n
		}
		out = append(out, r)
	}
	return out
}
