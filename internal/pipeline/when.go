package pipeline

import (
	"fmt"
	"slices"
	"sync"

	"github.com/google/cel-go/cel"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// celEnv has no variables: a when expression's references are substituted
// into it first, so `'$(params.branch)' == 'main'` is a plain expression.
var celEnv = sync.OnceValues(func() (*cel.Env, error) { return cel.NewEnv() })

// evalWhen substitutes and evaluates a task's when expressions. It returns
// the expressions as evaluated (references replaced), whether all hold, and
// an error for an expression that cannot be evaluated (the run's InvalidSpec)
// or a reference that cannot be resolved (*substitute.Error).
func evalWhen(field string, when []windlassv1.WhenExpression, v substitute.Values) ([]windlassv1.WhenExpression, bool, error) {
	if len(when) == 0 {
		return nil, true, nil
	}
	out := make([]windlassv1.WhenExpression, len(when))
	all := true
	for i, w := range when {
		f := fmt.Sprintf("%s.when[%d]", field, i)
		var err error
		e := windlassv1.WhenExpression{Operator: w.Operator}
		if w.CEL != "" {
			if e.CEL, err = v.String(f+".cel", w.CEL); err != nil {
				return nil, false, err
			}
			ok, err := evalCEL(f+".cel", e.CEL)
			if err != nil {
				return nil, false, err
			}
			all = all && ok
			out[i] = e
			continue
		}
		if e.Input, err = v.String(f+".input", w.Input); err != nil {
			return nil, false, err
		}
		if e.Values, err = v.List(f+".values", w.Values); err != nil {
			return nil, false, err
		}
		in := slices.Contains(e.Values, e.Input)
		all = all && (in == (w.Operator == windlassv1.WhenIn))
		out[i] = e
	}
	return out, all, nil
}

func evalCEL(field, expr string) (bool, error) {
	env, err := celEnv()
	if err != nil {
		return false, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return false, fmt.Errorf("%s: %q does not compile: %w", field, expr, iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return false, fmt.Errorf("%s: %q evaluates to %s, not a boolean", field, expr, ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(1_000_000))
	if err != nil {
		return false, fmt.Errorf("%s: %q: %w", field, expr, err)
	}
	val, _, err := prg.Eval(cel.NoVars())
	if err != nil {
		return false, fmt.Errorf("%s: %q: %w", field, expr, err)
	}
	b, ok := val.Value().(bool)
	if !ok {
		return false, fmt.Errorf("%s: %q evaluates to %v, not a boolean", field, expr, val)
	}
	return b, nil
}
