// Package interceptors holds the built-in interceptors (github, gitlab,
// bitbucket and cel) and the JSON shapes of the external interceptor
// contract. An interceptor looks at an event before the bindings do: it
// checks the sender's signature or token, filters events out, or adds fields
// under $(extensions...).
//
// It is pure: the only I/O is reading a Secret through the SecretGetter the
// caller injects. Messages are shown to whoever sent the webhook, so they
// name the header or param at fault and never hold a secret's value.
package interceptors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Code says how an interceptor ended; the sink maps it to an HTTP answer.
type Code int

// The ways an interceptor ends.
const (
	// OK lets the event continue.
	OK Code = iota
	// Filtered says the event is not for this trigger (event type, CEL filter
	// false): a 200, not an error.
	Filtered
	// Unauthenticated says the signature or token is missing: 401.
	Unauthenticated
	// PermissionDenied says the signature or token is wrong: 403.
	PermissionDenied
	// InvalidArgument says the event is malformed for this interceptor, e.g. an
	// overlay on a missing field: 422.
	InvalidArgument
	// ConfigError says the trigger's interceptor config is wrong (bad param,
	// bad CEL, unknown interceptor): 500.
	ConfigError
	// Unavailable says a secret could not be read or an external interceptor
	// is down: 503.
	Unavailable
)

var codeNames = [...]string{"OK", "Filtered", "Unauthenticated", "PermissionDenied", "InvalidArgument", "ConfigError", "Unavailable"}

// String returns the code's name.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Request is what an interceptor sees of an event.
type Request struct {
	// Body is the raw body.
	Body []byte
	// Decoded is the decoded JSON body (triggers.Event.Body).
	Decoded any
	// Header holds the request headers.
	Header http.Header
	// Extensions holds fields added by earlier interceptors.
	Extensions map[string]any
	// Params are the interceptor's params by name, each value the raw JSON
	// of InterceptorParams.Value.
	Params map[string]json.RawMessage
	// Namespace is the trigger's namespace, where secrets are read.
	Namespace string
	// RequestURL is the URL the event was sent to.
	RequestURL string
}

// Response is how an interceptor ended.
type Response struct {
	// Code says whether the event continues, and if not why.
	Code Code
	// Message says why, for the answer and logs; never holds secret values.
	Message string
	// Extensions are fields to merge into the event's extensions (see MergeExtensions).
	Extensions map[string]any
}

// SecretGetter reads one key of a Secret in the trigger's namespace.
type SecretGetter func(ctx context.Context, namespace, name, key string) ([]byte, error)

// Interceptor is one built-in interceptor.
type Interceptor interface {
	Process(ctx context.Context, r *Request) Response
}

// Builtin returns the built-in interceptor of that name (github, gitlab,
// bitbucket, cel) or nil. secrets may be nil for cel, which reads none.
func Builtin(name string, secrets SecretGetter) Interceptor {
	switch name {
	case "github":
		return gitHub{secrets: secrets}
	case "gitlab":
		return gitLab{secrets: secrets}
	case "bitbucket":
		return bitbucket{secrets: secrets}
	case "cel":
		return celInterceptor{}
	}
	return nil
}

func respond(code Code, format string, args ...any) Response {
	return Response{Code: code, Message: fmt.Sprintf(format, args...)}
}

// checkParams returns a ConfigError for a param the interceptor does not take.
func checkParams(params map[string]json.RawMessage, known ...string) *Response {
	var unknown []string
	for name := range params {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	r := respond(ConfigError, "unknown param %q: the interceptor takes %s", unknown[0], strings.Join(known, ", "))
	return &r
}

// strictUnmarshal decodes JSON, refusing unknown fields and trailing data.
func strictUnmarshal(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more data after the value")
	}
	return nil
}

// jsonKind names the JSON type of raw for messages.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// secretRef names the key of a Secret holding a webhook secret.
type secretRef struct {
	SecretName string `json:"secretName"`
	SecretKey  string `json:"secretKey"`
}

// vcsParams are the params the github, gitlab and bitbucket interceptors take.
type vcsParams struct {
	secret     *secretRef
	eventTypes []string
}

func parseVCSParams(params map[string]json.RawMessage) (vcsParams, *Response) {
	var p vcsParams
	if r := checkParams(params, "secretRef", "eventTypes"); r != nil {
		return p, r
	}
	if raw, ok := params["secretRef"]; ok {
		var ref secretRef
		if err := strictUnmarshal(raw, &ref); err != nil || jsonKind(raw) != "an object" {
			r := respond(ConfigError, `param "secretRef" must be an object {"secretName": ..., "secretKey": ...}, not %s`, describe(raw, err))
			return p, &r
		}
		if ref.SecretName == "" || ref.SecretKey == "" {
			r := respond(ConfigError, `param "secretRef" needs both secretName and secretKey`)
			return p, &r
		}
		p.secret = &ref
	}
	if raw, ok := params["eventTypes"]; ok {
		if err := strictUnmarshal(raw, &p.eventTypes); err != nil || jsonKind(raw) != "a list" {
			r := respond(ConfigError, `param "eventTypes" must be a list of strings, not %s`, describe(raw, err))
			return p, &r
		}
		if len(p.eventTypes) == 0 {
			r := respond(ConfigError, `param "eventTypes" is empty: every event would be filtered out (leave it out to accept every event type)`)
			return p, &r
		}
	}
	return p, nil
}

// describe says what a param's value is, for messages: its JSON kind, or
// the decoding error when the kind is right but the content is not.
func describe(raw json.RawMessage, err error) string {
	k := jsonKind(raw)
	if err != nil && (k == "an object" || k == "a list") {
		return fmt.Sprintf("%s that does not fit (%v)", k, err)
	}
	return k
}

// readSecret reads the secret a secretRef names. Failing to read it is
// Unavailable; an empty value is a ConfigError (an empty HMAC key or token
// would let anyone through).
func readSecret(ctx context.Context, get SecretGetter, namespace string, ref *secretRef) ([]byte, *Response) {
	where := fmt.Sprintf("key %q of secret %q in namespace %q", ref.SecretKey, ref.SecretName, namespace)
	if get == nil {
		r := respond(Unavailable, "cannot read %s: the listener has no secret reader", where)
		return nil, &r
	}
	v, err := get(ctx, namespace, ref.SecretName, ref.SecretKey)
	if err != nil {
		r := respond(Unavailable, "cannot read %s: %v", where, err)
		return nil, &r
	}
	if len(v) == 0 {
		r := respond(ConfigError, "%s is empty", where)
		return nil, &r
	}
	return v, nil
}

// matchEventType filters out an event whose type (the first present of
// headers) is not one of types. No types means every event matches.
func matchEventType(h http.Header, types []string, headers ...string) *Response {
	if len(types) == 0 {
		return nil
	}
	var et string
	for _, name := range headers {
		if et = headerGet(h, name); et != "" {
			break
		}
	}
	if et == "" {
		r := respond(Filtered, "the request has no %s header; eventTypes is %v", headers[0], types)
		return &r
	}
	if !slices.Contains(types, et) {
		r := respond(Filtered, "event type %q is not one of %v", et, types)
		return &r
	}
	return nil
}

// headerGet returns a header's first value, looking its name up
// case-insensitively even in a Header with non-canonical keys.
func headerGet(h http.Header, name string) string {
	if v := h[http.CanonicalHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
