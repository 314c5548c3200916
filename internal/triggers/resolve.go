package triggers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The roots Resolve answers for. Any other $(...) is left as it is.
const (
	rootBody       = "body"
	rootHeader     = "header"
	rootExtensions = "extensions"
)

// step is one step of a reference's path: a field (key) or a list index.
type step struct {
	key     string
	index   int
	isIndex bool
}

// reference is one parsed $(root.path).
type reference struct {
	text  string // as written, e.g. $(body.commits[0].id)
	root  string
	steps []step
}

// Resolve substitutes every $(body...), $(header...) and $(extensions...)
// reference in s.
//
//   - $(body) is the whole body; $(body.a.b), $(body.list[0]) and
//     $(body.a["k.with.dots"]) (or ['k']) walk it.
//   - $(header) is all headers as JSON; $(header.X-Name) is that header's
//     values joined by "," (the name is case-insensitive); $(header.X-Name[1])
//     is one of its values.
//   - $(extensions) and $(extensions.x.y) walk the interceptors' extensions.
//
// A string substitutes as it is; numbers, booleans, null, objects and lists
// as compact JSON. A substituted value is not looked at again, so a body
// field holding "$(header.Authorization)" stays that text. A path that is
// missing is an error naming the reference and the step, e.g.
// `$(body.head_commit.id): body.head_commit has no field "id"`. A reference
// with another root ($(tt.params.x), a shell $(cmd)) is left alone.
func Resolve(s string, ev Event) (string, error) {
	return replaceRefs(s, func(start int) (string, int, bool, error) {
		ref, end, ours, err := parseReference(s, start)
		if !ours {
			return "", 0, false, nil
		}
		if err != nil {
			return "", 0, true, err
		}
		val, err := ref.resolve(ev)
		if err != nil {
			return "", 0, true, err
		}
		return val, end, true, nil
	})
}

// replaceRefs rebuilds s with each "$(" it finds handed to each, which gets
// the index of that "$(". When each answers ok, s[start:end] is replaced by
// replacement and the scan goes on at end, so an inserted value is never
// looked at again; when it does not, the "$(" is kept as it is and the scan
// goes on just after it. An error from each (with ok or not) stops the scan
// and is returned as it is. A string with no "$(" is returned unchanged.
func replaceRefs(s string, each func(start int) (replacement string, end int, ok bool, err error)) (string, error) {
	if !strings.Contains(s, "$(") {
		return s, nil
	}
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(s[i:], "$(")
		if j < 0 {
			b.WriteString(s[i:])
			return b.String(), nil
		}
		start := i + j
		b.WriteString(s[i:start])
		repl, end, ok, err := each(start)
		if err != nil {
			return "", err
		}
		if !ok {
			b.WriteString("$(")
			i = start + 2
			continue
		}
		b.WriteString(repl)
		i = end
	}
}

// parseReference parses the reference starting at s[start:] ("$("). It
// returns the index just after its ")" and whether the root is one of ours;
// a reference with our root that does not parse is an error.
func parseReference(s string, start int) (reference, int, bool, error) {
	p := skipSpaces(s, start+2)
	q := p
	for q < len(s) && isIdentChar(s[q]) {
		q++
	}
	root := s[p:q]
	if root != rootBody && root != rootHeader && root != rootExtensions {
		return reference{}, 0, false, nil
	}
	if q < len(s) && !strings.ContainsRune(".[) \t", rune(s[q])) {
		return reference{}, 0, false, nil // $(bodyfoo), $(body-x): not ours
	}
	ref := reference{root: root}
	fail := func(at int, format string, args ...any) (reference, int, bool, error) {
		return reference{}, 0, true, fmt.Errorf("%s: %s (at character %d of the reference)",
			referenceText(s, start), fmt.Sprintf(format, args...), at-start+1)
	}
	for {
		if q >= len(s) {
			return fail(q, "the reference has no closing parenthesis")
		}
		switch c := s[q]; c {
		case ')':
			ref.text = s[start : q+1]
			return ref, q + 1, true, nil
		case ' ', '\t':
			q = skipSpaces(s, q)
			if q >= len(s) || s[q] != ')' {
				return fail(q, "a reference cannot hold spaces")
			}
		case '.':
			q++
			e := q
			for e < len(s) && isNameChar(s[e]) {
				e++
			}
			if e == q {
				return fail(q, "a field name is missing after %q", ".")
			}
			ref.steps = append(ref.steps, step{key: s[q:e]})
			q = e
		case '[':
			q++
			if q < len(s) && (s[q] == '"' || s[q] == '\'') {
				quote := s[q]
				e := strings.IndexByte(s[q+1:], quote)
				if e < 0 {
					return fail(q, "the quoted key has no closing %c", quote)
				}
				key := s[q+1 : q+1+e]
				q += e + 2
				if q >= len(s) || s[q] != ']' {
					return fail(q, "a quoted key must be followed by %q", "]")
				}
				ref.steps = append(ref.steps, step{key: key})
				q++
				continue
			}
			e := q
			for e < len(s) && s[e] >= '0' && s[e] <= '9' {
				e++
			}
			if e == q || e >= len(s) || s[e] != ']' {
				return fail(q, "an index must be a number or a quoted key, e.g. [0] or [\"a.b\"]")
			}
			n, err := strconv.Atoi(s[q:e])
			if err != nil {
				return fail(q, "the index %s is too large", s[q:e])
			}
			ref.steps = append(ref.steps, step{index: n, isIndex: true})
			q = e + 1
		default:
			return fail(q, "unexpected character %q", c)
		}
	}
}

// referenceText is the reference as written, for messages: up to its first
// ")" (or 80 bytes when there is none).
func referenceText(s string, start int) string {
	if e := strings.IndexByte(s[start:], ')'); e >= 0 {
		return s[start : start+e+1]
	}
	rest := s[start:]
	if len(rest) > 80 {
		rest = rest[:80] + "..."
	}
	return rest
}

func skipSpaces(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func isIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isNameChar says whether c may be part of a dotted field name: anything but
// the reference's own syntax, quotes and white space.
func isNameChar(c byte) bool {
	switch c {
	case '.', '[', ']', '(', ')', '"', '\'', '$', ' ', '\t', '\n', '\r':
		return false
	}
	return true
}

// resolve finds the value a parsed reference points to and renders it.
func (r reference) resolve(ev Event) (string, error) {
	var (
		cur  any
		path = r.root
	)
	steps := r.steps
	switch r.root {
	case rootBody:
		cur = ev.Body
	case rootExtensions:
		cur = ev.Extensions
		if ev.Extensions == nil {
			cur = map[string]any{}
		}
	case rootHeader:
		if len(steps) == 0 {
			return r.render(headerJSON(ev.Header))
		}
		if steps[0].isIndex {
			return "", fmt.Errorf("%s: header is an object of header names, not a list", r.text)
		}
		name := steps[0].key
		values := headerValues(ev.Header, name)
		if len(values) == 0 {
			return "", fmt.Errorf("%s: the request has no header %q", r.text, name)
		}
		path += pathKey(name)
		steps = steps[1:]
		if len(steps) == 0 {
			return strings.Join(values, ","), nil
		}
		list := make([]any, len(values))
		for i, v := range values {
			list[i] = v
		}
		cur = list
	}
	for _, st := range steps {
		cur = jsonValue(cur)
		if st.isIndex {
			list, ok := cur.([]any)
			if !ok {
				return "", fmt.Errorf("%s: %s is %s, not a list", r.text, path, kindOf(cur))
			}
			if st.index >= len(list) {
				return "", fmt.Errorf("%s: %s has %s", r.text, path, plural(len(list), "item"))
			}
			cur = list[st.index]
			path += "[" + strconv.Itoa(st.index) + "]"
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%s: %s is %s, not an object", r.text, path, kindOf(cur))
		}
		next, ok := obj[st.key]
		if !ok {
			return "", fmt.Errorf("%s: %s has no field %q", r.text, path, st.key)
		}
		cur = next
		path += pathKey(st.key)
	}
	return r.render(cur)
}

// render writes a resolved value: strings as they are, the rest as compact JSON.
func (r reference) render(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	}
	s, err := compactJSON(v)
	if err != nil {
		return "", fmt.Errorf("%s: the value cannot be written as JSON: %w", r.text, err)
	}
	return s, nil
}

// compactJSON marshals v without a trailing newline and without escaping
// <, > and & (the value lands in a param, not in HTML).
func compactJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// headerJSON is the headers as one JSON object of lists, canonical names.
func headerJSON(h http.Header) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], v...)
	}
	return out
}

// jsonValue returns v as the types encoding/json decodes into (objects,
// lists, strings, numbers, booleans, null), so that extensions holding Go
// values such as []string or map[string]string can be walked too.
func jsonValue(v any) any {
	switch v.(type) {
	case nil, map[string]any, []any, string, json.Number, bool, float64, float32,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return out
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// pathKey renders one field step for messages: .name, or ["odd.name"].
func pathKey(k string) string {
	if k == "" {
		return `[""]`
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !isIdentChar(c) && c != '-' {
			return "[" + strconv.Quote(k) + "]"
		}
	}
	return "." + k
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
