package interceptors

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewExternalRequest(t *testing.T) {
	r := &Request{
		Body:       []byte(`{"a":1}`),
		Header:     http.Header{"X-Github-Event": {"push"}, "Accept": {"a", "b"}},
		Extensions: map[string]any{"x": "y"},
		Params: map[string]json.RawMessage{
			"secretRef": json.RawMessage(`{"secretName":"s","secretKey":"k"}`),
			"big":       json.RawMessage(`12345678901234567890`),
			"broken":    json.RawMessage(`{not json`),
		},
		Namespace:  "ns",
		RequestURL: "http://el.ns.svc:8080/",
	}
	got := NewExternalRequest(r, "event-1", "namespaces/ns/triggers/t")
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var gotJSON, wantJSON any
	if err := json.Unmarshal(b, &gotJSON); err != nil {
		t.Fatal(err)
	}
	want := `{
	  "body": "{\"a\":1}",
	  "header": {"X-Github-Event": ["push"], "Accept": ["a", "b"]},
	  "extensions": {"x": "y"},
	  "interceptor_params": {"secretRef": {"secretName": "s", "secretKey": "k"}, "big": 12345678901234567890, "broken": "{not json"},
	  "context": {"event_url": "http://el.ns.svc:8080/", "event_id": "event-1", "trigger_id": "namespaces/ns/triggers/t"}
	}`
	if err := json.Unmarshal([]byte(want), &wantJSON); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantJSON, gotJSON); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(string(b), `"big":12345678901234567890`) {
		t.Fatalf("a big integer param lost precision: %s", b)
	}
	// The request does not share the caller's header slices.
	got.Header["Accept"][0] = "changed"
	if r.Header["Accept"][0] != "a" {
		t.Fatal("NewExternalRequest shares header values with the request")
	}

	// Nothing set: empty objects, not nulls, for the interceptor to read.
	b, err = json.Marshal(NewExternalRequest(&Request{}, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"body":"","header":{},"extensions":{},"interceptor_params":{},"context":{"event_url":"","event_id":"","trigger_id":""}}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

func TestFromExternal(t *testing.T) {
	tests := []struct {
		name string
		json string
		want Response
	}{
		{name: "continue", json: `{"continue": true, "extensions": {"a": {"b": 1}}, "status": {"code": 0}}`,
			want: Response{Code: OK, Extensions: map[string]any{"a": map[string]any{"b": 1.0}}}},
		{name: "continue wins over a code", json: `{"continue": true, "status": {"code": 13, "message": "odd"}}`,
			want: Response{Code: OK, Message: "odd"}},
		{name: "failed precondition filters", json: `{"continue": false, "status": {"code": 9, "message": "not a tag"}}`,
			want: Response{Code: Filtered, Message: "not a tag (code FailedPrecondition)"}},
		{name: "code by name", json: `{"continue": false, "status": {"code": "FAILED_PRECONDITION", "message": "not a tag"}}`,
			want: Response{Code: Filtered, Message: "not a tag (code FailedPrecondition)"}},
		{name: "code by Go name", json: `{"continue": false, "status": {"code": "PermissionDenied"}}`,
			want: Response{Code: PermissionDenied, Message: "the interceptor did not let the event through (code PermissionDenied)"}},
		{name: "stop without a code", json: `{"continue": false}`,
			want: Response{Code: Filtered, Message: "the interceptor did not let the event through (code OK)"}},
		{name: "invalid argument", json: `{"status": {"code": 3, "message": "no ref"}}`, want: Response{Code: InvalidArgument, Message: "no ref (code InvalidArgument)"}},
		{name: "permission denied", json: `{"status": {"code": 7, "message": "bad sig"}}`, want: Response{Code: PermissionDenied, Message: "bad sig (code PermissionDenied)"}},
		{name: "unauthenticated", json: `{"status": {"code": 16, "message": "no sig"}}`, want: Response{Code: Unauthenticated, Message: "no sig (code Unauthenticated)"}},
		{name: "internal", json: `{"status": {"code": 13, "message": "boom"}}`, want: Response{Code: Unavailable, Message: "boom (code Internal)"}},
		{name: "unavailable", json: `{"status": {"code": 14, "message": "later"}}`, want: Response{Code: Unavailable, Message: "later (code Unavailable)"}},
		{name: "unknown", json: `{"status": {"code": 2, "message": "?"}}`, want: Response{Code: Unavailable, Message: "? (code Unknown)"}},
		{name: "out of range", json: `{"status": {"code": 99}}`, want: Response{Code: Unavailable, Message: "the interceptor did not let the event through (code Code(99))"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r InterceptorResponse
			if err := json.Unmarshal([]byte(tt.json), &r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, FromExternal(r)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterceptorStatusJSON(t *testing.T) {
	tests := []struct {
		json string
		want InterceptorStatus
		err  string
	}{
		{json: `{"code": 9, "message": "m"}`, want: InterceptorStatus{Code: 9, Message: "m"}},
		{json: `{"code": "INVALID_ARGUMENT"}`, want: InterceptorStatus{Code: 3}},
		{json: `{"code": "Unauthenticated"}`, want: InterceptorStatus{Code: 16}},
		{json: `{"code": "failed_precondition"}`, want: InterceptorStatus{Code: 9}},
		{json: `{"code": null, "message": "m"}`, want: InterceptorStatus{Message: "m"}},
		{json: `{}`, want: InterceptorStatus{}},
		{json: `{"code": "NOPE"}`, err: `status code "NOPE" is not a gRPC code`},
		{json: `{"code": 1.5}`, err: "cannot unmarshal number 1.5"},
		{json: `[]`, err: "cannot unmarshal array"},
	}
	for _, tt := range tests {
		var got InterceptorStatus
		err := json.Unmarshal([]byte(tt.json), &got)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %+v, %v; want error %q", tt.json, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.json, got, err, tt.want)
		}
	}
	// Marshalling writes the code as a number, as Tekton's interceptors expect.
	b, err := json.Marshal(InterceptorResponse{Continue: true, Status: InterceptorStatus{Code: 9, Message: "m"}})
	if err != nil || string(b) != `{"continue":true,"status":{"code":9,"message":"m"}}` {
		t.Fatalf("got %s, %v", b, err)
	}
}

func TestMergeExtensions(t *testing.T) {
	src := map[string]any{"git": map[string]any{"branch": "main"}, "n": 1, "replaced": map[string]any{"x": 1}}
	dst := map[string]any{"git": map[string]any{"repo": "r"}, "keep": true, "n": 0, "replaced": "scalar"}
	got := MergeExtensions(dst, src)
	want := map[string]any{
		"git":      map[string]any{"repo": "r", "branch": "main"},
		"keep":     true,
		"n":        1,
		"replaced": map[string]any{"x": 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// Objects from src are copies.
	got["replaced"].(map[string]any)["x"] = 2
	if src["replaced"].(map[string]any)["x"] != 1 {
		t.Fatal("MergeExtensions shares src's objects")
	}
	if got := MergeExtensions(nil, map[string]any{"a": 1}); !cmp.Equal(got, map[string]any{"a": 1}) {
		t.Fatalf("nil dst: got %v", got)
	}
	if got := MergeExtensions(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("nil, nil: got %#v", got)
	}
}
