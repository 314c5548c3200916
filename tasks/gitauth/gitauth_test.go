package gitauth

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

func TestCredentialsFromHome(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".git-credentials"), []byte(
		"https://other:x@other.example\nhttp://ci:tok@git.example:3000\nhttps://ci:tls@git.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(
		"Host other.example\n  IdentityFile /k/other\nHost git.example\n  IdentityFile /k/git\n  StrictHostKeyChecking accept-new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ url, user, pass string }{
		{url: "http://git.example:3000/o/r.git", user: "ci", pass: "tok"},
		{url: "https://git.example/o/r.git", user: "ci", pass: "tls"},
		{url: "https://nobody.example/o/r.git"},
		{url: "http://me:own@git.example:3000/o/r.git"}, // the URL's own credentials win
	}
	for _, tt := range tests {
		ep, err := transport.NewEndpoint(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		auth, err := For(ep, home, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		ba, _ := auth.(*githttp.BasicAuth)
		switch {
		case tt.user == "" && auth != nil:
			t.Errorf("%s: got %v, want no credentials", tt.url, auth)
		case tt.user != "" && (ba == nil || ba.Username != tt.user || ba.Password != tt.pass):
			t.Errorf("%s: got %v, want %s:%s", tt.url, auth, tt.user, tt.pass)
		}
	}
	if got := identityFile(filepath.Join(home, ".ssh", "config"), "git.example"); got != "/k/git" {
		t.Errorf("identityFile = %q", got)
	}
	ep, _ := transport.NewEndpoint("git@nokey.example:o/r.git")
	if _, err := For(ep, home, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "no ssh key for nokey.example") {
		t.Errorf("ssh without a key: %v", err)
	}
}
