package entrypoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windlass-dev/windlass/internal/contract"
)

func secretDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, v := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(v), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
	}
	return string(b)
}

func TestWriteCredentials(t *testing.T) {
	home := t.TempDir()
	creds := []contract.Credential{
		{Kind: "docker", URL: "https://ghcr.io", Type: SecretDockerConfigJSON,
			Dir: secretDir(t, map[string]string{".dockerconfigjson": `{"auths":{"ghcr.io":{"auth":"Z2g6dG9r"}}}`})},
		{Kind: "docker", URL: "https://registry.example", Type: SecretBasicAuth,
			Dir: secretDir(t, map[string]string{"username": "bot", "password": "p@ss"})},
		{Kind: "git", URL: "https://git.example", Type: SecretBasicAuth,
			Dir: secretDir(t, map[string]string{"username": "ci", "password": "s3cr:t"})},
		{Kind: "git", URL: "ssh://git@git.example:22", Type: SecretSSHAuth,
			Dir: secretDir(t, map[string]string{"ssh-privatekey": "KEY", "known_hosts": "git.example ssh-ed25519 AAA"})},
		{Kind: "git", URL: "github.com", Type: SecretSSHAuth, Dir: secretDir(t, map[string]string{"ssh-privatekey": "KEY2"}), Secret: "gh-key"},
	}
	if err := WriteCredentials(home, false, creds); err != nil {
		t.Fatal(err)
	}
	docker := read(t, filepath.Join(home, ".docker", "config.json"))
	for _, want := range []string{`"ghcr.io"`, `"Z2g6dG9r"`, `"https://registry.example"`, `"Ym90OnBAc3M="`} {
		if !strings.Contains(docker, want) {
			t.Errorf("docker config lacks %s:\n%s", want, docker)
		}
	}
	if got := read(t, filepath.Join(home, ".git-credentials")); got != "https://ci:s3cr%3At@git.example\n" {
		t.Errorf(".git-credentials = %q", got)
	}
	if got := read(t, filepath.Join(home, ".gitconfig")); !strings.Contains(got, "helper = store --file "+filepath.Join(home, ".git-credentials")) {
		t.Errorf(".gitconfig = %q", got)
	}
	sshcfg := read(t, filepath.Join(home, ".ssh", "config"))
	if !strings.Contains(sshcfg, "Host git.example\n  IdentityFile "+filepath.Join(home, ".ssh", "id_windlass_3")) ||
		!strings.Contains(sshcfg, "Host github.com\n  IdentityFile "+filepath.Join(home, ".ssh", "id_gh-key")+"\n  StrictHostKeyChecking accept-new") {
		t.Errorf("ssh config:\n%s", sshcfg)
	}
	// Named by the Secret, as Tekton names it, when the Secret's name is known.
	if read(t, filepath.Join(home, ".ssh", "id_gh-key")) != "KEY2" {
		t.Errorf("the key of Secret gh-key is not ~/.ssh/id_gh-key")
	}
	if read(t, filepath.Join(home, ".ssh", "id_windlass_3")) != "KEY" || !strings.Contains(read(t, filepath.Join(home, ".ssh", "known_hosts")), "git.example ssh-ed25519") {
		t.Errorf("ssh key or known_hosts wrong")
	}
	// Writing again (the next step) gives the same files, not duplicates.
	if err := WriteCredentials(home, false, creds); err != nil {
		t.Fatal(err)
	}
	if kh := read(t, filepath.Join(home, ".ssh", "known_hosts")); strings.Count(kh, "git.example") != 1 {
		t.Errorf("known_hosts duplicated: %q", kh)
	}
}

func TestWriteCredentialsRejectsAMismatch(t *testing.T) {
	err := WriteCredentials(t.TempDir(), false, []contract.Credential{{Kind: "docker", URL: "r", Type: SecretSSHAuth, Dir: t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), "a kubernetes.io/ssh-auth Secret cannot be used for docker") {
		t.Fatalf("got %v", err)
	}
}

// TestSharedHome: in the steps' shared home, directories are open to every
// user (steps may run as different ones) and the files private to their
// writer; in a user's own home, directories are private too.
func TestSharedHome(t *testing.T) {
	creds := []contract.Credential{{Kind: "git", URL: "ssh://h", Type: SecretSSHAuth,
		Dir: secretDir(t, map[string]string{"ssh-privatekey": "KEY"}), Secret: "k"}}
	for _, shared := range []bool{true, false} {
		home := t.TempDir()
		if err := WriteCredentials(home, shared, creds); err != nil {
			t.Fatal(err)
		}
		dir, err := os.Stat(filepath.Join(home, ".ssh"))
		if err != nil {
			t.Fatal(err)
		}
		key, err := os.Stat(filepath.Join(home, ".ssh", "id_k"))
		if err != nil {
			t.Fatal(err)
		}
		wantDir := os.FileMode(0o700)
		if shared {
			wantDir = 0o777
		}
		if dir.Mode().Perm() != wantDir || key.Mode().Perm() != 0o600 {
			t.Errorf("shared %v: .ssh %v, key %v; want %v and 0600", shared, dir.Mode().Perm(), key.Mode().Perm(), wantDir)
		}
	}
}

func TestUserHome(t *testing.T) {
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/sh\nnonroot:x:1000:1000::/home/nonroot:/bin/sh\nbad line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for uid, want := range map[int]string{0: "/root", 1000: "/home/nonroot", 65532: ""} {
		if got := UserHome(passwd, uid); got != want {
			t.Errorf("UserHome(%d) = %q, want %q", uid, got, want)
		}
	}
	if got := UserHome(filepath.Join(t.TempDir(), "none"), 0); got != "" {
		t.Errorf("no passwd: %q", got)
	}
}
