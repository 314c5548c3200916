// Package gitauth finds the git credentials of a run's service account where
// the entrypoint wrote them ($HOME/.git-credentials for basic auth, $HOME/.ssh
// for keys) and turns them into go-git auth methods. The catalog's git tools
// (git-clone, kustomize-commit) share it.
package gitauth

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// For finds credentials for the repository at ep where the entrypoint put
// those of the run's service account under home: .git-credentials (basic
// auth, one URL per line) and .ssh/config (an IdentityFile per Host,
// known_hosts beside it). No match means anonymous access (nil, nil); an ssh
// URL without a key is an error that says which Secret to add.
func For(ep *transport.Endpoint, home string, stderr io.Writer) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "http", "https":
		if ep.User != "" {
			return nil, nil // the URL carries its own
		}
		return basicAuthFor(ep, filepath.Join(home, ".git-credentials"))
	case "ssh":
		return sshAuthFor(ep, filepath.Join(home, ".ssh"), stderr)
	}
	return nil, nil
}

func basicAuthFor(ep *transport.Endpoint, file string) (transport.AuthMethod, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || u.User == nil {
			continue
		}
		if u.Scheme != ep.Protocol || !sameHost(u, ep) {
			continue
		}
		pw, _ := u.User.Password()
		return &githttp.BasicAuth{Username: u.User.Username(), Password: pw}, nil
	}
	return nil, sc.Err()
}

// sameHost compares a credential's host (and port, when it names one) with
// the repository's.
func sameHost(u *url.URL, ep *transport.Endpoint) bool {
	if !strings.EqualFold(u.Hostname(), ep.Host) {
		return false
	}
	return u.Port() == "" || u.Port() == fmt.Sprint(ep.Port)
}

func sshAuthFor(ep *transport.Endpoint, dir string, stderr io.Writer) (transport.AuthMethod, error) {
	key := identityFile(filepath.Join(dir, "config"), ep.Host)
	if key == "" {
		return nil, fmt.Errorf("no ssh key for %s: add a kubernetes.io/ssh-auth Secret annotated windlass.dev/git-0: ssh://%s to the run's service account", ep.Host, ep.Host)
	}
	user := ep.User
	if user == "" {
		user = "git"
	}
	auth, err := gitssh.NewPublicKeysFromFile(user, key, "")
	if err != nil {
		return nil, fmt.Errorf("ssh key %s: %w", key, err)
	}
	kh := filepath.Join(dir, "known_hosts")
	if _, err := os.Stat(kh); err == nil {
		cb, err := gitssh.NewKnownHostsCallback(kh)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kh, err)
		}
		auth.HostKeyCallback = cb
	} else {
		fmt.Fprintf(stderr, "warning: no known_hosts for %s; accepting its host key unchecked (add known_hosts to the ssh Secret)\n", ep.Host)
		auth.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // the user gave no known_hosts; warned above
	}
	return auth, nil
}

// identityFile returns the IdentityFile of the first "Host" block of an ssh
// config that names host (exactly or as "*").
func identityFile(config, host string) string {
	data, err := os.ReadFile(config)
	if err != nil {
		return ""
	}
	match := false
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch strings.ToLower(fields[0]) {
		case "host":
			match = false
			for _, h := range fields[1:] {
				if h == "*" || strings.EqualFold(h, host) {
					match = true
				}
			}
		case "identityfile":
			if match {
				return fields[1]
			}
		}
	}
	return ""
}
