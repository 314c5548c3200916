package triggers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want any
		err  string
	}{
		{name: "object", raw: `{"a": {"b": [1, "x", true, null]}}`,
			want: map[string]any{"a": map[string]any{"b": []any{json.Number("1"), "x", true, nil}}}},
		{name: "big integers survive", raw: `{"id": 12345678901234567890, "f": 1.50}`,
			want: map[string]any{"id": json.Number("12345678901234567890"), "f": json.Number("1.50")}},
		{name: "top-level list", raw: `[1]`, want: []any{json.Number("1")}},
		{name: "top-level string", raw: `"s"`, want: "s"},
		{name: "surrounding white space", raw: "\n  {}\n\n", want: map[string]any{}},
		{name: "empty body", raw: "", want: nil},
		{name: "white space only", raw: " \n\t", want: nil},
		{name: "bad character on line 2", raw: "{\n  \"a\": }",
			err: "body is not valid JSON: invalid character '}' looking for beginning of value at line 2, column 8 (byte 10)"},
		{name: "ends early", raw: `{"a": [1, 2`, err: "body is not valid JSON: it ends early, at line 1, column 11 (byte 11)"},
		{name: "data after the value", raw: "{}\n {}", err: "body is not valid JSON: more data after the JSON value, at line 2, column 2 (byte 5)"},
		{name: "not json at all", raw: "a=b&c=d", err: "invalid character 'a' looking for beginning of value at line 1, column 1 (byte 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBody([]byte(tt.raw))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestIdentify(t *testing.T) {
	long := strings.Repeat("d", 70)
	tests := []struct {
		name          string
		h             http.Header
		wantDelivery  string
		wantEventType string
	}{
		{name: "github", h: header("X-GitHub-Event", "push", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
			wantDelivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", wantEventType: "push"},
		{name: "gitea sends both; the GitHub headers win", h: header("X-Gitea-Event", "create", "X-Gitea-Delivery", "gitea-1",
			"X-GitHub-Event", "push", "X-GitHub-Delivery", "github-1"), wantDelivery: "github-1", wantEventType: "push"},
		{name: "gitea only", h: header("X-Gitea-Event", "pull_request", "X-Gitea-Delivery", "5f1c"), wantDelivery: "5f1c", wantEventType: "pull_request"},
		{name: "gitlab", h: header("X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "a-b-c"), wantDelivery: "a-b-c", wantEventType: "Push Hook"},
		{name: "bitbucket server", h: header("X-Event-Key", "repo:refs_changed", "X-Request-Id", "r1"), wantDelivery: "r1", wantEventType: "repo:refs_changed"},
		{name: "X-Request-UUID before X-Request-Id", h: header("X-Request-Id", "second", "X-Request-UUID", "first"), wantDelivery: "first"},
		{name: "lower-case keys not canonicalized", h: http.Header{"x-github-event": {"push"}, "x-github-delivery": {"d1"}},
			wantDelivery: "d1", wantEventType: "push"},
		{name: "no headers", h: nil},
		{name: "slashes and colons become dashes", h: header("X-Request-Id", "abc/def:ghi"), wantDelivery: "abc-def-ghi"},
		{name: "leading and trailing punctuation trimmed", h: header("X-Request-Id", "--{abc}.."), wantDelivery: "abc"},
		{name: "nothing alphanumeric", h: header("X-Request-Id", "!!! ..."), wantDelivery: ""},
		{name: "too long: cut and hashed", h: header("X-Request-Id", long),
			wantDelivery: strings.Repeat("d", 52) + "-" + sha256Hex(long)[:10]},
		{name: "unicode", h: header("X-Request-Id", "déjà-vu"), wantDelivery: "d-j--vu"},
	}
	valid := regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := Identify(tt.h, []byte(`{"a":1}`))
			if id.Delivery != tt.wantDelivery || id.EventType != tt.wantEventType {
				t.Fatalf("got delivery %q, event type %q; want %q, %q", id.Delivery, id.EventType, tt.wantDelivery, tt.wantEventType)
			}
			if len(id.Delivery) > 63 || !valid.MatchString(id.Delivery) {
				t.Fatalf("delivery %q is not a valid label value", id.Delivery)
			}
			if want := sha256Hex(tt.wantEventType + "\n" + `{"a":1}`); id.Digest != want {
				t.Fatalf("digest %s, want %s", id.Digest, want)
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestIdentifyDigest(t *testing.T) {
	push := header("X-GitHub-Event", "push", "X-GitHub-Delivery", "1")
	base := Identify(push, []byte(`{"a":1}`))
	redelivery := Identify(header("X-GitHub-Event", "push", "X-GitHub-Delivery", "2"), []byte(`{"a":1}`))
	if base.Digest != redelivery.Digest {
		t.Errorf("a byte-identical redelivery has another digest: %s vs %s", base.Digest, redelivery.Digest)
	}
	if d := Identify(push, []byte(`{"a": 1}`)).Digest; d == base.Digest {
		t.Errorf("a different body has the same digest %s", d)
	}
	if d := Identify(header("X-GitHub-Event", "issues"), []byte(`{"a":1}`)).Digest; d == base.Digest {
		t.Errorf("a different event type has the same digest %s", d)
	}
	// The separator keeps event type and body apart.
	if Identify(header("X-GitHub-Event", "a"), []byte("b")).Digest == Identify(header("X-GitHub-Event", "ab"), nil).Digest {
		t.Error("event type and body are not separated in the digest")
	}
}

func TestUID(t *testing.T) {
	a := Identity{Digest: sha256Hex("a")}
	b := Identity{Digest: sha256Hex("b")}
	layout := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if u := a.UID("t"); !layout.MatchString(u) {
		t.Fatalf("UID %q is not 32 hex digits in UUID layout", u)
	}
	if again := (Identity{Digest: sha256Hex("a")}); a.UID("t") != again.UID("t") {
		t.Error("UID is not deterministic")
	}
	if a.UID("t") != (Identity{Digest: a.Digest, Delivery: "other"}).UID("t") {
		t.Error("UID depends on the delivery id; it must depend on the digest and trigger only")
	}
	if a.UID("t") == a.UID("u") {
		t.Error("two triggers get the same UID")
	}
	if a.UID("t") == b.UID("t") {
		t.Error("two events get the same UID")
	}
}

func TestLabelValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"github-push", "github-push"},
		{"triggers[2]", "triggers-2"},
		{"My Trigger", "My-Trigger"},
		{"_x_", "x"},
		{"a.b_c-D9", "a.b_c-D9"},
		{strings.Repeat("a", 63), strings.Repeat("a", 63)},
		{strings.Repeat("a", 52) + "----------------", strings.Repeat("a", 52)}, // short enough once trimmed
		{strings.Repeat("ab/", 30), strings.Repeat("ab-", 17) + "a-" + sha256Hex(strings.Repeat("ab/", 30))[:10]},
		{strings.Repeat("-", 100), ""},
	}
	for _, tt := range tests {
		if got := LabelValue(tt.in); got != tt.want {
			t.Errorf("LabelValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, ``, `  `, `{"a":`, `[1] [2]`, `"\u00e9"`, `12345678901234567890123`, "{\n\"a\": }", "0\f", " \f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := DecodeBody(raw)
		blank := len(bytes.Trim(raw, " \t\r\n")) == 0
		switch {
		case blank:
			if v != nil || err != nil {
				t.Fatalf("blank body: got %v, %v", v, err)
			}
		case json.Valid(raw):
			if err != nil {
				t.Fatalf("valid JSON %q rejected: %v", raw, err)
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("decoded %q cannot be marshalled again: %v", raw, err)
			}
		default:
			if err == nil {
				t.Fatalf("invalid JSON %q accepted as %v", raw, v)
			}
			if !strings.HasPrefix(err.Error(), "body is not valid JSON") {
				t.Fatalf("error %q does not say the body is not valid JSON", err)
			}
		}
	})
}
