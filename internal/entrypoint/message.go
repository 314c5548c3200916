package entrypoint

import (
	"bytes"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/windlass-dev/windlass/internal/contract"
)

// MaxMessageBytes bounds the step's message (before JSON escaping), however
// much termination budget is left: it is quoted in the TaskRun's and the
// PipelineRun's conditions.
const MaxMessageBytes = 1024

// failureMessage returns the first line of the step's message file with the
// secret values masked, cut so that st with the message still fits budget
// bytes of JSON. A missing, empty or unreadable file gives "".
func failureMessage(path string, secrets []string, st contract.State, budget int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	// Read past the cap, so a secret straddling it is still masked whole.
	data, _ := io.ReadAll(io.LimitReader(f, 4*MaxMessageBytes))
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	msg := strings.TrimSpace(strings.ToValidUTF8(string(data), "\uFFFD"))
	msg = mask(msg, secrets)
	if msg == "" {
		return ""
	}
	room := MaxMessageBytes
	if budget > 0 {
		st.Message = ""
		room = min(room, budget-stateJSONLen(st)-len(`,"m":""`))
	}
	return cutJSON(msg, room)
}

// mask replaces each secret value in s with ***.
func mask(s string, secrets []string) string {
	for _, v := range secrets {
		if strings.TrimSpace(v) != "" {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// cutJSON returns the longest prefix of s (ending with … when cut) whose JSON
// string encoding, quotes aside, takes at most room bytes.
func cutJSON(s string, room int) string {
	const ellipsis = "…"
	if jsonLen(s) <= room {
		return s
	}
	room -= len(ellipsis)
	n := 0
	for i, r := range s {
		n += jsonRuneLen(r)
		if n > room {
			if i == 0 {
				return ""
			}
			return strings.TrimSpace(s[:i]) + ellipsis
		}
	}
	return s
}

func jsonLen(s string) int {
	n := 0
	for _, r := range s {
		n += jsonRuneLen(r)
	}
	return n
}

// jsonRuneLen is how many bytes encoding/json writes for r inside a string
// (s is valid UTF-8, so RuneError is a real U+FFFD).
func jsonRuneLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
		return 6 // \u00XX, and the HTML-safe escapes encoding/json applies
	default:
		return utf8.RuneLen(r)
	}
}

func stateJSONLen(st contract.State) int {
	b, _ := st.Encode()
	return len(b)
}
