// Package substitute expands $(...) references in run specs: params of every
// type, results, workspaces and context values. It is pure: it knows nothing
// of the API server, only the values it is given.
//
// A reference is $(root.rest) where root is one of the roots given to the
// Values (params, results, workspaces, context, ...); $(inputs.params.X) is
// read as $(params.X), as Tekton v1 does. Anything else in $(...)
// is left alone, so shell command substitution such as $(date +%s) in a script
// keeps working. A reference to a known root that names no value is an error
// naming the field it appeared in.
package substitute

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Values holds what references resolve to, keyed by their dotted path without
// the $( ): "params.revision", "results.digest.path", "context.taskRun.name".
type Values struct {
	Strings map[string]string
	Arrays  map[string][]string
	Objects map[string]map[string]string
	// Roots are the first path segments this Values answers for; a reference
	// under another root is not ours and is left as it is.
	Roots []string
	// Defer, when set, names references under Roots that a later stage
	// resolves: they are left as they are (e.g. a pipeline leaves
	// $(workspaces.<w>.path) in a task's params to the TaskRun).
	Defer func(path string) bool
}

// Error is a reference that cannot be resolved, with the field it was in.
type Error struct {
	Field     string // e.g. spec.steps[0].args[1]
	Reference string // e.g. $(params.nope)
	Reason    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Field, e.Reference, e.Reason)
}

// refPattern finds $(...) without nested parentheses.
var refPattern = regexp.MustCompile(`\$\(([^()]*)\)`)

// ref is one parsed reference: key is the value's path, index is "" (whole
// value), "*" (every element) or a number, member is an object key.
type ref struct {
	key    string
	index  string
	member string
}

// Canonical is a reference's path as Values keys it: the spelling Tekton v1
// still accepts for params, inputs.params.X, is params.X.
func Canonical(expr string) string {
	if rest, ok := strings.CutPrefix(expr, "inputs."); ok && (strings.HasPrefix(rest, "params.") || strings.HasPrefix(rest, "params[")) {
		return rest
	}
	return expr
}

// parse turns the inside of $(...) into a ref. ok is false when it is not ours.
func (v Values) parse(expr string) (ref, bool, error) {
	expr = Canonical(strings.TrimSpace(expr))
	path, err := normalize(expr)
	if err != nil {
		root, _, _ := strings.Cut(expr, ".")
		root, _, _ = strings.Cut(root, "[")
		if v.hasRoot(root) {
			return ref{}, true, err
		}
		return ref{}, false, nil
	}
	root, _, _ := strings.Cut(path, ".")
	if !v.hasRoot(root) || v.Defer != nil && v.Defer(path) {
		return ref{}, false, nil
	}
	r := ref{key: path}
	if i := strings.LastIndex(path, "["); i >= 0 && strings.HasSuffix(path, "]") {
		r.key, r.index = path[:i], path[i+1:len(path)-1]
		if r.index != "*" {
			if n, err := strconv.Atoi(r.index); err != nil || n < 0 {
				return r, true, fmt.Errorf("index %q is not * or a non-negative number", r.index)
			}
		}
	}
	if _, ok := v.Strings[r.key]; ok {
		return r, true, nil
	}
	if _, ok := v.Arrays[r.key]; ok {
		return r, true, nil
	}
	if _, ok := v.Objects[r.key]; ok {
		return r, true, nil
	}
	// params.obj.key: a member of an object value.
	if i := strings.LastIndex(r.key, "."); i > 0 && r.index == "" {
		if _, ok := v.Objects[r.key[:i]]; ok {
			return ref{key: r.key[:i], member: r.key[i+1:]}, true, nil
		}
	}
	return r, true, fmt.Errorf("no such value")
}

// normalize rewrites bracket names (params["a.b"], params['x']) into dots and
// keeps a trailing [N] or [*] index.
func normalize(expr string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '[' && i+1 < len(expr) && (expr[i+1] == '"' || expr[i+1] == '\''):
			q := expr[i+1]
			end := strings.IndexByte(expr[i+2:], q)
			if end < 0 || i+2+end+1 >= len(expr) || expr[i+2+end+1] != ']' {
				return "", fmt.Errorf("unterminated name in %q", expr)
			}
			b.WriteByte('.')
			b.WriteString(expr[i+2 : i+2+end])
			i += end + 4
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 || i+end != len(expr)-1 {
				return "", fmt.Errorf("an index must end the reference in %q", expr)
			}
			b.WriteString(expr[i:])
			i = len(expr)
		case c == ' ' || c == '\t' || c == '$' || c == '(' || c == ')':
			return "", fmt.Errorf("not a reference")
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// Paths lists where the references under root in s point, without root and
// without a trailing index: $(params.a), $(params["a.b"][*]) and
// $(params.obj.key) give "a", "a.b" and "obj.key".
func Paths(root, s string) []string {
	var out []string
	for _, m := range refPattern.FindAllStringSubmatch(s, -1) {
		p, err := normalize(Canonical(strings.TrimSpace(m[1])))
		if err != nil {
			continue
		}
		rest, ok := strings.CutPrefix(p, root+".")
		if !ok || rest == "" {
			continue
		}
		if i := strings.LastIndex(rest, "["); i >= 0 && strings.HasSuffix(rest, "]") {
			rest = rest[:i]
		}
		out = append(out, rest)
	}
	return out
}

func (v Values) hasRoot(root string) bool {
	for _, r := range v.Roots {
		if r == root {
			return true
		}
	}
	return false
}

// String expands every reference in s, which is a scalar field: a reference
// must resolve to a string (a string value, an array element, an object member).
func (v Values) String(field, s string) (string, error) {
	if !strings.Contains(s, "$(") {
		return s, nil
	}
	var firstErr error
	out := refPattern.ReplaceAllStringFunc(s, func(m string) string {
		if firstErr != nil {
			return m
		}
		r, ours, err := v.parse(m[2 : len(m)-1])
		if !ours {
			return m
		}
		if err == nil {
			var val string
			if val, err = v.scalar(r); err == nil {
				return val
			}
		}
		firstErr = &Error{Field: field, Reference: m, Reason: err.Error()}
		return m
	})
	return out, firstErr
}

func (v Values) scalar(r ref) (string, error) {
	if s, ok := v.Strings[r.key]; ok {
		if r.index != "" {
			return "", fmt.Errorf("a string value cannot be indexed")
		}
		return s, nil
	}
	if a, ok := v.Arrays[r.key]; ok {
		switch r.index {
		case "":
			return "", fmt.Errorf("an array value needs [*] (as a whole list item) or [N]")
		case "*":
			return "", fmt.Errorf("[*] expands an array only as a whole item of a list field (command, args)")
		}
		n, _ := strconv.Atoi(r.index)
		if n >= len(a) {
			return "", fmt.Errorf("index %d is out of range: the array has %d items", n, len(a))
		}
		return a[n], nil
	}
	o := v.Objects[r.key]
	if r.member == "" {
		return "", fmt.Errorf("an object value needs a key: $(%s.KEY)", r.key)
	}
	val, ok := o[r.member]
	if !ok {
		return "", fmt.Errorf("the object has no key %q (keys: %s)", r.member, strings.Join(sortedKeys(o), ", "))
	}
	return val, nil
}

// List expands a list field: an item that is exactly $(x[*]) of an array value
// becomes that array's items; every other item is expanded as a String.
func (v Values) List(field string, items []string) ([]string, error) {
	if items == nil {
		return nil, nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		t := strings.TrimSpace(item)
		// A whole item that is one array reference, $(x[*]) or (as Tekton
		// also takes) $(x), becomes the array's elements.
		if strings.HasPrefix(t, "$(") && strings.HasSuffix(t, ")") && strings.Count(t, "$(") == 1 {
			r, ours, err := v.parse(t[2 : len(t)-1])
			if ours {
				if err != nil {
					return nil, &Error{Field: f, Reference: t, Reason: err.Error()}
				}
				if a, ok := v.Arrays[r.key]; ok && (r.index == "*" || r.index == "") && r.member == "" {
					out = append(out, a...)
					continue
				}
				if r.index == "*" {
					return nil, &Error{Field: f, Reference: t, Reason: "[*] needs an array value"}
				}
			}
		}
		s, err := v.String(f, item)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
