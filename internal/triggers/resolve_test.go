package triggers

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const pushBody = `{
  "ref": "refs/heads/main",
  "head_commit": {"id": "abc123", "message": "fix \"quotes\"\nand $(date) too"},
  "commits": [{"id": "c1"}, {"id": "c2"}],
  "repository": {"name": "r", "private": false, "size": 12345678901234567890, "ratio": 0.5,
                 "owner": {"login": "o"}},
  "labels": {"k.with.dots": "dotted", "app.kubernetes.io/name": "x", "": "empty key"},
  "html": {"a": "<b>&"},
  "nothing": null,
  "empty": "",
  "payload": "$(header.Authorization)"
}`

func pushEvent(t testing.TB) Event {
	t.Helper()
	body, err := DecodeBody([]byte(pushBody))
	if err != nil {
		t.Fatal(err)
	}
	return Event{
		Body:    body,
		RawBody: []byte(pushBody),
		Header: http.Header{
			"X-Github-Event": {"push"},
			"Accept":         {"a", "b"},
			"Authorization":  {"token hunter2"},
		},
		Extensions: map[string]any{
			"pr":   map[string]any{"number": int64(42), "labels": []string{"bug", "ui"}},
			"flag": true,
			"m":    map[string]string{"x": "y"},
		},
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "no reference", in: "plain text", want: "plain text"},
		{name: "string field", in: "$(body.ref)", want: "refs/heads/main"},
		{name: "nested fields", in: "$(body.repository.owner.login)", want: "o"},
		{name: "list index", in: "$(body.commits[1].id)", want: "c2"},
		{name: "several references in one string", in: "$(body.ref)@$(body.head_commit.id) ($(header.X-GitHub-Event))", want: "refs/heads/main@abc123 (push)"},
		{name: "text around", in: "git checkout $(body.head_commit.id) && echo ok", want: "git checkout abc123 && echo ok"},
		{name: "double-quoted bracket key", in: `$(body.labels["k.with.dots"])`, want: "dotted"},
		{name: "single-quoted bracket key", in: `$(body.labels['app.kubernetes.io/name'])`, want: "x"},
		{name: "empty key", in: `$(body.labels[""])`, want: "empty key"},
		{name: "bracket then dot", in: `$(body["repository"].owner["login"])`, want: "o"},
		{name: "spaces inside the parentheses", in: "$( body.ref )", want: "refs/heads/main"},
		{name: "quotes and newlines substitute raw", in: "$(body.head_commit.message)", want: "fix \"quotes\"\nand $(date) too"},
		{name: "a substituted value is not resolved again", in: "$(body.payload)", want: "$(header.Authorization)"},
		{name: "empty string", in: "[$(body.empty)]", want: "[]"},
		{name: "big integer as is", in: "$(body.repository.size)", want: "12345678901234567890"},
		{name: "float as is", in: "$(body.repository.ratio)", want: "0.5"},
		{name: "boolean as JSON", in: "$(body.repository.private)", want: "false"},
		{name: "null as JSON", in: "$(body.nothing)", want: "null"},
		{name: "object as compact JSON", in: "$(body.repository.owner)", want: `{"login":"o"}`},
		{name: "list as compact JSON", in: "$(body.commits)", want: `[{"id":"c1"},{"id":"c2"}]`},
		{name: "no HTML escaping", in: "$(body.html)", want: `{"a":"<b>&"}`},
		{name: "header, any case", in: "$(header.x-github-event) $(header.X-GITHUB-EVENT)", want: "push push"},
		{name: "header values joined", in: "$(header.Accept)", want: "a,b"},
		{name: "one header value", in: "$(header.Accept[1])", want: "b"},
		{name: "bracketed header name", in: `$(header["accept"])`, want: "a,b"},
		{name: "all headers", in: "$(header)", want: `{"Accept":["a","b"],"Authorization":["token hunter2"],"X-Github-Event":["push"]}`},
		{name: "extensions number", in: "$(extensions.pr.number)", want: "42"},
		{name: "extensions Go slice", in: "$(extensions.pr.labels[1])", want: "ui"},
		{name: "extensions Go map", in: "$(extensions.m.x)", want: "y"},
		{name: "extensions boolean", in: "$(extensions.flag)", want: "true"},
		{name: "extensions object", in: "$(extensions.pr)", want: `{"labels":["bug","ui"],"number":42}`},
		{name: "unknown roots are left alone", in: "$(tt.params.x) $(date +%s) $(bodyx) $(context.pipelineRun.name) $(params.a)",
			want: "$(tt.params.x) $(date +%s) $(bodyx) $(context.pipelineRun.name) $(params.a)"},
		{name: "a reference inside a shell substitution", in: "$(echo $(body.ref))", want: "$(echo refs/heads/main)"},
		{name: "dollar without parenthesis", in: "cost: $5 $ (body.ref)", want: "cost: $5 $ (body.ref)"},

		{name: "missing field", in: "$(body.head_commit.nope)", err: `$(body.head_commit.nope): body.head_commit has no field "nope"`},
		{name: "missing top field", in: "x $(body.nope.deeper)", err: `$(body.nope.deeper): body has no field "nope"`},
		{name: "index out of range", in: "$(body.commits[3].id)", err: "$(body.commits[3].id): body.commits has 2 items"},
		{name: "field of a string", in: "$(body.ref.x)", err: "$(body.ref.x): body.ref is a string, not an object"},
		{name: "field of a list", in: "$(body.commits.id)", err: "$(body.commits.id): body.commits is a list, not an object"},
		{name: "index of an object", in: "$(body.head_commit[0])", err: "$(body.head_commit[0]): body.head_commit is an object, not a list"},
		{name: "field of null", in: "$(body.nothing.x)", err: "$(body.nothing.x): body.nothing is null, not an object"},
		{name: "odd key in the path", in: `$(body.labels["k.with.dots"].x)`, err: `body.labels["k.with.dots"] is a string, not an object`},
		{name: "the first error stops", in: "$(body.ref) $(body.nope) $(body.nope2)", err: `$(body.nope): body has no field "nope"`},
		{name: "missing header", in: "$(header.X-Nope)", err: `$(header.X-Nope): the request has no header "X-Nope"`},
		{name: "header value out of range", in: "$(header.Accept[2])", err: "$(header.Accept[2]): header.Accept has 2 items"},
		{name: "header value has no fields", in: "$(header.Accept[0].x)", err: "header.Accept[0] is a string, not an object"},
		{name: "header indexed", in: "$(header[0])", err: "$(header[0]): header is an object of header names, not a list"},
		{name: "missing extension", in: "$(extensions.nope)", err: `$(extensions.nope): extensions has no field "nope"`},
		{name: "space inside", in: "$(body.a b)", err: "$(body.a b): a reference cannot hold spaces"},
		{name: "bad index", in: "$(body.commits[x])", err: "$(body.commits[x]): an index must be a number or a quoted key"},
		{name: "negative index", in: "$(body.commits[-1])", err: "an index must be a number or a quoted key"},
		{name: "unterminated", in: "echo $(body.ref", err: "$(body.ref: the reference has no closing parenthesis"},
		{name: "unterminated quoted key", in: `$(body.labels["k)`, err: "the quoted key has no closing \""},
		{name: "empty field name", in: "$(body..x)", err: `a field name is missing after "."`},
		{name: "huge index", in: "$(body.commits[99999999999999999999999])", err: "the index 99999999999999999999999 is too large"},
	}
	ev := pushEvent(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.in, ev)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error %q holds a header value", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestResolveWholeBody(t *testing.T) {
	ev := Event{Body: map[string]any{"b": json.Number("1"), "a": []any{"x"}}}
	got, err := Resolve("$(body)", ev)
	if err != nil || got != `{"a":["x"],"b":1}` {
		t.Fatalf("got %q, %v", got, err)
	}
	// Without a body and extensions, references say what is missing.
	if _, err := Resolve("$(body.a)", Event{}); err == nil || !strings.Contains(err.Error(), "body is null, not an object") {
		t.Fatalf("got %v", err)
	}
	if _, err := Resolve("$(extensions.a)", Event{}); err == nil || !strings.Contains(err.Error(), `extensions has no field "a"`) {
		t.Fatalf("got %v", err)
	}
	if got, err := Resolve("$(extensions)", Event{}); err != nil || got != "{}" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func FuzzResolve(f *testing.F) {
	seeds := []string{
		"$(body.ref)", "$(body.commits[1].id) and $(header.accept)", `$(body.labels["k.with.dots"])`,
		"$(body.commits[9])", "$(body", "$(body.a b)", "$(tt.params.x) $(date)", "$(header[0])", "$(extensions.pr.labels[0])",
		"$($(body.ref))", "$(body['x'])", "$(body[\"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ev := pushEvent(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Resolve(s, ev)
		again, err2 := Resolve(s, ev)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("Resolve(%q) is not deterministic", s)
		}
		if !strings.Contains(s, "$(") && (err != nil || got != s) {
			t.Fatalf("Resolve(%q) without references = %q, %v", s, got, err)
		}
		if err != nil {
			if got != "" {
				t.Fatalf("Resolve(%q) returned %q with error %v", s, got, err)
			}
			if !strings.HasPrefix(err.Error(), "$(") {
				t.Fatalf("error %q does not start with the reference", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error %q holds a header value", err)
			}
		}
	})
}
