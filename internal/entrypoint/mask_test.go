package entrypoint

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/windlass-dev/windlass/internal/contract"
)

// chunkWriter records each write, to check what was let through when.
type chunkWriter struct {
	mu     sync.Mutex
	writes []string
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func (c *chunkWriter) String() string { return strings.Join(c.writes, "") }

func maskAll(t *testing.T, secrets []string, chunks ...string) string {
	t.Helper()
	var out chunkWriter
	w := NewMasks(secrets).Writer(&out)
	for _, c := range chunks {
		if n, err := w.Write([]byte(c)); n != len(c) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", c, n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestMaskWriter(t *testing.T) {
	pem := "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----\n"
	tests := []struct {
		name    string
		secrets []string
		chunks  []string
		want    string
	}{
		{"no secrets pass everything", nil, []string{"hello ", "world\n"}, "hello world\n"},
		{"one write", []string{"hunter22"}, []string{"pw=hunter22\n"}, "pw=***\n"},
		{"split over two writes", []string{"hunter22"}, []string{"pw=hunt", "er22\n"}, "pw=***\n"},
		{"split byte by byte", []string{"hunter22"}, strings.Split("a hunter22 b hunter22", ""), "a *** b ***"},
		{"secret at EOF without newline", []string{"hunter22"}, []string{"x", "hunter22"}, "x***"},
		{"a prefix at EOF is not a secret", []string{"hunter22"}, []string{"x hunter2"}, "x hunter2"},
		{"repeated and adjacent", []string{"abcd"}, []string{"abcdabcd abcd\nabcd"}, "****** ***\n***"},
		{"longest of two at the same place", []string{"token", "token-long"}, []string{"a token-long b token c"}, "a *** b *** c"},
		{"overlapping secrets are masked as one", []string{"abcdef", "defghi"}, []string{"xxabcdefghiyy\n"}, "xx***yy\n"},
		{"overlap across writes", []string{"abcdef", "defghi"}, []string{"xxabcd", "efg", "hiyy"}, "xx***yy"},
		{"contained secret", []string{"abcdefgh", "cdef"}, []string{"1abcdefgh2cdef3"}, "1***2***3"},
		{"multi-byte value split inside a rune", []string{"pässwörd"}, []string{"[p\xc3", "\xa4ssw\xc3", "\xb6rd]"}, "[***]"},
		{"multi-byte neighbours stay intact", []string{"geheim"}, []string{"ü geheim ü"}, "ü *** ü"},
		{"short values are not masked", []string{"abc", "", "  ", "1"}, []string{"abc 1 x\n"}, "abc 1 x\n"},
		{"trailing newline of a file value", []string{"s3cr3t-token\n"}, []string{"tok: s3cr3t-token.\n"}, "tok: ***.\n"},
		{"value surrounded by blanks", []string{"  s3cr3t  "}, []string{"v=s3cr3t;\n"}, "v=***;\n"},
		{"multi-line value, each line", []string{pem}, []string{"key: " + pem}, "key: ***\n***\n***\n***\n"},
		{"one line of a multi-line value", []string{pem}, []string{"BKcwggSjAgEAAoIBAQC7\n"}, "***\n"},
		{"CRLF lines", []string{"line-one\r\nline-two"}, []string{"line-one\r\nline-two\r\n"}, "***\r\n***\r\n"},
		{"long line", []string{"needle-in-hay"}, []string{strings.Repeat("hay ", 5000) + "needle-in-hay" + strings.Repeat(" hay", 5000)},
			strings.Repeat("hay ", 5000) + "***" + strings.Repeat(" hay", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskAll(t, tt.secrets, tt.chunks...); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// Every way of cutting the input into three writes gives the same output as
// one write: the masking does not depend on how the step's writes fall.
func TestMaskWriterAnySplit(t *testing.T) {
	secrets := []string{"abcdef", "defghi", "ghij", "pässwörd", "zzzz"}
	in := "xabcdefghijy pässwörd zzzzz abcde\nfghi ghij\n"
	want := maskAll(t, secrets, in)
	if strings.Contains(want, "abcdef") || strings.Contains(want, "pässwörd") || strings.Contains(want, "zzzz") {
		t.Fatalf("unmasked: %q", want)
	}
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			if got := maskAll(t, secrets, in[:i], in[i:j], in[j:]); got != want {
				t.Fatalf("split at %d,%d: got %q, want %q", i, j, got, want)
			}
		}
	}
}

// Complete lines go out at once; of an unfinished line only the bytes that
// may begin a secret are held.
func TestMaskWriterIsPrompt(t *testing.T) {
	var out chunkWriter
	w := NewMasks([]string{"secret-value"}).Writer(&out)
	_, _ = w.Write([]byte("line one\nline two is long enough to go out, secr"))
	if got := out.String(); got != "line one\nline two is long enough to go out, " || w.pending == nil {
		t.Fatalf("after the first write: %q", got)
	}
	_, _ = w.Write([]byte("et-value!\n"))
	if got := out.String(); !strings.HasSuffix(got, "out, ***!\n") {
		t.Fatalf("after the newline: %q", got)
	}
	_, _ = w.Write([]byte("progress 50%"))
	if got := out.String(); !strings.HasSuffix(got, "\nprogress 50%") {
		t.Fatalf("a partial line that cannot begin a secret is held: %q", got)
	}
	_, _ = w.Write([]byte(" secret-v"))
	before := out.String()
	if !strings.HasSuffix(before, "50% ") {
		t.Fatalf("held too much or too little: %q", before)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != before+"secret-v" {
		t.Fatalf("flush: %q", out.String())
	}
}

func TestMaskWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := NewMasks([]string{"hunter22"}).Writer(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = w.Write([]byte("hunter22\n"))
			}
		})
	}
	wg.Wait()
	_ = w.Flush()
	if got := strings.Count(out.String(), "***\n"); got != 800 || strings.Contains(out.String(), "hunter") {
		t.Fatalf("%d masked lines; output has the secret: %v", got, strings.Contains(out.String(), "hunter"))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestSecretValues(t *testing.T) {
	t.Setenv("WL_TEST_SECRET", "from-env")
	t.Setenv("WL_TEST_PLAIN", "not-asked")
	dir := t.TempDir()
	// The kubelet's layout: keys are symlinks into ..data, a timestamped directory.
	data := filepath.Join(dir, "..2026_12_07")
	for name, v := range map[string]string{"token": "from-file", "nested/key": "from-nested"} {
		p := filepath.Join(data, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"..2026_12_07", filepath.Join(dir, "..data")}, {"..data/token", filepath.Join(dir, "token")}, {"..data/nested", filepath.Join(dir, "nested")}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	single := filepath.Join(t.TempDir(), "one")
	if err := os.WriteFile(single, []byte("from-subpath"), 0o644); err != nil {
		t.Fatal(err)
	}
	creds := []contract.Credential{{Kind: "git", URL: "https://git.example", Type: SecretBasicAuth,
		Dir: secretDir(t, map[string]string{"username": "bot", "password": "from-creds"})}}
	got := SecretValues([]string{"WL_TEST_SECRET", "WL_TEST_UNSET"}, []string{dir, single, "/nonexistent"}, creds)
	slices.Sort(got)
	got = slices.Compact(got)
	want := []string{"from-creds", "from-env", "from-file", "from-nested", "from-subpath"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A step's output and failure message have the values of its Secret env
// variables and files masked, also when printed in two pieces; its results
// are data and reach the state as written.
func TestRunMasksSecrets(t *testing.T) {
	t.Setenv("WL_DB_PASSWORD", "pa55-from-env")
	dir := secretDir(t, map[string]string{"token": "tok-from-file\n"})
	f := newFixture(t)
	f.opts.MaskEnv, f.opts.MaskPaths = []string{"WL_DB_PASSWORD"}, []string{dir}
	f.opts.MessageFile = filepath.Join(f.dir, "msg")
	f.opts.Results, f.opts.Dirs = []string{"r"}, []string{f.opts.ResultsDir}
	f.opts.Script = `echo "env: $WL_DB_PASSWORD"
echo "file: $(cat ` + dir + `/token)" >&2
printf 'split: pa55-'; printf 'from-env\n'
printf 'eof: tok-from'; printf '%s' -file
printf '%s' "$WL_DB_PASSWORD" > ` + f.opts.ResultsDir + `/r
echo "failed with $WL_DB_PASSWORD" > ` + f.opts.MessageFile + `
exit 3`
	code, st, out := f.run(t)
	if code != 3 || st.Reason != contract.ReasonError {
		t.Fatalf("code %d, state %+v", code, st)
	}
	for _, want := range []string{"env: ***\n", "file: ***\n", "split: ***\n", "eof: ***"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pa55") || strings.Contains(out, "tok-from") {
		t.Errorf("a secret reached the output:\n%s", out)
	}
	if st.Message != "failed with ***" {
		t.Errorf("message %q", st.Message)
	}
	if st.Results["r"] != "pa55-from-env" {
		t.Errorf("results are data and are not masked: %q", st.Results["r"])
	}
}

// FuzzMaskWriter: however the output is cut into writes, it is masked the
// same, and no secret (without the mask's own '*') survives in it.
func FuzzMaskWriter(f *testing.F) {
	f.Add("xabcdefghijy pässwörd zzzzz\nabcde\n", "abcdef", "defghi", uint8(3), uint8(9))
	f.Add("ababababab", "abab", "baba", uint8(1), uint8(5))
	f.Add("token-long token\r\ntok", "token", "token-long", uint8(0), uint8(17))
	f.Fuzz(func(t *testing.T, in, s1, s2 string, a, b uint8) {
		secrets := []string{s1, s2}
		i, j := min(int(a), len(in)), min(int(b), len(in))
		if i > j {
			i, j = j, i
		}
		whole := maskAll(t, secrets, in)
		if got := maskAll(t, secrets, in[:i], in[i:j], in[j:]); got != whole {
			t.Fatalf("split at %d,%d: %q, whole: %q", i, j, got, whole)
		}
		for _, s := range secrets {
			for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
				line = strings.TrimSpace(line)
				if len(line) >= MinMaskLen && !strings.Contains(line, "*") && strings.Contains(whole, line) {
					t.Fatalf("secret %q survives in %q (input %q)", line, whole, in)
				}
			}
		}
	})
}
