package interceptors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const celBody = `{
  "ref": "refs/heads/main",
  "after": "0123456789abcdef",
  "number": 42,
  "big": 12345678901234567890,
  "ratio": 0.5,
  "draft": false,
  "message": "héllo wörld",
  "labels": ["bug", "ui"],
  "repository": {"name": "r", "id": 7, "owner": {"login": "o"}},
  "nested": "{\"x\": [1, 2], \"y\": \"z\"}"
}`

func celRequest(t *testing.T, p map[string]json.RawMessage) *Request {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(celBody))
	dec.UseNumber()
	var body any
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	return &Request{
		Body:       []byte(celBody),
		Decoded:    body,
		Header:     http.Header{"x-github-event": {"push"}, "Accept": {"a", "b"}},
		Extensions: map[string]any{"team": "platform", "count": json.Number("3"), "tags": []string{"x"}},
		Params:     p,
		RequestURL: "http://listener.ns.svc:8080/hooks?x=1",
	}
}

func filter(expr string) map[string]json.RawMessage {
	b, _ := json.Marshal(expr)
	return map[string]json.RawMessage{"filter": b}
}

func TestCELFilter(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want Code
		msg  string
	}{
		{name: "string equality", expr: "body.ref == 'refs/heads/main'", want: OK},
		{name: "false", expr: "body.ref == 'refs/heads/dev'", want: Filtered, msg: `filter "body.ref == 'refs/heads/dev'" is false`},
		{name: "header.match, any case", expr: "header.match('X-GitHub-Event', 'push') && header.match('x-github-event', 'push')", want: OK},
		{name: "header.match on another value", expr: "header.match('Accept', 'b')", want: OK},
		{name: "header.match false", expr: "header.match('X-GitHub-Event', 'issues')", want: Filtered},
		{name: "header.match on a missing header", expr: "header.match('X-Nope', 'x')", want: Filtered},
		{name: "header.canonical", expr: "header.canonical('x-github-event') == 'push' && header.canonical('X-Nope') == ''", want: OK},
		{name: "header indexed by canonical name", expr: "header['X-Github-Event'][0] == 'push'", want: OK},
		{name: "integers are ints", expr: "body.number == 42 && body.number + 1 == 43 && body.repository.id < 10", want: OK},
		{name: "integers also equal doubles", expr: "body.number == 42.0", want: OK},
		{name: "big numbers are doubles", expr: "body.big > 1e19", want: OK},
		{name: "doubles", expr: "body.ratio == 0.5", want: OK},
		{name: "booleans", expr: "!body.draft", want: OK},
		{name: "in a list", expr: "'ui' in body.labels", want: OK},
		{name: "has", expr: "has(body.repository.owner) && !has(body.pull_request)", want: OK},
		{name: "requestURL", expr: "requestURL.startsWith('http://listener') && requestURL.contains('x=1')", want: OK},
		{name: "extensions", expr: "extensions.team == 'platform' && extensions.count == 3 && extensions.tags[0] == 'x'", want: OK},
		{name: "ext.Strings split", expr: "body.ref.split('/')[2] == 'main'", want: OK},
		{name: "ext.Strings lowerAscii", expr: "'ABC'.lowerAscii() == 'abc'", want: OK},
		{name: "ext.Encoders", expr: "base64.decode('aGk=') == b'hi' && base64.encode(b'hi') == 'aGk='", want: OK},
		{name: "ext.Lists", expr: "[1, 2, 3].slice(1, 2) == [2]", want: OK},
		{name: "ext.Sets", expr: "sets.contains(body.labels, ['bug'])", want: OK},
		{name: "truncate as a function and a method", expr: "truncate(body.after, 7) == '0123456' && body.after.truncate(3) == '012'", want: OK},
		{name: "truncate counts characters, not bytes", expr: "body.message.truncate(2) == 'hé' && 'ab'.truncate(5) == 'ab'", want: OK},
		{name: "parseJSON", expr: "body.nested.parseJSON().x[1] == 2 && parseJSON(body.nested).y == 'z'", want: OK},
		{name: "marshalJSON", expr: `marshalJSON(body.repository.owner) == '{"login":"o"}' && [1, 'a'].marshalJSON() == '[1,"a"]'`, want: OK},
		{name: "comprehension", expr: "body.labels.exists(l, l == 'bug')", want: OK},

		{name: "no such key filters the event out", expr: "body.pull_request.action == 'opened'", want: Filtered,
			msg: `filter "body.pull_request.action == 'opened'" could not be evaluated, so the event does not match: no such key: pull_request`},
		{name: "a runtime error filters the event out", expr: "body.nested.parseJSON().x[5] == 1", want: Filtered, msg: "could not be evaluated"},
		{name: "a bad parseJSON filters the event out", expr: "body.ref.parseJSON() == 1", want: Filtered, msg: "parseJSON: invalid character"},
		{name: "negative truncate", expr: "body.ref.truncate(-1) == ''", want: Filtered, msg: "truncate needs a length of 0 or more"},
		{name: "dyn that is not a bool", expr: "body.ref", want: InvalidArgument, msg: `filter "body.ref" evaluated to string, not a bool`},
		{name: "a string filter does not compile as a bool", expr: "'yes'", want: ConfigError, msg: `param "filter": "'yes'" is of type string, not bool`},
		{name: "syntax error", expr: "body.ref ==", want: ConfigError, msg: `param "filter": "body.ref ==" does not compile: ERROR: <input>:1:12: Syntax error`},
		{name: "unknown variable", expr: "payload.ref == 'x'", want: ConfigError, msg: "undeclared reference to 'payload'"},
		{name: "unknown function", expr: "body.ref.explode()", want: ConfigError, msg: "does not compile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Builtin("cel", nil).Process(context.Background(), celRequest(t, filter(tt.expr)))
			if got.Code != tt.want || !strings.Contains(got.Message, tt.msg) {
				t.Fatalf("got %v %q; want %v with a message containing %q", got.Code, got.Message, tt.want, tt.msg)
			}
			if got.Extensions != nil {
				t.Fatalf("a filter alone added extensions %v", got.Extensions)
			}
		})
	}
}

func overlays(t *testing.T, filterExpr string, kv ...string) map[string]json.RawMessage {
	t.Helper()
	var list []overlay
	for i := 0; i < len(kv); i += 2 {
		list = append(list, overlay{Key: kv[i], Expression: kv[i+1]})
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]json.RawMessage{"overlays": b}
	if filterExpr != "" {
		p["filter"] = filter(filterExpr)["filter"]
	}
	return p
}

func TestCELOverlays(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]json.RawMessage
		want   Code
		msg    string
		ext    map[string]any
	}{
		{name: "string", params: overlays(t, "", "short_sha", "body.after.truncate(7)"), want: OK,
			ext: map[string]any{"short_sha": "0123456"}},
		{name: "dotted keys nest", params: overlays(t, "", "git.branch", "body.ref.split('/')[2]", "git.repo", "body.repository.name", "top", "1 + 1"),
			want: OK, ext: map[string]any{"git": map[string]any{"branch": "main", "repo": "r"}, "top": int64(2)}},
		{name: "an object, numbers and all", params: overlays(t, "", "repo", "body.repository"), want: OK,
			ext: map[string]any{"repo": map[string]any{"name": "r", "id": int64(7), "owner": map[string]any{"login": "o"}}}},
		{name: "lists, bools, doubles, null", params: overlays(t, "", "l", "body.labels", "b", "body.draft", "d", "body.ratio * 2.0", "n", "null"),
			want: OK, ext: map[string]any{"l": []any{"bug", "ui"}, "b": false, "d": 1.0, "n": nil}},
		{name: "parsed JSON", params: overlays(t, "", "x", "body.nested.parseJSON().x"), want: OK,
			ext: map[string]any{"x": []any{int64(1), int64(2)}}},
		{name: "a later key replaces a scalar on its path", params: overlays(t, "", "a", "'s'", "a.b", "'t'"), want: OK,
			ext: map[string]any{"a": map[string]any{"b": "t"}}},
		{name: "filter true, overlays applied", params: overlays(t, "body.number == 42", "n", "body.number"), want: OK,
			ext: map[string]any{"n": int64(42)}},
		{name: "filter false, no overlays", params: overlays(t, "body.number == 1", "n", "body.number"), want: Filtered},
		{name: "overlay on a missing field", params: overlays(t, "", "x", "body.pull_request.number"), want: InvalidArgument,
			msg: `overlay "x": "body.pull_request.number" could not be evaluated: no such key: pull_request`},
		{name: "a map with non-string keys", params: overlays(t, "", "m", "{1: 'a'}"), want: InvalidArgument,
			msg: `overlay "m": "{1: 'a'}": a map key 1 is int, not a string`},
		{name: "overlay does not compile", params: overlays(t, "", "ok", "1", "bad", "body.("), want: ConfigError,
			msg: `param "overlays": overlays[1] (key "bad"): "body.(" does not compile`},
		{name: "overlay without an expression", params: overlays(t, "", "x", ""), want: ConfigError,
			msg: `param "overlays": overlays[0] (key "x") has no expression`},
		{name: "overlay with an empty key", params: overlays(t, "", "", "1"), want: ConfigError, msg: `overlays[0] has key ""`},
		{name: "overlay with an empty path step", params: overlays(t, "", "a..b", "1"), want: ConfigError, msg: `overlays[0] has key "a..b"`},
		{name: "overlays not a list", params: params("overlays", `{"key":"a","expression":"1"}`), want: ConfigError,
			msg: `param "overlays" must be a list of {"key": ..., "expression": ...}, not an object`},
		{name: "overlay with an unknown field", params: params("overlays", `[{"key":"a","expr":"1"}]`), want: ConfigError,
			msg: `unknown field "expr"`},
		{name: "filter not a string", params: params("filter", `true`), want: ConfigError,
			msg: `param "filter" must be a string holding a CEL expression, not a boolean`},
		{name: "empty filter", params: params("filter", `"  "`), want: ConfigError, msg: `param "filter" is empty`},
		{name: "unknown param", params: params("filter", `"true"`, "overlay", `[]`), want: ConfigError,
			msg: `unknown param "overlay": the interceptor takes filter, overlays`},
		{name: "no params", params: nil, want: OK},
		{name: "a bad overlay is a config error even when the filter is false", params: overlays(t, "false", "x", "body.("), want: ConfigError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Builtin("cel", nil).Process(context.Background(), celRequest(t, tt.params))
			if got.Code != tt.want || !strings.Contains(got.Message, tt.msg) {
				t.Fatalf("got %v %q; want %v with a message containing %q", got.Code, got.Message, tt.want, tt.msg)
			}
			if diff := cmp.Diff(tt.ext, got.Extensions); diff != "" {
				t.Fatalf("extensions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCELBodyFromRaw(t *testing.T) {
	r := &Request{Body: []byte(`{"a": 5}`), Params: filter("body.a == 5")}
	if got := Builtin("cel", nil).Process(context.Background(), r); got.Code != OK {
		t.Fatalf("got %v %q", got.Code, got.Message)
	}
	r = &Request{Body: []byte(`{"a": `), Params: filter("body.a == 5")}
	if got := Builtin("cel", nil).Process(context.Background(), r); got.Code != InvalidArgument || !strings.Contains(got.Message, "the body is not JSON") {
		t.Fatalf("got %v %q", got.Code, got.Message)
	}
	// No body at all: body is null, and a filter on it does not match.
	r = &Request{Params: filter("body.a == 5")}
	if got := Builtin("cel", nil).Process(context.Background(), r); got.Code != Filtered {
		t.Fatalf("got %v %q", got.Code, got.Message)
	}
}

func bigListRequest(n int, p map[string]json.RawMessage) *Request {
	list := make([]any, n)
	for i := range list {
		list[i] = json.Number(fmt.Sprint(i))
	}
	return &Request{Decoded: map[string]any{"list": list}, Params: p}
}

func TestCELCostLimit(t *testing.T) {
	// Searching a 2 MB string costs about 200,000 each time: the tenth search
	// passes the limit and evaluation stops, however long the list is.
	r := bigListRequest(1000, filter("body.list.all(x, !body.s.contains('needle'))"))
	r.Decoded.(map[string]any)["s"] = strings.Repeat("a", 2<<20)
	got := Builtin("cel", nil).Process(context.Background(), r)
	if got.Code != Filtered || !strings.Contains(got.Message, "cost limit exceeded") {
		t.Fatalf("got %v %q; want Filtered with the cost limit exceeded", got.Code, got.Message)
	}
	// The same expression over a short string is well within the limit.
	r.Decoded.(map[string]any)["s"] = "short"
	if got := Builtin("cel", nil).Process(context.Background(), r); got.Code != OK {
		t.Fatalf("got %v %q", got.Code, got.Message)
	}
}

func TestCELCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := Builtin("cel", nil).Process(ctx, bigListRequest(500, filter("body.list.all(x, x >= 0)")))
	if got.Code != Filtered || !strings.Contains(got.Message, "could not be evaluated") {
		t.Fatalf("got %v %q; want Filtered: evaluation interrupted", got.Code, got.Message)
	}
}

func TestCELProgramCache(t *testing.T) {
	const expr = "body.ref == 'cached' || true"
	a, err := program(expr, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := program(expr, true)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("the second compilation was not served from the cache")
	}
	// A compile error is cached too, and a bool check does not leak into a value use.
	if _, err := program("'x'", true); err == nil {
		t.Fatal("'x' compiled as a filter")
	}
	if _, err := program("'x'", false); err != nil {
		t.Fatalf("'x' does not compile as an overlay: %v", err)
	}

	// Many goroutines share programs (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				p := overlays(t, fmt.Sprintf("body.number == 42 || %d == %d", j%3, i), "n", "body.number")
				if got := Builtin("cel", nil).Process(context.Background(), celRequest(t, p)); got.Code != OK || got.Extensions["n"] != int64(42) {
					t.Errorf("got %v %q %v", got.Code, got.Message, got.Extensions)
					return
				}
			}
		}()
	}
	wg.Wait()
}
