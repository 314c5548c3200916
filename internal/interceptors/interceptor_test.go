package interceptors

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"hash"
	"net/http"
	"strings"
	"testing"
)

const (
	secretValue = "s3cret-value"
	pushJSON    = `{"ref":"refs/heads/main","after":"0123456789abcdef"}`
)

// fakeSecrets holds key "token" of Secret "webhook" and an empty key "empty"
// in namespace "ns"; anything else is an error, as a missing key would be.
func fakeSecrets(_ context.Context, namespace, name, key string) ([]byte, error) {
	if namespace == "ns" && name == "webhook" {
		switch key {
		case "token":
			return []byte(secretValue), nil
		case "empty":
			return []byte{}, nil
		}
	}
	return nil, fmt.Errorf("secret %s/%s has no key %q", namespace, name, key)
}

func params(kv ...string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = json.RawMessage(kv[i+1])
	}
	return out
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func sign(newHash func() hash.Hash, key, body string) string {
	m := hmac.New(newHash, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

var (
	sha256Sig = "sha256=" + sign(sha256.New, secretValue, pushJSON)
	sha1Sig   = "sha1=" + sign(sha1.New, secretValue, pushJSON)
	wrongSig  = "sha256=" + sign(sha256.New, "another secret", pushJSON)
)

const goodRef = `{"secretName":"webhook","secretKey":"token"}`

// interceptorCase is one table entry shared by the github, gitlab and bitbucket tests.
type interceptorCase struct {
	name     string
	params   map[string]json.RawMessage
	header   http.Header
	body     string // pushJSON when empty
	secrets  SecretGetter
	noGetter bool // call with a nil SecretGetter
	want     Code
	msg      string // a substring of the message
}

func runInterceptorCases(t *testing.T, name string, tests []interceptorCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := tt.secrets
			if get == nil && !tt.noGetter {
				get = fakeSecrets
			}
			body := tt.body
			if body == "" {
				body = pushJSON
			}
			r := &Request{Body: []byte(body), Header: tt.header, Params: tt.params, Namespace: "ns"}
			got := Builtin(name, get).Process(context.Background(), r)
			if got.Code != tt.want || !strings.Contains(got.Message, tt.msg) {
				t.Fatalf("got %v %q; want %v with a message containing %q", got.Code, got.Message, tt.want, tt.msg)
			}
			if strings.Contains(got.Message, secretValue) {
				t.Fatalf("message %q holds the secret", got.Message)
			}
			if got.Code != OK && got.Message == "" {
				t.Fatalf("%v without a message", got.Code)
			}
		})
	}
}

// badParamCases are the params errors every VCS interceptor reports the same way.
func badParamCases() []interceptorCase {
	return []interceptorCase{
		{name: "secretRef is a string", params: params("secretRef", `"webhook"`), want: ConfigError,
			msg: `param "secretRef" must be an object {"secretName": ..., "secretKey": ...}, not a string`},
		{name: "secretRef without secretKey", params: params("secretRef", `{"secretName":"webhook"}`), want: ConfigError,
			msg: `param "secretRef" needs both secretName and secretKey`},
		{name: "secretRef with an unknown field", params: params("secretRef", `{"secretName":"webhook","secretKey":"token","key":"x"}`), want: ConfigError,
			msg: `param "secretRef" must be an object {"secretName": ..., "secretKey": ...}, not an object that does not fit (json: unknown field "key")`},
		{name: "secretRef is null", params: params("secretRef", `null`), want: ConfigError, msg: `param "secretRef" must be an object`},
		{name: "eventTypes is a string", params: params("eventTypes", `"push"`), want: ConfigError,
			msg: `param "eventTypes" must be a list of strings, not a string`},
		{name: "eventTypes holds numbers", params: params("eventTypes", `[1]`), want: ConfigError,
			msg: `param "eventTypes" must be a list of strings, not a list that does not fit`},
		{name: "eventTypes is empty", params: params("eventTypes", `[]`), want: ConfigError, msg: `param "eventTypes" is empty`},
		{name: "unknown param", params: params("secretRef", goodRef, "addChangedFiles", `{}`), want: ConfigError,
			msg: `unknown param "addChangedFiles": the interceptor takes secretRef, eventTypes`},
		{name: "missing secret key is Unavailable", params: params("secretRef", `{"secretName":"webhook","secretKey":"nope"}`),
			want: Unavailable, msg: `cannot read key "nope" of secret "webhook" in namespace "ns": secret ns/webhook has no key "nope"`},
		{name: "no secret reader", params: params("secretRef", goodRef), noGetter: true, want: Unavailable, msg: "the listener has no secret reader"},
		{name: "empty secret", params: params("secretRef", `{"secretName":"webhook","secretKey":"empty"}`), want: ConfigError,
			msg: `key "empty" of secret "webhook" in namespace "ns" is empty`},
	}
}

func TestBuiltin(t *testing.T) {
	for _, name := range []string{"github", "gitlab", "bitbucket", "cel"} {
		if Builtin(name, nil) == nil {
			t.Errorf("Builtin(%q) is nil", name)
		}
	}
	for _, name := range []string{"", "GitHub", "webhook", "my-interceptor"} {
		if Builtin(name, nil) != nil {
			t.Errorf("Builtin(%q) is not nil", name)
		}
	}
}

func TestCodeString(t *testing.T) {
	want := map[Code]string{OK: "OK", Filtered: "Filtered", Unauthenticated: "Unauthenticated", PermissionDenied: "PermissionDenied",
		InvalidArgument: "InvalidArgument", ConfigError: "ConfigError", Unavailable: "Unavailable", Code(42): "Code(42)", Code(-1): "Code(-1)"}
	for c, s := range want {
		if c.String() != s {
			t.Errorf("Code(%d).String() = %q, want %q", int(c), c.String(), s)
		}
	}
}

func TestSecretGetterErrorIsWrapped(t *testing.T) {
	// The getter's error is reported, but Unavailable whatever it is.
	get := func(context.Context, string, string, string) ([]byte, error) { return nil, errors.New("forbidden") }
	r := &Request{Header: hdr("X-Hub-Signature-256", sha256Sig), Params: params("secretRef", goodRef), Namespace: "ns"}
	if got := Builtin("github", get).Process(context.Background(), r); got.Code != Unavailable || !strings.Contains(got.Message, "forbidden") {
		t.Fatalf("got %v %q", got.Code, got.Message)
	}
}

// TestConstantTimeComparisons is a code-review guard, not a timing test:
// signatures and tokens must be compared with hmac.Equal or
// subtle.ConstantTimeCompare (through verifyHMAC and tokenEqual), never with
// bytes.Equal or ==.
func TestConstantTimeComparisons(t *testing.T) {
	fset := token.NewFileSet()
	calls := map[string]map[string]bool{} // "file:func" -> what it calls (pkg.Func or func)
	for _, file := range []string{"github.go", "gitlab.go", "bitbucket.go", "interceptor.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			called := map[string]bool{}
			ast.Inspect(fn, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				switch f := call.Fun.(type) {
				case *ast.Ident:
					called[f.Name] = true
				case *ast.SelectorExpr:
					if id, ok := f.X.(*ast.Ident); ok {
						called[id.Name+"."+f.Sel.Name] = true
					}
				}
				return true
			})
			calls[file+":"+fn.Name.Name] = called
			if called["bytes.Equal"] || called["bytes.Compare"] || called["strings.Compare"] {
				t.Errorf("%s: %s compares with bytes.Equal or Compare; use hmac.Equal or subtle.ConstantTimeCompare", file, fn.Name.Name)
			}
		}
	}
	for fn, want := range map[string]string{
		"github.go:verifyHMAC":   "hmac.Equal",
		"gitlab.go:tokenEqual":   "subtle.ConstantTimeCompare",
		"github.go:verifyGitHub": "verifyHMAC",
		"bitbucket.go:Process":   "verifyHMAC",
		"gitlab.go:Process":      "tokenEqual",
	} {
		if !calls[fn][want] {
			t.Errorf("%s does not call %s", fn, want)
		}
	}
}
