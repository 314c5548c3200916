package entrypoint

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/windlass-dev/windlass/internal/contract"
)

// Secret types the credentials come in.
const (
	SecretDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	SecretBasicAuth        = "kubernetes.io/basic-auth"
	SecretSSHAuth          = "kubernetes.io/ssh-auth"
)

// WriteCredentials makes the credentials available the way tools look for
// them: $HOME/.docker/config.json, $HOME/.git-credentials with a .gitconfig
// that uses it, and $HOME/.ssh keys with a config naming them per host. A
// shared home (the steps', who may run as different users) gets directories
// every user may enter, and each step replaces the files with its own.
func WriteCredentials(home string, shared bool, creds []contract.Credential) error {
	if len(creds) == 0 {
		return nil
	}
	writePrivate := func(path string, data []byte) error { return writePrivate(path, data, shared) }
	auths := map[string]map[string]string{}
	var gitLines, sshConfig []string
	var knownHosts []byte
	for i, c := range creds {
		host := hostOf(c.URL)
		switch {
		case c.Kind == "docker" && c.Type == SecretDockerConfigJSON:
			var cfg struct {
				Auths map[string]map[string]string `json:"auths"`
			}
			data, err := os.ReadFile(filepath.Join(c.Dir, ".dockerconfigjson"))
			if err != nil {
				return err
			}
			if err := json.Unmarshal(data, &cfg); err != nil {
				return fmt.Errorf("%s: .dockerconfigjson: %w", c.Dir, err)
			}
			for k, v := range cfg.Auths {
				auths[k] = v
			}
		case c.Kind == "docker" && c.Type == SecretBasicAuth:
			u, p, err := basicAuth(c.Dir)
			if err != nil {
				return err
			}
			auths[c.URL] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(u + ":" + p))}
		case c.Kind == "git" && c.Type == SecretBasicAuth:
			u, p, err := basicAuth(c.Dir)
			if err != nil {
				return err
			}
			pu, err := url.Parse(c.URL)
			if err != nil {
				return fmt.Errorf("git credential URL %q: %w", c.URL, err)
			}
			pu.User = url.UserPassword(u, p)
			gitLines = append(gitLines, pu.String())
		case c.Kind == "git" && c.Type == SecretSSHAuth:
			key, err := os.ReadFile(filepath.Join(c.Dir, "ssh-privatekey"))
			if err != nil {
				return err
			}
			name := fmt.Sprintf("id_windlass_%d", i)
			if c.Secret != "" && !strings.ContainsAny(c.Secret, "/\x00") {
				name = "id_" + c.Secret
			}
			if err := writePrivate(filepath.Join(home, ".ssh", name), key); err != nil {
				return err
			}
			entry := fmt.Sprintf("Host %s\n  IdentityFile %s\n", host, filepath.Join(home, ".ssh", name))
			if kh, err := os.ReadFile(filepath.Join(c.Dir, "known_hosts")); err == nil {
				knownHosts = append(append(knownHosts, kh...), '\n')
			} else {
				entry += "  StrictHostKeyChecking accept-new\n"
			}
			sshConfig = append(sshConfig, entry)
		default:
			return fmt.Errorf("credential for %s: a %s Secret cannot be used for %s", c.URL, c.Type, c.Kind)
		}
	}
	if len(auths) > 0 {
		b, err := json.MarshalIndent(map[string]any{"auths": auths}, "", "  ")
		if err != nil {
			return err
		}
		if err := writePrivate(filepath.Join(home, ".docker", "config.json"), b); err != nil {
			return err
		}
	}
	if len(gitLines) > 0 {
		sort.Strings(gitLines)
		if err := writePrivate(filepath.Join(home, ".git-credentials"), []byte(strings.Join(gitLines, "\n")+"\n")); err != nil {
			return err
		}
		cfg := fmt.Sprintf("[credential]\n\thelper = store --file %s\n", filepath.Join(home, ".git-credentials"))
		if err := writePrivate(filepath.Join(home, ".gitconfig"), []byte(cfg)); err != nil {
			return err
		}
	}
	if len(knownHosts) > 0 {
		if err := writePrivate(filepath.Join(home, ".ssh", "known_hosts"), knownHosts); err != nil {
			return err
		}
	}
	if len(sshConfig) > 0 {
		if err := writePrivate(filepath.Join(home, ".ssh", "config"), []byte(strings.Join(sshConfig, ""))); err != nil {
			return err
		}
	}
	return nil
}

func basicAuth(dir string) (string, string, error) {
	u, err := os.ReadFile(filepath.Join(dir, "username"))
	if err != nil {
		return "", "", err
	}
	p, err := os.ReadFile(filepath.Join(dir, "password"))
	if err != nil {
		return "", "", err
	}
	return string(u), string(p), nil
}

// hostOf returns the host of a URL, or the string itself when it has no scheme.
func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return strings.TrimSuffix(s, "/")
}

// writePrivate replaces path with a file of data only its writer may read;
// in a shared home its directories are open to every user.
func writePrivate(path string, data []byte, shared bool) error {
	dir := filepath.Dir(path)
	mode := os.FileMode(0o700)
	if shared {
		mode = 0o777
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	if shared {
		_ = os.Chmod(dir, mode) // the umask's; fails harmlessly on another user's
	}
	f, err := os.CreateTemp(dir, ".windlass-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path) // CreateTemp made it 0600
}

// UserHome is the home directory /etc/passwd (passwd) gives the user uid,
// "" when it names none.
func UserHome(passwd string, uid int) string {
	data, err := os.ReadFile(passwd)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[2] == strconv.Itoa(uid) {
			return f[5]
		}
	}
	return ""
}

// secretValues returns the secret values among the credentials (passwords,
// registry auths and tokens, SSH keys), to mask them in what the step reports. Files
// that cannot be read give nothing: WriteCredentials already failed on them.
func secretValues(creds []contract.Credential) []string {
	var out []string
	for _, c := range creds {
		switch c.Type {
		case SecretBasicAuth:
			if _, p, err := basicAuth(c.Dir); err == nil {
				out = append(out, p, strings.TrimSpace(p))
			}
		case SecretSSHAuth:
			if key, err := os.ReadFile(filepath.Join(c.Dir, "ssh-privatekey")); err == nil {
				out = append(out, string(key))
			}
		case SecretDockerConfigJSON:
			var cfg struct {
				Auths map[string]map[string]string `json:"auths"`
			}
			data, err := os.ReadFile(filepath.Join(c.Dir, ".dockerconfigjson"))
			if err != nil || json.Unmarshal(data, &cfg) != nil {
				continue
			}
			for _, a := range cfg.Auths {
				for _, k := range []string{"password", "auth", "identitytoken", "registrytoken"} {
					out = append(out, a[k])
				}
			}
		}
	}
	return out
}
