package taskref

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/failure"
)

const remoteTask = "apiVersion: windlass.dev/v1alpha1\nkind: Task\nmetadata: {name: hello}\nspec:\n  steps: [{image: busybox, script: echo %s}]\n"

func httpRef(url string) *windlassv1.TaskRef {
	return &windlassv1.TaskRef{Resolver: "http", Params: []windlassv1.Param{{Name: "url", Value: *windlassv1.NewString(url)}}}
}

func TestHTTPResolver(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/task.yaml":
			_, _ = w.Write([]byte(strings.Replace(remoteTask, "%s", "one", 1)))
		case "/pipeline.yaml":
			_, _ = w.Write([]byte("apiVersion: windlass.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: p}\n"))
		case "/tekton.yaml":
			_, _ = w.Write([]byte(strings.Replace(strings.Replace(remoteTask, "windlass.dev/v1alpha1", "tekton.dev/v1", 1), "%s", "x", 1)))
		case "/private.yaml":
			w.WriteHeader(http.StatusForbidden)
		case "/down.yaml":
			w.WriteHeader(http.StatusBadGateway)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	o := Options{Remote: &Remote{}}
	task, src, err := Get(context.Background(), nil, httpRef(srv.URL+"/task.yaml"), "ns", o)
	if err != nil {
		t.Fatal(err)
	}
	if task.Name != "hello" || task.Spec.Steps[0].Script != "echo one" || src.URI != srv.URL+"/task.yaml" || len(src.Digest["sha256"]) != 64 {
		t.Fatalf("task %+v, source %+v", task, src)
	}
	for path, check := range map[string]func(error) bool{
		"/missing.yaml":  IsNotFound,
		"/pipeline.yaml": IsPermanent,
		"/tekton.yaml":   IsPermanent,
		"/private.yaml":  IsPermanent,
		"/down.yaml":     failure.IsTransient,
	} {
		_, _, err := Get(context.Background(), nil, httpRef(srv.URL+path), "ns", o)
		if err == nil || !check(err) {
			t.Errorf("%s: %v", path, err)
		}
	}
	if _, _, err := Get(context.Background(), nil, httpRef("ftp://x/y"), "ns", o); !IsPermanent(err) || !strings.Contains(err.Error(), "taskRef.params url") {
		t.Errorf("ftp: %v", err)
	}
	closed := srv.URL
	srv.Close()
	if _, _, err := Get(context.Background(), nil, httpRef(closed+"/task.yaml"), "ns", o); !failure.IsTransient(err) {
		t.Errorf("a server that is gone: %v", err)
	}
}

// testRepo makes a repository with task.yaml at two commits on main, the
// first tagged v1 (annotated), and a branch dev.
func testRepo(t *testing.T) (url, first, second string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	commit := func(text string) string {
		if err := os.MkdirAll(filepath.Join(dir, "tasks"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tasks", "task.yaml"), []byte(strings.Replace(remoteTask, "%s", text, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add("tasks/task.yaml"); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit(text, &git.CommitOptions{Author: sig})
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	first = commit("one")
	head, _ := repo.Head()
	if _, err := repo.CreateTag("v1", head.Hash(), &git.CreateTagOptions{Tagger: sig, Message: "v1"}); err != nil {
		t.Fatal(err)
	}
	second = commit("two")
	return "file://" + dir, first, second
}

func TestGitResolver(t *testing.T) {
	url, first, second := testRepo(t)
	r := &Remote{}
	for _, tt := range []struct{ revision, commit, says string }{
		{"", second, "echo two"}, {"master", second, "echo two"}, {"v1", first, "echo one"}, {first, first, "echo one"},
	} {
		data, commit, err := r.Git(context.Background(), url, tt.revision, "tasks/task.yaml")
		if err != nil {
			t.Fatalf("revision %q: %v", tt.revision, err)
		}
		if commit != tt.commit || !strings.Contains(string(data), tt.says) {
			t.Errorf("revision %q: commit %s (want %s), file %q", tt.revision, commit, tt.commit, data)
		}
	}
	for _, tt := range []struct{ revision, path string }{
		{"nope", "tasks/task.yaml"}, {"", "tasks/other.yaml"}, {strings.Repeat("a", 40), "tasks/task.yaml"},
	} {
		if _, _, err := r.Git(context.Background(), url, tt.revision, tt.path); !IsNotFound(err) {
			t.Errorf("revision %q path %q: %v, want not found", tt.revision, tt.path, err)
		}
	}
	if _, _, err := r.Git(context.Background(), "file:///nonexistent/repo", "", "x"); err == nil {
		t.Error("a repository that does not exist")
	}
	// Through Get: the source is the repository at the commit, the entry point the path.
	ref := &windlassv1.TaskRef{Resolver: "git", Params: []windlassv1.Param{
		{Name: "url", Value: *windlassv1.NewString("https://git.example/t.git")}, {Name: "revision", Value: *windlassv1.NewString("v1")},
		{Name: "pathInRepo", Value: *windlassv1.NewString("tasks/task.yaml")}}}
	task, src, err := Get(context.Background(), nil, ref, "ns", Options{Remote: fileRemote{r, url}})
	if err != nil {
		t.Fatal(err)
	}
	if task.Spec.Steps[0].Script != "echo one" || src.URI != "git+https://git.example/t.git" || src.Digest["sha1"] != first || src.EntryPoint != "tasks/task.yaml" {
		t.Errorf("task %+v source %+v", task.Spec, src)
	}
	ref.Params = ref.Params[:2]
	if _, _, err := Get(context.Background(), nil, ref, "ns", Options{Remote: r}); !IsPermanent(err) || !strings.Contains(err.Error(), "pathInRepo") {
		t.Errorf("without pathInRepo: %v", err)
	}
}

// fileRemote serves a repository URL from a local one (Parse takes only http(s) URLs).
type fileRemote struct {
	*Remote
	local string
}

func (f fileRemote) Git(ctx context.Context, _, revision, path string) ([]byte, string, error) {
	return f.Remote.Git(ctx, f.local, revision, path)
}
