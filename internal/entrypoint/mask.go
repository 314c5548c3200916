package entrypoint

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/windlass-dev/windlass/internal/contract"
)

// MinMaskLen is the shortest secret line that is masked. Shorter values
// ("1", "yes", "dev") occur everywhere in logs: masking them would garble the
// log without protecting anything worth the name.
const MinMaskLen = 4

// maskText replaces a secret in the step's output.
const maskText = "***"

// Masks are the secret patterns of one step, shared by its output streams.
//
// A value is masked line by line, as a whole line and trimmed of surrounding
// blanks: a PEM key printed in full, or one line of it, is masked either way.
// As no pattern holds a line break, a line break ends every possible match,
// which lets the streams flush each complete line at once.
type Masks struct {
	patterns map[uint32][][]byte // by the first MinMaskLen bytes, longest first
	first    [1 << 16 / 64]uint64
	short    map[string]bool // the patterns' prefixes shorter than MinMaskLen
	maxLen   int
}

// NewMasks returns the patterns of values; nil when no line of any value is
// long enough to be masked.
func NewMasks(values []string) *Masks {
	m := &Masks{patterns: map[uint32][][]byte{}, short: map[string]bool{}}
	seen := map[string]bool{}
	for _, v := range values {
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			line = strings.TrimSpace(line)
			if len(line) < MinMaskLen || seen[line] {
				continue
			}
			seen[line] = true
			k := key(line)
			m.patterns[k] = append(m.patterns[k], []byte(line))
			p := uint16(line[0])<<8 | uint16(line[1])
			m.first[p/64] |= 1 << (p % 64)
			m.maxLen = max(m.maxLen, len(line))
			for n := 1; n < MinMaskLen; n++ {
				m.short[line[:n]] = true
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	for _, ps := range m.patterns {
		slices.SortFunc(ps, func(a, b []byte) int { return len(b) - len(a) })
	}
	return m
}

func key[T string | []byte](s T) uint32 {
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}

// match is the length of the longest pattern at the start of b, or 0. b must
// hold every byte a pattern starting there could need (or end the stream).
func (m *Masks) match(b []byte) int {
	if len(b) < MinMaskLen {
		return 0
	}
	if p := uint16(b[0])<<8 | uint16(b[1]); m.first[p/64]&(1<<(p%64)) == 0 {
		return 0
	}
	for _, p := range m.patterns[key(b)] {
		if bytes.HasPrefix(b, p) {
			return len(p)
		}
	}
	return 0
}

// mayBegin tells whether a pattern may start at b, the undecided end of
// the stream: b is a prefix of one, or one is a prefix of b (and a longer one
// may follow).
func (m *Masks) mayBegin(b []byte) bool {
	if len(b) < MinMaskLen {
		return m.short[string(b)]
	}
	for _, p := range m.patterns[key(b)] {
		if bytes.HasPrefix(p, b) || bytes.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

// Writer returns a writer that masks the patterns in what it passes to w.
// Complete lines go through at once; of an unfinished line, the last bytes
// that may be the start of a secret are held until more data arrives or
// Flush. With no patterns (nil Masks) it passes everything through.
func (m *Masks) Writer(w io.Writer) *MaskWriter {
	return &MaskWriter{m: m, w: w}
}

// MaskWriter masks one output stream; see Masks.Writer. It is safe for
// concurrent use.
type MaskWriter struct {
	mu      sync.Mutex
	m       *Masks
	w       io.Writer
	pending []byte
	err     error
}

// Write takes p in full (the error is the underlying writer's).
func (mw *MaskWriter) Write(p []byte) (int, error) {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.m == nil {
		return mw.w.Write(p)
	}
	mw.pending = append(mw.pending, p...)
	mw.process(false)
	return len(p), mw.err
}

// Flush writes what is held back, masked: the stream has ended.
func (mw *MaskWriter) Flush() error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if mw.m != nil {
		mw.process(true)
	}
	return mw.err
}

// process writes out the pending bytes whose fate is decided. A position is
// decided when every byte a pattern starting there could need is here: up to
// maxLen bytes on, or up to a later line break (no pattern holds one), or all
// of them once the stream has ended.
func (mw *MaskWriter) process(final bool) {
	buf, m := mw.pending, mw.m
	cut := len(buf)
	if !final {
		cut = max(len(buf)-m.maxLen+1, bytes.LastIndexAny(buf, "\r\n")+1)
	}
	var out []byte
	plain, i := 0, 0
scan:
	for i < cut {
		n := m.match(buf[i:])
		if n == 0 {
			i++
			continue
		}
		// Overlapping secrets are masked as one: extend the match over every
		// pattern that starts inside it and ends past it.
		end := i + n
		for j := i + 1; j < end; j++ {
			if j >= cut {
				break scan // wait for the bytes that decide it
			}
			if k := m.match(buf[j:]); j+k > end {
				end = j + k
			}
		}
		out = append(append(out, buf[plain:i]...), maskText...)
		plain, i = end, end
	}
	// Of the undecided bytes, those that cannot begin a secret go out too.
	for i < len(buf) && i >= cut && !final && !m.mayBegin(buf[i:]) {
		i++
	}
	out = append(out, buf[plain:i]...)
	if len(out) > 0 && mw.err == nil {
		_, mw.err = mw.w.Write(out)
	}
	mw.pending = append(mw.pending[:0], buf[i:]...)
}

// Secret sources of a step, read by the entrypoint at start: the values never
// pass through the pod spec.
const (
	maxSecretFile  = 1 << 20 // a Secret holds at most 1 MiB
	maxSecretBytes = 8 << 20
	maxSecretDepth = 8
)

// SecretValues returns the values of the named environment variables and the
// contents of the files under paths (a file, or a directory read recursively,
// as the kubelet lays out Secret volumes: its ..data entries are skipped,
// their symlinked keys followed). What cannot be read is skipped: the step,
// running as the same user, cannot read it either.
func SecretValues(env, paths []string, creds []contract.Credential) []string {
	var out []string
	for _, name := range env {
		if v, ok := os.LookupEnv(name); ok {
			out = append(out, v)
		}
	}
	budget := maxSecretBytes
	for _, p := range paths {
		out = readSecretFiles(p, 0, &budget, out)
	}
	return append(out, secretValues(creds)...)
}

func readSecretFiles(path string, depth int, budget *int, out []string) []string {
	fi, err := os.Stat(path)
	if err != nil || depth > maxSecretDepth || *budget <= 0 {
		return out
	}
	if fi.Mode().IsRegular() {
		if fi.Size() > maxSecretFile {
			return out
		}
		if data, err := os.ReadFile(path); err == nil {
			*budget -= len(data)
			out = append(out, string(data))
		}
		return out
	}
	if !fi.IsDir() {
		return out
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return out
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue // the kubelet's ..data and timestamped directories
		}
		out = readSecretFiles(filepath.Join(path, e.Name()), depth+1, budget, out)
	}
	return out
}
