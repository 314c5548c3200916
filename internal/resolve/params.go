// Package resolve binds a run to its Task: it checks and merges params with
// their defaults, builds the values $(...) references resolve to, and returns
// the Task with every reference substituted. It is pure; its errors name the
// field at fault and become the run's InvalidSpec message.
package resolve

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Bound is the outcome of binding a run's params to a spec.
type Bound struct {
	// Values holds every param's value: declared ones (the run's, else the
	// default) and implicit ones.
	Values map[string]windlassv1.ParamValue
	// Implicit are the params an embedded spec takes without declaring them,
	// each declared by its value's type (Tekton's propagated params), in the
	// run's order.
	Implicit []windlassv1.ParamSpec
	// Unused are the params a referenced spec does not declare: ignored, as
	// Tekton does, and reported by UnusedMessage.
	Unused []string
}

// BindParams checks given params against those a kind (Task, Pipeline)
// declares and returns every declared param's value: the given one, else the
// default. A param the spec does not declare is implicitly declared by its
// value's type when the spec is embedded in the run, and ignored (listed in
// Unused) when the spec is referenced.
func BindParams(kind string, embedded bool, decl []windlassv1.ParamSpec, given []windlassv1.Param) (Bound, error) {
	declared := make(map[string]windlassv1.ParamSpec, len(decl))
	for i, d := range decl {
		declared[d.Name] = d
		if d.Default != nil {
			// An object's default may give a subset of its keys: the run
			// gives the rest (checked below, once merged).
			if err := checkValue(fmt.Sprintf("the %s's spec.params[%d].default", kind, i), d, *d.Default, true); err != nil {
				return Bound{}, err
			}
		}
	}
	b := Bound{Values: make(map[string]windlassv1.ParamValue, len(decl))}
	for i, p := range given {
		d, ok := declared[p.Name]
		if !ok {
			if _, seen := b.Values[p.Name]; seen || slices.Contains(b.Unused, p.Name) {
				continue // given twice: the first wins
			}
			if embedded {
				b.Implicit = append(b.Implicit, windlassv1.ParamSpec{Name: p.Name, Type: p.Value.Type})
				b.Values[p.Name] = *p.Value.DeepCopy()
			} else {
				b.Unused = append(b.Unused, p.Name)
			}
			continue
		}
		field := fmt.Sprintf("spec.params[%d] (%s)", i, p.Name)
		v := p.Value
		if d.EffectiveType() == windlassv1.ParamTypeObject && d.Default != nil && v.Type == windlassv1.ParamTypeObject {
			v = mergeObject(*d.Default, v) // keys the run leaves out keep their defaults
		}
		if err := checkValue(field, d, v, false); err != nil {
			return Bound{}, err
		}
		b.Values[p.Name] = v
	}
	var missing []string
	for _, d := range decl {
		if _, ok := b.Values[d.Name]; ok {
			continue
		}
		if d.Default == nil {
			missing = append(missing, d.Name)
			continue
		}
		if err := checkValue(fmt.Sprintf("spec.params: param %q is not set by the run and its default", d.Name), d, *d.Default, false); err != nil {
			return Bound{}, err
		}
		b.Values[d.Name] = *d.Default.DeepCopy()
	}
	if len(missing) > 0 {
		return Bound{}, fmt.Errorf("spec.params: %s required by the %s (no default) but not set by the run", quoteList(missing), kind)
	}
	return b, nil
}

// UnusedMessage is the UnusedParams event's text: the params a referenced
// spec ignores and what it declares, so a misspelt param still shows.
// Empty when nothing was ignored.
func UnusedMessage(kind, name string, decl []windlassv1.ParamSpec, unused []string) string {
	if len(unused) == 0 {
		return ""
	}
	return fmt.Sprintf("The %s %q declares no param %s, so the run's value is ignored (declared: %s).",
		kind, name, quoteList(unused), names(decl))
}

// checkValue checks v against its declaration: type, enum, object keys
// (all declared keys unless partial: an object default may give a subset).
func checkValue(field string, d windlassv1.ParamSpec, v windlassv1.ParamValue, partial bool) error {
	want := d.EffectiveType()
	if v.Type != want {
		return fmt.Errorf("%s: param %q is declared as %s but the value is %s", field, d.Name, want, article(v.Type))
	}
	if len(d.Enum) > 0 && v.Type == windlassv1.ParamTypeString && !contains(d.Enum, v.StringVal) {
		return fmt.Errorf("%s: value %q of param %q is not one of its enum [%s]", field, v.StringVal, d.Name, strings.Join(d.Enum, ", "))
	}
	if v.Type == windlassv1.ParamTypeObject && !partial {
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
