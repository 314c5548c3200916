package contract

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzResultsFrame: any results survive the frame (encode, then decode from
// a log tail with other lines around it), and decoding any log tail never
// panics: it returns results or an error.
func FuzzResultsFrame(f *testing.F) {
	f.Add("digest", "sha256:abc", "before\n", "\nafter")
	f.Add("", "", "", "")
	f.Add("k", "::windlass-results:v1:", "::windlass-results:v1:AAAA:00::\n", "")
	f.Add("ünï", "line1\nline2\x00", "x", "::windlass-results:v1:")
	f.Fuzz(func(t *testing.T, key, value, before, after string) {
		if _, err := DecodeResultsFrame(before + after); err == nil && !strings.Contains(before+after, ResultsFramePrefix) {
			t.Fatal("a log without a frame decoded")
		}
		in := map[string]string{key: value, "other": strings.Repeat(value, 3)}
		line, err := EncodeResultsFrame(in)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsRune(line, '\n') {
			t.Fatalf("the frame spans lines: %q", line)
		}
		if strings.Contains(after, ResultsFramePrefix) {
			return // a later frame in the log wins, by design
		}
		got, err := DecodeResultsFrame(before + "\n" + line + "\n" + after)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !validUTF8Map(in) {
			return // JSON replaces invalid UTF-8: not a round trip, but never a panic
		}
		if !maps.Equal(got, in) {
			t.Fatalf("round trip: got %q, want %q", got, in)
		}
	})
}

// FuzzParseState: a termination message is either a state with a reason or
// an error, whatever the kubelet hands back (cut, empty, another program's
// text); a state the entrypoint writes parses back as it was.
func FuzzParseState(f *testing.F) {
	f.Add(`{"c":0,"r":"Completed"}`, 0, "Completed", "m", int64(1), false)
	f.Add(`{"c":1,"r":"Error","m":"boom","res":{"a":"b"}}`, 1, "Error", "", int64(0), true)
	f.Add(``, 137, "", "", int64(0), false)
	f.Add(`{"c":"x"}`, 2, "TimeoutExceeded", "line\nline", int64(-5), false)
	f.Fuzz(func(t *testing.T, msg string, code int, reason, message string, ts int64, inLog bool) {
		if s, err := ParseState(msg); err == nil {
			if s.Reason == "" {
				t.Fatalf("%q parsed without a reason", msg)
			}
			// What is read encodes back to the same State (an empty "res"
			// is read as an empty map and not written again).
			b, err := s.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if again, err := ParseState(string(b)); err != nil || !cmp.Equal(s, again, cmpopts.EquateEmpty()) {
				t.Fatalf("%q: read %+v, encoded %s, read again %+v (%v)", msg, s, b, again, err)
			}
		}
		if reason == "" || !validUTF8Map(map[string]string{reason: message}) {
			return
		}
		in := State{ExitCode: code, Reason: reason, Message: message, StartedAt: ts, FinishedAt: ts, ResultsInLog: inLog}
		b, err := in.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseState(string(b))
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got.ExitCode != in.ExitCode || got.Reason != in.Reason || got.Message != in.Message || got.StartedAt != in.StartedAt || got.ResultsInLog != in.ResultsInLog {
			t.Fatalf("round trip: got %+v, want %+v", got, in)
		}
	})
}

// validUTF8Map: JSON carries only valid UTF-8 unchanged.
func validUTF8Map(m map[string]string) bool {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}
