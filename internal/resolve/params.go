// Package resolve binds a run to its Task: it checks and merges params with
// their defaults, builds the values $(...) references resolve to, and returns
// the Task with every reference substituted. It is pure; its errors name the
// field at fault and become the run's InvalidSpec message.
package resolve

import (
	"fmt"
	"sort"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Params checks the run's params against the Task's and returns every
// declared param's value: the run's, else the default.
func Params(decl []windlassv1.ParamSpec, given []windlassv1.Param) (map[string]windlassv1.ParamValue, error) {
	return BindParams("Task", decl, given)
}

// BindParams checks given params against those a kind (Task, Pipeline)
// declares and returns every declared param's value: the given one, else the
// default.
func BindParams(kind string, decl []windlassv1.ParamSpec, given []windlassv1.Param) (map[string]windlassv1.ParamValue, error) {
	declared := make(map[string]windlassv1.ParamSpec, len(decl))
	for i, d := range decl {
		declared[d.Name] = d
		if d.Default != nil {
			if err := checkValue(fmt.Sprintf("spec.params[%d].default", i), d, *d.Default); err != nil {
				return nil, err
			}
		}
	}
	out := make(map[string]windlassv1.ParamValue, len(decl))
	for i, p := range given {
		d, ok := declared[p.Name]
		if !ok {
			return nil, fmt.Errorf("params[%d]: the %s declares no param %q (declared: %s)", i, kind, p.Name, names(decl))
		}
		field := fmt.Sprintf("params[%d] (%s)", i, p.Name)
		v := p.Value
		if d.EffectiveType() == windlassv1.ParamTypeObject && d.Default != nil && v.Type == windlassv1.ParamTypeObject {
			v = mergeObject(*d.Default, v) // keys the run leaves out keep their defaults
		}
		if err := checkValue(field, d, v); err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	var missing []string
	for _, d := range decl {
		if _, ok := out[d.Name]; ok {
			continue
		}
		if d.Default == nil {
			missing = append(missing, d.Name)
			continue
		}
		out[d.Name] = *d.Default.DeepCopy()
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("params: %s required by the %s (no default) but not set by the run", quoteList(missing), kind)
	}
	return out, nil
}

// checkValue checks v against its declaration: type, enum, object keys.
func checkValue(field string, d windlassv1.ParamSpec, v windlassv1.ParamValue) error {
	want := d.EffectiveType()
	if v.Type != want {
		return fmt.Errorf("%s: param %q is declared as %s but the value is %s", field, d.Name, want, article(v.Type))
	}
	if len(d.Enum) > 0 && v.Type == windlassv1.ParamTypeString && !contains(d.Enum, v.StringVal) {
		return fmt.Errorf("%s: value %q of param %q is not one of its enum [%s]", field, v.StringVal, d.Name, strings.Join(d.Enum, ", "))
	}
	if v.Type == windlassv1.ParamTypeObject {
		var absent []string
		for k := range d.Properties {
			if _, ok := v.ObjectVal[k]; !ok {
				absent = append(absent, k)
			}
		}
		if len(absent) > 0 {
			sort.Strings(absent)
			return fmt.Errorf("%s: object param %q lacks the declared key(s) %s", field, d.Name, quoteList(absent))
		}
	}
	return nil
}

func mergeObject(def, given windlassv1.ParamValue) windlassv1.ParamValue {
	merged := map[string]string{}
	for k, v := range def.ObjectVal {
		merged[k] = v
	}
	for k, v := range given.ObjectVal {
		merged[k] = v
	}
	return *windlassv1.NewObject(merged)
}

func article(t windlassv1.ParamType) string {
	if t == windlassv1.ParamTypeArray || t == windlassv1.ParamTypeObject {
		return "an " + string(t)
	}
	return "a " + string(t)
}

func names(decl []windlassv1.ParamSpec) string {
	if len(decl) == 0 {
		return "none"
	}
	n := make([]string, len(decl))
	for i, d := range decl {
		n[i] = d.Name
	}
	return strings.Join(n, ", ")
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
