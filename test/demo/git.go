package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/windlass-dev/windlass/test/util"
)

// gitea calls the git server's API with its token; out, when not nil, gets
// the answer's JSON. A status of 300 or more is an error quoting the answer.
func gitea(ctx context.Context, g util.GitServer, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.URL+"/api/v1"+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "token "+g.Token)
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// repo is a repository on the git server and its working copy on this host.
type repo struct {
	name     string // on the git server, under the user
	cloneURL string // as the server announces it (and pods reach it)
	pushURL  string // with the credentials
	dir      string
}

// newRepo creates a private repository on the git server (deleting one of
// that name first when replace is set) and an empty working copy for it.
func newRepo(ctx context.Context, g util.GitServer, name string, replace bool) (*repo, error) {
	if replace {
		if code, err := gitea(ctx, g, http.MethodDelete, "/repos/"+g.User+"/"+name, nil, nil); err != nil && code != http.StatusNotFound {
			return nil, err
		}
	}
	var created struct {
		CloneURL string `json:"clone_url"`
	}
	if _, err := gitea(ctx, g, http.MethodPost, "/user/repos", map[string]any{"name": name, "private": true}, &created); err != nil {
		return nil, err
	}
	u, err := url.Parse(created.CloneURL)
	if err != nil {
		return nil, fmt.Errorf("the git server's clone_url %q: %w", created.CloneURL, err)
	}
	u.User = url.UserPassword(g.User, g.Password)
	dir, err := os.MkdirTemp("", "windlass-demo-"+name+"-")
	if err != nil {
		return nil, err
	}
	r := &repo{name: name, cloneURL: created.CloneURL, pushURL: u.String(), dir: dir}
	if _, err := r.git(ctx, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	return r, nil
}

// write puts files (slash paths relative to the working copy) in place.
func (r *repo) write(files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// commitAndPush commits everything in the working copy and pushes main; it
// returns the commit.
func (r *repo) commitAndPush(ctx context.Context, message string) (string, error) {
	if _, err := r.git(ctx, "add", "-A"); err != nil {
		return "", err
	}
	if _, err := r.git(ctx, "commit", "-q", "-m", message); err != nil {
		return "", err
	}
	sha, err := r.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	if _, err := r.git(ctx, "push", "-q", r.pushURL, "main"); err != nil {
		return "", err
	}
	return sha, nil
}

func (r *repo) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=Dana Developer", "GIT_AUTHOR_EMAIL=dana@windlass.dev",
		"GIT_COMMITTER_NAME=Dana Developer", "GIT_COMMITTER_EMAIL=dana@windlass.dev", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		// The push URL carries the password: never quote it.
		return "", fmt.Errorf("git %s in %s: %w: %s", strings.ReplaceAll(strings.Join(args, " "), r.pushURL, r.cloneURL), r.name, err,
			strings.ReplaceAll(string(out), r.pushURL, r.cloneURL))
	}
	return strings.TrimSpace(string(out)), nil
}
