package substitute

import (
	"errors"
	"strings"
	"testing"
)

// FuzzString: substitution of any text never panics; text without "$(" is
// left as it is; a reference of another root is left as it is; an error is
// a *Error naming the field.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		"", "plain", "$(params.a)", "$(params.arr[1])", "$(params.arr[*])", "$(params.obj.k)", "$(params['a'])",
		`$(params["obj"].k)`, "$(params.nope)", "$(steps.x)", "$(date)", "$((1+2))", "$(params.a", "$$(params.a)",
		"$(params.arr[99])", "$(params.arr[-1])", "$(params.obj)", "$(context.taskRun.name)", "a $(params.a) b $(params.a)",
	} {
		f.Add(s)
	}
	v := Values{
		Strings: map[string]string{"params.a": "A", "context.taskRun.name": "run"},
		Arrays:  map[string][]string{"params.arr": {"x", "y"}},
		Objects: map[string]map[string]string{"params.obj": {"k": "v"}},
		Roots:   []string{"params", "context"},
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := v.String("spec.f", s)
		if !strings.Contains(s, "$(") && (out != s || err != nil) {
			t.Fatalf("%q without references became %q (%v)", s, out, err)
		}
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Field != "spec.f" || !strings.HasPrefix(err.Error(), "spec.f: ") {
				t.Fatalf("%q: error %v does not name the field", s, err)
			}
		}
		if !strings.Contains(s, "params") && !strings.Contains(s, "context") && out != s {
			t.Fatalf("%q refers to no root of ours but became %q", s, out)
		}
		items, err := v.List("spec.l", []string{s, "lit"})
		if err == nil && (len(items) == 0 || items[len(items)-1] != "lit") {
			t.Fatalf("%q: the list lost its literal item: %q", s, items)
		}
	})
}
