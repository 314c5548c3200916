// Package triggers turns a webhook event into the objects a trigger creates:
// it decodes the body, derives the event's identity (so a redelivery renders
// the same names), resolves bindings' $(body...), $(header...) and
// $(extensions...) references, completes the template's params and renders the
// resource templates.
//
// It is pure: no Kubernetes client, no network and no clock. Every error is
// meant to be shown to whoever sent the webhook, so it names the reference,
// param or template field at fault, and never holds a secret.
package triggers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Label and annotation keys set on every rendered object.
const (
	// LabelEventListener holds the name of the EventListener that rendered the object.
	LabelEventListener = "triggers.windlass.dev/eventlistener"
	// LabelTrigger holds the trigger's name, sanitized to a label value.
	LabelTrigger = "triggers.windlass.dev/trigger"
	// LabelDelivery holds the sender's delivery id, when it sent one.
	LabelDelivery = "triggers.windlass.dev/delivery"
	// AnnotationEvent holds the event's full hex digest (Identity.Digest).
	AnnotationEvent = "triggers.windlass.dev/event"
)

// Event is one incoming webhook as the bindings and templates see it.
type Event struct {
	// Body is the decoded JSON body (see DecodeBody): numbers are json.Number.
	Body any
	// RawBody is the body exactly as received.
	RawBody []byte
	// Header holds the request headers.
	Header http.Header
	// Extensions holds fields added by interceptors.
	Extensions map[string]any
}

// DecodeBody parses a JSON body, keeping numbers as json.Number so large
// integers survive. An empty (or all-whitespace) body decodes to nil without
// error: a trigger that does not look at the body still works. The error for
// malformed JSON says where: line, column and byte offset.
func DecodeBody(raw []byte) (any, error) {
	if len(trimJSONSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("body is not valid JSON: %s at %s", se.Error(), position(raw, se.Offset))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("body is not valid JSON: it ends early, at %s", position(raw, int64(len(raw))))
		default:
			return nil, fmt.Errorf("body is not valid JSON: %w", err)
		}
	}
	end := dec.InputOffset()
	if rest := trimJSONSpace(raw[end:]); len(rest) > 0 {
		at := end + int64(bytes.Index(raw[end:], rest[:1]))
		return nil, fmt.Errorf("body is not valid JSON: more data after the JSON value, at %s", position(raw, at+1))
	}
	return v, nil
}

// trimJSONSpace trims what JSON counts as white space (not \f or \v).
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// position renders a 1-based byte offset (as json.SyntaxError gives it, the
// byte just read) as "line L, column C (byte B)".
func position(raw []byte, offset int64) string {
	if offset < 1 {
		offset = 1
	}
	if offset > int64(len(raw)) {
		offset = int64(len(raw))
	}
	before := raw[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int64(len(before))
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		col = int64(len(before) - i - 1)
	}
	return fmt.Sprintf("line %d, column %d (byte %d)", line, col, offset)
}

// Identity is what makes an event the same event when it is delivered again.
type Identity struct {
	// Digest is the hex sha256 of EventType + "\n" + the raw body: a
	// byte-identical redelivery has the same digest.
	Digest string
	// Delivery is the sender's delivery id sanitized to a label value ("" if none).
	Delivery string
	// EventType is the sender's event type ("" if none).
	EventType string
}

// deliveryHeaders and eventTypeHeaders are looked up in order; the first
// present one wins.
var (
	deliveryHeaders  = []string{"X-GitHub-Delivery", "X-Gitea-Delivery", "X-Gitlab-Event-UUID", "X-Request-UUID", "X-Request-Id"}
	eventTypeHeaders = []string{"X-GitHub-Event", "X-Gitea-Event", "X-Gitlab-Event", "X-Event-Key"}
)

// Identify derives an event's identity from its headers and raw body.
func Identify(h http.Header, raw []byte) Identity {
	id := Identity{
		EventType: firstHeader(h, eventTypeHeaders),
		Delivery:  LabelValue(firstHeader(h, deliveryHeaders)),
	}
	sum := sha256.New()
	sum.Write([]byte(id.EventType))
	sum.Write([]byte{'\n'})
	sum.Write(raw)
	id.Digest = hex.EncodeToString(sum.Sum(nil))
	return id
}

// UID is the value of $(uid) in one trigger's rendering: 32 hex digits in
// UUID layout (8-4-4-4-12), derived from the event digest and the trigger
// name only, so rendering the same event again gives the same objects.
func (id Identity) UID(trigger string) string {
	sum := sha256.Sum256([]byte("uid\x00" + id.Digest + "\x00" + trigger))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// firstHeader returns the first value of the first present header of names.
func firstHeader(h http.Header, names []string) string {
	for _, n := range names {
		if v := headerValues(h, n); len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// headerValues looks a header up case-insensitively, also in a Header whose
// keys were not canonicalized (built by hand, or from HTTP/2 lower case).
func headerValues(h http.Header, name string) []string {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

const maxLabelValue = 63

// LabelValue turns s into a valid label value: at most 63 characters of
// [A-Za-z0-9._-], starting and ending with a letter or digit. Other
// characters (each rune) become '-'. A value that is too long is cut and ends in 10 hex
// digits of its sha256, so two long values rarely collide. A value with no
// letter or digit becomes "".
func LabelValue(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf && isLabelChar(byte(r)) {
			b = append(b, byte(r))
		} else {
			b = append(b, '-')
		}
	}
	v := trimToAlnum(string(b))
	if len(v) <= maxLabelValue {
		return v
	}
	sum := sha256.Sum256([]byte(s))
	suffix := hex.EncodeToString(sum[:])[:10]
	head := trimToAlnum(v[:maxLabelValue-len(suffix)-1])
	if head == "" {
		return suffix
	}
	return head + "-" + suffix
}

func isLabelChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_' || c == '.'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func trimToAlnum(s string) string {
	i, j := 0, len(s)
	for i < j && !isAlnum(s[i]) {
		i++
	}
	for j > i && !isAlnum(s[j-1]) {
		j--
	}
	return s[i:j]
}
