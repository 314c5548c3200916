package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// configRepo is a bare repository on disk, reached by file://, whose main
// branch holds a base and a dev overlay (the overlay const).
type configRepo struct {
	t        *testing.T
	dir, url string
}

func newConfigRepo(t *testing.T) configRepo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "config.git")
	if _, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare: true, InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	}); err != nil {
		t.Fatal(err)
	}
	r := configRepo{t: t, dir: dir, url: "file://" + dir}
	repo, err := git.InitWithOptions(memory.NewStorage(), memfs.New(), git.InitOptions{DefaultBranch: "refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.url}}); err != nil {
		t.Fatal(err)
	}
	r.commitTo(repo, "first", map[string]string{
		"base/kustomization.yaml":         "resources: [deployment.yaml]\n",
		"base/deployment.yaml":            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n",
		"overlays/dev/kustomization.yaml": overlay,
		"overlays/prod/Kustomization":     "resources: [../../base]\n",
	})
	return r
}

// push commits files (path -> content) on top of main as someone else
// would, from a clone of their own, and returns the commit.
func (r configRepo) push(msg string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: r.url, ReferenceName: "refs/heads/main", SingleBranch: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return r.commitTo(repo, msg, files)
}

func (r configRepo) commitTo(repo *git.Repository, msg string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	for p, body := range files {
		if err := util.WriteFile(wt.Filesystem, p, []byte(body), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := wt.Add(p); err != nil {
			r.t.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "someone", Email: "someone@example.com", When: time.Now()}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := repo.Push(&git.PushOptions{RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"}}); err != nil {
		r.t.Fatal(err)
	}
	return h
}

// head is main's commit in the bare repository.
func (r configRepo) head() *object.Commit {
	r.t.Helper()
	repo, err := git.PlainOpen(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	ref, err := repo.Reference("refs/heads/main", true)
	if err != nil {
		r.t.Fatal(err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r configRepo) file(c *object.Commit, p string) string {
	r.t.Helper()
	f, err := c.File(p)
	if err != nil {
		r.t.Fatalf("%s at %s: %v", p, c.Hash, err)
	}
	s, err := f.Contents()
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

type result struct {
	commit, changed, out string
	err                  error
}

func runTool(t *testing.T, args ...string) result {
	t.Helper()
	res := t.TempDir()
	args = append([]string{"--result-commit=" + filepath.Join(res, "COMMIT"), "--result-changed=" + filepath.Join(res, "CHANGED")}, args...)
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	read := func(n string) string { b, _ := os.ReadFile(filepath.Join(res, n)); return string(b) }
	return result{commit: read("COMMIT"), changed: read("CHANGED"), out: out.String() + errb.String(), err: err}
}

func TestRunCommitsPushesAndThenHasNothingToDo(t *testing.T) {
	r := newConfigRepo(t)
	before := r.head()
	src := strings.Repeat("5", 40)
	args := []string{"--url=" + r.url, "--overlay=overlays/dev", "--source-commit=" + src, "--namespace=team",
		"--pipelinerun=release-1", "--taskrun=release-1-config", "--", "app=registry.example/app:2.0@" + digestA}
	res := runTool(t, args...)
	if res.err != nil {
		t.Fatalf("run: %v\n%s", res.err, res.out)
	}
	after := r.head()
	if res.changed != "true" || res.commit != after.Hash.String() {
		t.Fatalf("results COMMIT=%s CHANGED=%s; main is at %s", res.commit, res.changed, after.Hash)
	}
	if len(after.ParentHashes) != 1 || after.ParentHashes[0] != before.Hash {
		t.Errorf("the commit's parents are %v, want the old head %s", after.ParentHashes, before.Hash)
	}
	wantMsg := "Set app to sha256:aaaaaaaaaaaa in overlays/dev/kustomization.yaml\n\n" +
		"Image: app=registry.example/app@" + digestA + "\nSource-Commit: " + src + "\nWindlass-Run: team/release-1\n"
	if after.Message != wantMsg {
		t.Errorf("message:\n%s\nwant:\n%s", after.Message, wantMsg)
	}
	if after.Author.Name != "Windlass" || after.Committer.Email != "windlass@windlass.dev" {
		t.Errorf("author %v, committer %v", after.Author, after.Committer)
	}
	got := r.file(after, "overlays/dev/kustomization.yaml")
	for _, want := range []string{"# dev: what runs in the dev namespace\n", "  - name: app # keep me\n    newName: registry.example/app\n    digest: " + digestA + "\n", "# the end\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("kustomization.yaml lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "newTag") {
		t.Errorf("the tag stayed:\n%s", got)
	}
	stats, err := after.Stats()
	if err != nil || len(stats) != 1 || stats[0].Name != "overlays/dev/kustomization.yaml" {
		t.Errorf("the commit changed %v (%v), want only the overlay's kustomization.yaml", stats, err)
	}
	if !strings.Contains(res.out, "pushed "+res.commit+" to main of "+r.url) {
		t.Errorf("log: %s", res.out)
	}

	// The same images again: no commit, CHANGED=false, COMMIT is the head.
	res = runTool(t, args...)
	if res.err != nil {
		t.Fatalf("second run: %v\n%s", res.err, res.out)
	}
	if res.changed != "false" || res.commit != after.Hash.String() || r.head().Hash != after.Hash {
		t.Errorf("second run: COMMIT=%s CHANGED=%s, main at %s; want no new commit on %s", res.commit, res.changed, r.head().Hash, after.Hash)
	}
	if !strings.Contains(res.out, "nothing to commit") {
		t.Errorf("second run's log: %s", res.out)
	}

	// Another overlay, its file named Kustomization, a new entry; the run is
	// a TaskRun of its own.
	res = runTool(t, "--url="+r.url, "--overlay=./overlays/prod/", "--namespace=team", "--taskrun=promote", "--subject=Promote app to prod", "--", "app=registry.example/app@"+digestA)
	if res.err != nil || res.changed != "true" {
		t.Fatalf("prod: %v CHANGED=%s\n%s", res.err, res.changed, res.out)
	}
	prod := r.head()
	if want := "Promote app to prod\n\nImage: app=registry.example/app@" + digestA + "\nWindlass-Run: team/promote\n"; prod.Message != want {
		t.Errorf("prod message %q, want %q", prod.Message, want)
	}
	if got, want := r.file(prod, "overlays/prod/Kustomization"), "resources: [../../base]\nimages:\n- name: app\n  newName: registry.example/app\n  digest: "+digestA+"\n"; got != want {
		t.Errorf("prod Kustomization:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunEditsAgainOnTheNewHeadWhenTheBranchMoves(t *testing.T) {
	r := newConfigRepo(t)
	// Another run sets another image in the same file between our commit and
	// our push, and changes another file.
	var theirs plumbing.Hash
	setBeforePush(t, func(attempt int) {
		if attempt == 1 {
			theirs = r.push("someone else's release", map[string]string{
				"overlays/dev/kustomization.yaml": strings.Replace(overlay, "newName: busybox", "newName: busybox-2", 1),
				"base/deployment.yaml":            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app2}\n",
			})
		}
	})
	res := runTool(t, "--url="+r.url, "--overlay=overlays/dev", "--attempts=2", "--", "app=registry.example/app@"+digestA)
	if res.err != nil {
		t.Fatalf("run: %v\n%s", res.err, res.out)
	}
	head := r.head()
	if res.changed != "true" || res.commit != head.Hash.String() {
		t.Fatalf("COMMIT=%s CHANGED=%s; main at %s", res.commit, res.changed, head.Hash)
	}
	if len(head.ParentHashes) != 1 || head.ParentHashes[0] != theirs {
		t.Fatalf("our commit's parents are %v, want the other push %s", head.ParentHashes, theirs)
	}
	got := r.file(head, "overlays/dev/kustomization.yaml")
	if !strings.Contains(got, "newName: busybox-2") || !strings.Contains(got, "digest: "+digestA) {
		t.Errorf("the edit was not made again on the new head (both changes wanted):\n%s", got)
	}
	if !strings.Contains(res.out, "while pushing (attempt 1 of 2): editing again on the new head") {
		t.Errorf("log: %s", res.out)
	}
}

func TestRunNoCommitWhenTheNewHeadAlreadyHasTheImages(t *testing.T) {
	r := newConfigRepo(t)
	var theirs plumbing.Hash
	setBeforePush(t, func(int) {
		if theirs.IsZero() {
			theirs = r.push("the same release, from a rerun", map[string]string{
				"overlays/dev/kustomization.yaml": "images:\n- name: app\n  newName: registry.example/app\n  digest: " + digestA + "\n",
			})
		}
	})
	res := runTool(t, "--url="+r.url, "--overlay=overlays/dev", "--", "app=registry.example/app@"+digestA)
	if res.err != nil || res.changed != "false" || res.commit != theirs.String() || r.head().Hash != theirs {
		t.Fatalf("got %v, COMMIT=%s CHANGED=%s, main at %s; want CHANGED=false at %s\n%s", res.err, res.commit, res.changed, r.head().Hash, theirs, res.out)
	}
}

func TestRunGivesUpAfterAttempts(t *testing.T) {
	r := newConfigRepo(t)
	var last plumbing.Hash
	pushes := 0
	setBeforePush(t, func(attempt int) {
		pushes++
		last = r.push("busy", map[string]string{"base/busy.txt": strings.Repeat("x", attempt)})
	})
	res := runTool(t, "--url="+r.url, "--overlay=overlays/dev", "--attempts=3", "--", "app=registry.example/app@"+digestA)
	if res.err == nil || !strings.Contains(res.err.Error(), "gave up after 3 attempts (--attempts): main of "+r.url+" moved under every push, last to "+last.String()) {
		t.Fatalf("got %v\n%s", res.err, res.out)
	}
	if toolkit.IsUsage(res.err) {
		t.Errorf("a busy branch is not a usage error: %v", res.err)
	}
	if pushes != 3 || r.head().Hash != last || res.commit != "" {
		t.Errorf("%d other pushes, main at %s (want theirs, %s), COMMIT=%q", pushes, r.head().Hash, last, res.commit)
	}
}

func TestBadInputIsAUsageErrorNamingIt(t *testing.T) {
	r := newConfigRepo(t)
	img := "app=registry.example/app@" + digestA
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--overlay=o", "--", img}, "--url is required"},
		{[]string{"--url=" + r.url, "--", img}, "--overlay is required"},
		{[]string{"--url=" + r.url, "--overlay=../up", "--", img}, `--overlay "../up": must be a relative path inside the repository`},
		{[]string{"--url=" + r.url, "--overlay=overlays/../../up", "--", img}, `--overlay "overlays/../../up": must be a relative path inside the repository`},
		{[]string{"--url=" + r.url, "--overlay=/etc", "--", img}, `--overlay "/etc": must be a relative path inside the repository`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--attempts=0", "--", img}, `--attempts "0": want a whole number >= 1`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--ssl-verify=maybe", "--", img}, `--ssl-verify: want true or false, got "maybe"`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--branch=a..b", "--", img}, `--branch "a..b": not a valid branch name`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--subject=a\nb", "--", img}, `--subject "a\nb": must be one line`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--nope", "--", img}, "flag provided but not defined: -nope"},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "stray", "--", img}, `unexpected argument "stray"`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev"}, "no images given"},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--", "app=registry.example/app:2.0"}, `image "app=registry.example/app:2.0" is not pinned by a digest`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--", "app"}, `image "app": want NAME=REPOSITORY@sha256:DIGEST`},
		{[]string{"--url=ftp://host/repo", "--overlay=overlays/dev", "--", img}, `unsupported scheme "ftp"`},
		{[]string{"--url=" + r.url, "--overlay=overlays/dev", "--branch=nope", "--", img}, `--branch "nope": no such branch at ` + r.url},
		{[]string{"--url=" + r.url, "--overlay=overlays/qa", "--", img}, `--overlay "overlays/qa": no kustomization.yaml there in main of ` + r.url},
	}
	before := r.head().Hash
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			res := runTool(t, tt.args...)
			if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", res.err, tt.want)
			}
			if !toolkit.IsUsage(res.err) {
				t.Errorf("%v is not a usage error", res.err)
			}
		})
	}
	if r.head().Hash != before {
		t.Errorf("bad input moved main from %s to %s", before, r.head().Hash)
	}
}

func TestTheURLsPasswordStaysOutOfMessages(t *testing.T) {
	res := runTool(t, "--url=http://ci:s3cret@127.0.0.1:1/config.git", "--overlay=o", "--", "app=r/app@"+digestA)
	if res.err == nil || strings.Contains(res.err.Error()+res.out, "s3cret") || !strings.Contains(res.err.Error(), "http://ci:xxxxx@127.0.0.1:1/config.git") {
		t.Fatalf("got %v\n%s", res.err, res.out)
	}
}

// TestRunPushesOverHTTPWithTheServiceAccountsCredentials serves the config
// repository with git's own smart HTTP server (git http-backend) behind basic
// auth: the credentials come from $HOME/.git-credentials, where the
// entrypoint writes those of the run's service account.
func TestRunPushesOverHTTPWithTheServiceAccountsCredentials(t *testing.T) {
	r := newConfigRepo(t)
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v (the test needs git's http-backend)", err)
	}
	if out, err := exec.Command("git", "-C", r.dir, "config", "http.receivepack", "true").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(r.dir), "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != "ci" || p != "tok" {
			w.Header().Set("WWW-Authenticate", `Basic realm="config"`)
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	defer srv.Close()
	url := srv.URL + "/config.git"
	args := []string{"--url=" + url, "--overlay=overlays/dev", "--", "app=registry.example/app@" + digestA}

	t.Setenv("HOME", t.TempDir()) // no credentials
	if res := runTool(t, args...); res.err == nil || !strings.Contains(res.err.Error(), "cloning "+url+": authentication required") ||
		!strings.Contains(res.err.Error(), "(give the run's service account a basic-auth or ssh-auth Secret") {
		t.Fatalf("without credentials: got %v\n%s", res.err, res.out)
	}
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".git-credentials"), []byte(strings.Replace(srv.URL, "http://", "http://ci:tok@", 1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	res := runTool(t, args...)
	if res.err != nil || res.changed != "true" || res.commit != r.head().Hash.String() {
		t.Fatalf("got %v, COMMIT=%s CHANGED=%s, main at %s\n%s", res.err, res.commit, res.changed, r.head().Hash, res.out)
	}
	if strings.Contains(res.out, "tok") {
		t.Errorf("the log shows the password: %s", res.out)
	}
}

func setBeforePush(t *testing.T, f func(attempt int)) {
	beforePush = f
	t.Cleanup(func() { beforePush = nil })
}
