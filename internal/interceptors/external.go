package interceptors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
)

// InterceptorRequest is what an external (ClusterInterceptor or webhook)
// interceptor receives, in Tekton Triggers' JSON shape.
type InterceptorRequest struct {
	// Body is the raw body as a string.
	Body string `json:"body"`
	// Header holds the request headers.
	Header map[string][]string `json:"header"`
	// Extensions holds the fields earlier interceptors added.
	Extensions map[string]any `json:"extensions"`
	// InterceptorParams are the interceptor's params, decoded.
	InterceptorParams map[string]any `json:"interceptor_params"`
	// Context says which event and trigger the request is for.
	Context *TriggerContext `json:"context"`
}

// TriggerContext says which event and trigger an InterceptorRequest is for.
type TriggerContext struct {
	// EventURL is the URL the event was sent to.
	EventURL string `json:"event_url"`
	// EventID identifies the event.
	EventID string `json:"event_id"`
	// TriggerID identifies the trigger, e.g. namespaces/<ns>/triggers/<name>.
	TriggerID string `json:"trigger_id"`
}

// InterceptorResponse is an external interceptor's answer, in Tekton
// Triggers' JSON shape.
type InterceptorResponse struct {
	// Extensions are fields to merge into the event's extensions.
	Extensions map[string]any `json:"extensions,omitempty"`
	// Continue says whether the event goes on to the next interceptor.
	Continue bool `json:"continue"`
	// Status says why, when the event does not continue.
	Status InterceptorStatus `json:"status"`
}

// InterceptorStatus is a gRPC status code and message. When decoding, code
// may also be a name: "FAILED_PRECONDITION" (gRPC's JSON mapping) or
// "FailedPrecondition".
type InterceptorStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
}

// UnmarshalJSON accepts the code as a number or as a gRPC code name.
func (s *InterceptorStatus) UnmarshalJSON(b []byte) error {
	var aux struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*s = InterceptorStatus{Message: aux.Message}
	raw := bytes.TrimSpace(aux.Code)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '"' {
		return json.Unmarshal(raw, &s.Code)
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return err
	}
	var c codes.Code
	if err := c.UnmarshalJSON([]byte(`"` + upperSnake(name) + `"`)); err != nil {
		return fmt.Errorf("status code %q is not a gRPC code", name)
	}
	s.Code = int(c)
	return nil
}

// upperSnake turns FailedPrecondition (gRPC's Go name) or
// failed_precondition into FAILED_PRECONDITION (its JSON name).
func upperSnake(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i > 0 && c >= 'A' && c <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z' {
			b.WriteByte('_')
		}
		b.WriteByte(c)
	}
	return strings.ToUpper(b.String())
}

// NewExternalRequest builds the request an external interceptor receives.
// A param whose value is not valid JSON is sent as a string.
func NewExternalRequest(r *Request, eventID, triggerID string) InterceptorRequest {
	header := make(map[string][]string, len(r.Header))
	for k, v := range r.Header {
		header[k] = append([]string(nil), v...)
	}
	extensions := r.Extensions
	if extensions == nil {
		extensions = map[string]any{}
	}
	params := make(map[string]any, len(r.Params))
	for name, raw := range r.Params {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			v = string(raw)
		}
		params[name] = v
	}
	return InterceptorRequest{
		Body:              string(r.Body),
		Header:            header,
		Extensions:        extensions,
		InterceptorParams: params,
		Context:           &TriggerContext{EventURL: r.RequestURL, EventID: eventID, TriggerID: triggerID},
	}
}

// FromExternal maps an external interceptor's answer to a Response.
//
// continue: true is OK, whatever the status, with the answer's extensions.
// Otherwise the gRPC status code decides:
//
//	OK (0), FailedPrecondition (9)   Filtered: the event is not for this trigger
//	InvalidArgument (3)              InvalidArgument
//	PermissionDenied (7)             PermissionDenied
//	Unauthenticated (16)             Unauthenticated
//	anything else (Internal (13),    Unavailable: the interceptor failed, which
//	Unavailable (14), Unknown (2)…)  is not the sender's fault nor, as far as the
//	                                 listener can tell, the trigger's config
func FromExternal(r InterceptorResponse) Response {
	if r.Continue {
		return Response{Code: OK, Message: r.Status.Message, Extensions: r.Extensions}
	}
	c := codes.Code(uint32(r.Status.Code))
	var code Code
	switch c {
	case codes.OK, codes.FailedPrecondition:
		code = Filtered
	case codes.InvalidArgument:
		code = InvalidArgument
	case codes.PermissionDenied:
		code = PermissionDenied
	case codes.Unauthenticated:
		code = Unauthenticated
	default:
		code = Unavailable
	}
	msg := r.Status.Message
	if msg == "" {
		msg = "the interceptor did not let the event through"
	}
	return Response{Code: code, Message: fmt.Sprintf("%s (code %s)", msg, c)}
}

// MergeExtensions merges src into dst and returns dst (a new map when dst is
// nil). Objects present in both are merged key by key, so overlays "a.b" and
// "a.c" from two interceptors both survive; any other value in src replaces
// dst's. Objects taken from src are copied, never shared.
func MergeExtensions(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = make(map[string]any, len(src))
	}
	for k, v := range src {
		sv, srcObj := v.(map[string]any)
		dv, dstObj := dst[k].(map[string]any)
		switch {
		case srcObj && dstObj:
			dst[k] = MergeExtensions(dv, sv)
		case srcObj:
			dst[k] = MergeExtensions(nil, sv)
		default:
			dst[k] = v
		}
	}
	return dst
}
