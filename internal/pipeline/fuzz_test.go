package pipeline

import (
	"strings"
	"testing"
	"time"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// FuzzWhenCEL: any when expression, with a param substituted into it, is
// either a boolean or an error naming the field; never a panic, and never
// long (CEL's cost limit bounds evaluation).
func FuzzWhenCEL(f *testing.F) {
	for _, s := range []string{
		"true", "'$(params.branch)' == 'main'", "int('notanumber') > 1", "1 +", "'yes'", "[1,2,3].all(x, x > 0)",
		"[1,2,3].map(x, [1,2,3].map(y, x*y)).size() > 2", "'$(params.branch)'.matches('^ma')", "size('$(params.branch)') > 100",
		"1/0 == 1", "$(params.nope) == 1", "'a' + '$(params.branch)' in ['amain']", "duration('1h') > duration('30m')",
	} {
		f.Add(s, "main")
	}
	f.Fuzz(func(t *testing.T, expr, branch string) {
		v := substitute.Values{Strings: map[string]string{"params.branch": branch}, Roots: []string{"params"}}
		start := time.Now()
		_, _, err := evalWhen("spec.tasks[0]", []windlassv1.WhenExpression{{CEL: expr}}, v)
		if err != nil && !strings.HasPrefix(err.Error(), "spec.tasks[0].when[0].cel") {
			t.Fatalf("%q: error %q does not name the field", expr, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%q took %s", expr, d)
		}
	})
}
