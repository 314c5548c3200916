package entrypoint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windlass-dev/windlass/internal/contract"
)

func TestFailureMessage(t *testing.T) {
	creds := []contract.Credential{{Kind: "git", URL: "https://git.example", Type: SecretBasicAuth,
		Dir: secretDir(t, map[string]string{"username": "bot", "password": "s3cr3t-pw"})}}
	long := strings.Repeat(`<a&"b>`+"\t\u2028é", 400)
	tests := []struct {
		name      string
		script    string // run as sh -c SCRIPT MSGFILE
		onErrCont bool
		budget    int
		want      string // the state's message; "…" suffix: a prefix of it, cut
		wantPost  string
	}{
		{name: "the first line of a failed step's word", script: `printf 'deploy: revision 3 of web failed\nmore\n' >"$0"; exit 1`,
			want: "deploy: revision 3 of web failed", wantPost: "err"},
		{name: "secrets masked", script: `echo "push to https://bot:s3cr3t-pw@git.example failed" >"$0"; exit 1`,
			want: "push to https://bot:***@git.example failed", wantPost: "err"},
		{name: "missing file", script: `exit 1`, want: "", wantPost: "err"},
		{name: "empty file", script: `: >"$0"; exit 1`, want: "", wantPost: "err"},
		{name: "a blank first line", script: `printf '  \nsecond\n' >"$0"; exit 1`, want: "", wantPost: "err"},
		{name: "a successful step's file is not read", script: `echo ignored >"$0"`, want: "", wantPost: "ok"},
		{name: "onError continue keeps the word in the step's state", script: `echo flaky >"$0"; exit 2`, onErrCont: true,
			want: "flaky", wantPost: "ok"},
		{name: "cut to the budget, JSON escapes counted", script: `printf '%s' "$WANT" >"$0"; exit 1`, budget: 300,
			want: long + "…", wantPost: "err"},
		{name: "cut to MaxMessageBytes", script: `printf '%s' "$WANT" >"$0"; exit 1`, budget: 4096,
			want: long + "…", wantPost: "err"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.opts.MessageFile = filepath.Join(f.dir, "0.msg")
			f.opts.Command = []string{"sh", "-c", tt.script, f.opts.MessageFile}
			f.opts.OnErrorContinue, f.opts.TerminationBudget, f.opts.Credentials = tt.onErrCont, tt.budget, creds
			f.opts.Home = t.TempDir()
			t.Setenv("WANT", long)
			_, st, _ := f.run(t)
			if prefix, cut := strings.CutSuffix(tt.want, "…"); cut {
				got, ok := strings.CutSuffix(st.Message, "…")
				if !ok || got == "" || !strings.HasPrefix(prefix, got) {
					t.Fatalf("message %q, want a cut prefix of %.40q…", st.Message, prefix)
				}
			} else if st.Message != tt.want {
				t.Fatalf("message %q, want %q", st.Message, tt.want)
			}
			raw, _ := os.ReadFile(f.opts.TerminationPath)
			if tt.budget > 0 && len(raw) > tt.budget {
				t.Fatalf("termination message is %d bytes, over the budget of %d", len(raw), tt.budget)
			}
			if len(st.Message) > MaxMessageBytes+len("…") {
				t.Fatalf("message is %d bytes, over MaxMessageBytes", len(st.Message))
			}
			if tt.want == "" && strings.Contains(string(raw), `"m"`) {
				t.Fatalf("termination message %s has a message", raw)
			}
			post := "ok"
			if exists(f.opts.PostFile + contract.FailedSuffix) {
				post = "err"
			}
			if post != tt.wantPost {
				t.Fatalf("post file %s, want %s", post, tt.wantPost)
			}
		})
	}
}

// TestJSONLenMatchesEncodingJSON pins the escape counting to encoding/json,
// and cutJSON to its room.
func TestJSONLenMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "nl\ncr\rtab\tbs\bff\f", "ctl\x01\x1f", "<html>&amp;", "ls\u2028ps\u2029", "ünï€😀", "bad\xffutf8"} {
		s = strings.ToValidUTF8(s, "\uFFFD")
		b, _ := json.Marshal(s)
		if jsonLen(s) != len(b)-2 {
			t.Errorf("jsonLen(%q) = %d, encoding/json writes %d", s, jsonLen(s), len(b)-2)
		}
		for room := 0; room <= len(b)+2; room++ {
			c := cutJSON(s, room)
			cb, _ := json.Marshal(c)
			if len(cb)-2 > room {
				t.Errorf("cutJSON(%q, %d) = %q: %d bytes of JSON", s, room, c, len(cb)-2)
			}
		}
	}
}
