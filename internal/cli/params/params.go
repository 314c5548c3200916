// Package params turns the -p and -w flags of `windlass start` into the
// params and workspace bindings of a run, checked against what the Pipeline
// or Task declares. It is pure: files are read through a function given to it.
//
// Param syntax (the same text goes in `windlass start --help`):
//
//	-p name=value            a string
//	-p list=a,b,c            an array param: the value split at commas
//	-p list=a -p list=b      an array param, one item per flag
//	-p 'list=["a,1","b"]'    an array param as a JSON array (items with commas)
//	-p obj.key=value         one key of an object param (repeat for more keys)
//	-p 'obj={"k":"v"}'       an object param as a JSON object
//
// Without declared params (an inline spec that declares none) a repeated
// name is an array and everything else a string.
package params

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Options tune Bind.
type Options struct {
	// UseDefaults lets declared params with a default be left out; without
	// it every declared param must be given (as `tkn --use-param-defaults`).
	UseDefaults bool
	// Given are params already set (a run read with -f): they count as given
	// and the flags replace them.
	Given []windlassv1.Param
}

// Bind parses the -p flags against the declared params. An error names the
// flag and says what is wrong.
func Bind(flags []string, declared []windlassv1.ParamSpec, o Options) ([]windlassv1.Param, error) {
	decl := make(map[string]windlassv1.ParamSpec, len(declared))
	for _, d := range declared {
		decl[d.Name] = d
	}
	var order []string
	values := map[string]*windlassv1.ParamValue{}
	for _, p := range o.Given {
		order = append(order, p.Name)
		values[p.Name] = p.Value.DeepCopy()
	}
	fromFlag := map[string]bool{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("-p %q: want NAME=VALUE (or OBJECT.KEY=VALUE)", f)
		}
		key := ""
		spec, known := decl[name]
		if !known {
			if obj, k, dotted := strings.Cut(name, "."); dotted && decl[obj].EffectiveType() == windlassv1.ParamTypeObject && decl[obj].Name != "" {
				name, key, spec, known = obj, k, decl[obj], true
			}
		}
		if !known && len(declared) > 0 {
			return nil, fmt.Errorf("-p %q: the pipeline or task declares no param %q (it declares %s)", f, name, names(declared))
		}
		if _, seen := values[name]; !seen {
			order = append(order, name)
		}
		v, err := assign(f, spec, known, key, value, values[name], fromFlag[name])
		if err != nil {
			return nil, err
		}
		values[name] = v
		fromFlag[name] = true
	}
	var missing, defaulted []string
	for _, d := range declared {
		if _, ok := values[d.Name]; ok {
			continue
		}
		switch {
		case d.Default == nil:
			missing = append(missing, d.Name)
		case !o.UseDefaults:
			defaulted = append(defaulted, d.Name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("param %s has no default: give it with -p NAME=VALUE", strings.Join(missing, ", "))
	}
	if len(defaulted) > 0 {
		return nil, fmt.Errorf("param %s not given: give it with -p NAME=VALUE, or pass --use-param-defaults to use the declared default", strings.Join(defaulted, ", "))
	}
	out := make([]windlassv1.Param, 0, len(order))
	for _, n := range order {
		out = append(out, windlassv1.Param{Name: n, Value: *values[n]})
	}
	return out, nil
}

// assign applies one flag to the param's value so far.
func assign(flag string, spec windlassv1.ParamSpec, declared bool, key, value string, prev *windlassv1.ParamValue, again bool) (*windlassv1.ParamValue, error) {
	typ := spec.EffectiveType()
	if !declared {
		// Undeclared: a repeated name is an array.
		if again {
			if prev.Type == windlassv1.ParamTypeString {
				return windlassv1.NewArray(prev.StringVal, value), nil
			}
			return windlassv1.NewArray(append(prev.ArrayVal, value)...), nil
		}
		return windlassv1.NewString(value), nil
	}
	switch typ {
	case windlassv1.ParamTypeArray:
		items, err := arrayItems(flag, value)
		if err != nil {
			return nil, err
		}
		if again {
			items = append(slices.Clone(prev.ArrayVal), items...)
		}
		return windlassv1.NewArray(items...), nil
	case windlassv1.ParamTypeObject:
		obj := map[string]string{}
		if again {
			obj = prev.ObjectVal
		}
		if key == "" {
			if !strings.HasPrefix(strings.TrimSpace(value), "{") {
				return nil, fmt.Errorf("-p %q: %s is an object param: give its keys as -p %s.KEY=VALUE or a JSON object", flag, spec.Name, spec.Name)
			}
			var m map[string]string
			if err := json.Unmarshal([]byte(value), &m); err != nil {
				return nil, fmt.Errorf("-p %q: not a JSON object of strings: %w", flag, err)
			}
			for k, v := range m {
				obj[k] = v
			}
		} else {
			obj[key] = value
		}
		for k := range obj {
			if _, ok := spec.Properties[k]; len(spec.Properties) > 0 && !ok {
				return nil, fmt.Errorf("-p %q: object param %s has no key %q (its keys: %s)", flag, spec.Name, k, strings.Join(sortedKeys(spec.Properties), ", "))
			}
		}
		return windlassv1.NewObject(obj), nil
	default:
		if again {
			return nil, fmt.Errorf("-p %q: %s is a string param and is given twice", flag, spec.Name)
		}
		if key != "" {
			return nil, fmt.Errorf("-p %q: %s is a string param, not an object", flag, spec.Name)
		}
		if len(spec.Enum) > 0 && !slices.Contains(spec.Enum, value) {
			return nil, fmt.Errorf("-p %q: %s must be one of %s", flag, spec.Name, strings.Join(spec.Enum, ", "))
		}
		return windlassv1.NewString(value), nil
	}
}

func arrayItems(flag, value string) ([]string, error) {
	if strings.HasPrefix(strings.TrimSpace(value), "[") {
		var items []string
		if err := json.Unmarshal([]byte(value), &items); err != nil {
			return nil, fmt.Errorf("-p %q: not a JSON array of strings: %w", flag, err)
		}
		return items, nil
	}
	if value == "" {
		return []string{}, nil
	}
	return strings.Split(value, ","), nil
}

func names(declared []windlassv1.ParamSpec) string {
	out := make([]string, 0, len(declared))
	for _, d := range declared {
		out = append(out, d.Name)
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
