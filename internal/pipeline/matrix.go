package pipeline

import (
	"fmt"
	"regexp"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// wholeArrayRef is a value that is exactly one $(x[*]) reference.
var wholeArrayRef = regexp.MustCompile(`^\s*\$\(([^()]*)\[\*\]\)\s*$`)

// wholeRef is a value that is one reference without an index: $(x). Naming
// an array, it passes the whole array, as $(x[*]) does (Tekton takes both
// for a task's array result).
var wholeRef = regexp.MustCompile(`^\s*\$\(([^()\[\]]*)\)\s*$`)

// combination is one TaskRun's share of a matrix: params by name, in order.
type combination []windlassv1.Param

// combinations expands a matrix, its references already resolvable by v:
// every combination of the params' items (the first param varying fastest,
// as Tekton orders them), then each
// include either adds its extra params to the combinations it matches or, if
// it matches none, becomes a combination of its own. More than max is an error.
func combinations(field string, m *windlassv1.Matrix, v substitute.Values, max int) ([]combination, error) {
	var names []string
	var values [][]string
	for i, p := range m.Params {
		pv, err := substParam(v, fmt.Sprintf("%s.matrix.params[%d]", field, i), p.Value)
		if err != nil {
			return nil, err
		}
		if pv.Type != windlassv1.ParamTypeArray {
			return nil, fmt.Errorf("%s.matrix.params[%d] (%s): a matrix param needs an array value, got %s", field, i, p.Name, pv.Type)
		}
		names = append(names, p.Name)
		values = append(values, pv.ArrayVal)
	}
	var combos []combination
	if len(names) > 0 {
		total := 1
		for _, vs := range values {
			total *= len(vs)
			if total > max {
				return nil, fmt.Errorf("%s.matrix: more than %d combinations (the controller's --max-matrix-combinations)", field, max)
			}
		}
		for n := 0; n < total; n++ {
			c := make(combination, len(names))
			rest := n
			for i := range names {
				c[i] = windlassv1.Param{Name: names[i], Value: *windlassv1.NewString(values[i][rest%len(values[i])])}
				rest /= len(values[i])
			}
			combos = append(combos, c)
		}
	}
	isMatrixParam := map[string]bool{}
	for _, n := range names {
		isMatrixParam[n] = true
	}
	base := len(combos)
	for i, inc := range m.Include {
		var params combination
		for j, p := range inc.Params {
			s, err := v.String(fmt.Sprintf("%s.matrix.include[%d].params[%d]", field, i, j), p.Value.StringVal)
			if err != nil {
				return nil, err
			}
			params = append(params, windlassv1.Param{Name: p.Name, Value: *windlassv1.NewString(s)})
		}
		matched := false
		for k := 0; k < base; k++ {
			if matches(combos[k], params, isMatrixParam) {
				matched = true
				for _, p := range params {
					if !isMatrixParam[p.Name] && !has(combos[k], p.Name) {
						combos[k] = append(combos[k], p)
					}
				}
			}
		}
		if !matched {
			combos = append(combos, params)
		}
	}
	if len(combos) > max {
		return nil, fmt.Errorf("%s.matrix: %d combinations, more than %d (the controller's --max-matrix-combinations)", field, len(combos), max)
	}
	return combos, nil
}

// matches: every matrix param the include sets has the combination's value.
func matches(c, inc combination, isMatrixParam map[string]bool) bool {
	for _, p := range inc {
		if !isMatrixParam[p.Name] {
			continue
		}
		for _, q := range c {
			if q.Name == p.Name && q.Value.StringVal != p.Value.StringVal {
				return false
			}
		}
	}
	return true
}

func has(c combination, name string) bool {
	for _, p := range c {
		if p.Name == name {
			return true
		}
	}
	return false
}

// substParam resolves the references in a param value. A string that is
// exactly $(x[*]) of an array or object becomes that array or object.
func substParam(v substitute.Values, field string, pv windlassv1.ParamValue) (windlassv1.ParamValue, error) {
	switch pv.Type {
	case windlassv1.ParamTypeArray:
		items, err := v.List(field, pv.ArrayVal)
		if err != nil {
			return pv, err
		}
		return *windlassv1.NewArray(items...), nil
	case windlassv1.ParamTypeObject:
		out := map[string]string{}
		for _, k := range sortedKeys(pv.ObjectVal) {
			s, err := v.String(field+"."+k, pv.ObjectVal[k])
			if err != nil {
				return pv, err
			}
			out[k] = s
		}
		return *windlassv1.NewObject(out), nil
	}
	if m := wholeArrayRef.FindStringSubmatch(pv.StringVal); m != nil {
		if a, ok := v.Arrays[substitute.Canonical(m[1])]; ok {
			return *windlassv1.NewArray(a...), nil
		}
		if o, ok := v.Objects[m[1]]; ok {
			return *windlassv1.NewObject(o), nil
		}
	}
	if m := wholeRef.FindStringSubmatch(pv.StringVal); m != nil {
		if a, ok := v.Arrays[substitute.Canonical(strings.TrimSpace(m[1]))]; ok {
			return *windlassv1.NewArray(a...), nil
		}
	}
	s, err := v.String(field, pv.StringVal)
	if err != nil {
		return pv, err
	}
	return *windlassv1.NewString(s), nil
}
