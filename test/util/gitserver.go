package util

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// GitServer is the local Gitea that hack/gitserver/up.sh started, as its
// credentials file (GITSERVER_ENV) describes it.
type GitServer struct{ URL, User, Password, Token string }

// ReadGitServer reads the KEY=VALUE credentials file of the local git server.
func ReadGitServer(path string) (GitServer, error) {
	f, err := os.Open(path)
	if err != nil {
		return GitServer{}, fmt.Errorf("the git server's credentials: %w", err)
	}
	defer func() { _ = f.Close() }()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return GitServer{kv["GITSERVER_URL"], kv["GITSERVER_USER"], kv["GITSERVER_PASSWORD"], kv["GITSERVER_TOKEN"]}, sc.Err()
}
