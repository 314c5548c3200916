package triggers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

// Param is one template param a binding supplies.
type Param struct {
	// Name of the template param.
	Name string
	// Value is text with $(body...), $(header...) and $(extensions...) references.
	Value string
	// Source says where the param comes from, for messages, e.g.
	// `binding "github-push"` or `trigger "t" bindings[2]`.
	Source string
}

// BindParams resolves each param's value against the event. Two params with
// the same name is an error naming both sources; a reference that cannot be
// resolved is an error naming the param, its source and the reference.
func BindParams(params []Param, ev Event) (map[string]string, error) {
	out := make(map[string]string, len(params))
	source := make(map[string]string, len(params))
	for _, p := range params {
		if first, dup := source[p.Name]; dup {
			return nil, fmt.Errorf("param %q is bound twice: by %s and by %s", p.Name, first, p.Source)
		}
		source[p.Name] = p.Source
		v, err := Resolve(p.Value, ev)
		if err != nil {
			return nil, fmt.Errorf("param %q of %s: %w", p.Name, p.Source, err)
		}
		out[p.Name] = v
	}
	return out, nil
}

// ApplyTemplateParams completes the bound params with the template's
// defaults. The first result holds exactly the declared params. A declared
// param neither bound nor defaulted is an error naming it (all of them, when
// several are missing). Bound params the template does not declare are
// ignored, as Tekton does, and returned sorted in the second result so the
// caller can log them.
func ApplyTemplateParams(spec []triggersv1.ParamSpec, bound map[string]string) (map[string]string, []string, error) {
	out := make(map[string]string, len(spec))
	declared := make(map[string]bool, len(spec))
	var missing []string
	for _, ps := range spec {
		declared[ps.Name] = true
		if v, ok := bound[ps.Name]; ok {
			out[ps.Name] = v
			continue
		}
		if ps.Default != nil {
			out[ps.Name] = *ps.Default
			continue
		}
		missing = append(missing, ps.Name)
	}
	var ignored []string
	for name := range bound {
		if !declared[name] {
			ignored = append(ignored, name)
		}
	}
	sort.Strings(ignored)
	switch len(missing) {
	case 0:
		return out, ignored, nil
	case 1:
		return nil, ignored, fmt.Errorf("template param %q has no value: no binding supplies it and it has no default", missing[0])
	default:
		quoted := make([]string, len(missing))
		for i, m := range missing {
			quoted[i] = strconv.Quote(m)
		}
		return nil, ignored, fmt.Errorf("template params %s have no value: no binding supplies them and they have no default",
			strings.Join(quoted, ", "))
	}
}
