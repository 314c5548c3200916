//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// TestGitAndHTTPResolvers: a Task kept in a public repository on the git
// server runs by Tekton's git resolver (url, revision, pathInRepo) at a tag
// and at a branch, and by the http resolver from the server's raw file URL;
// each run pins where its Task came from (the commit, or the file's digest).
// A path the repository lacks fails the run with TaskNotFound naming it.
func TestGitAndHTTPResolvers(t *testing.T) {
	g := gitserver(t)
	ns := namespace(t)
	name := "tasks-" + ns[len("e2e-"):]
	g.api(t, http.MethodPost, "/user/repos", map[string]any{"name": name, "private": false}, nil)
	dir := t.TempDir()
	task := func(says string) {
		body := "apiVersion: windlass.dev/v1alpha1\nkind: Task\nmetadata: {name: hello}\nspec:\n  results: [{name: said}]\n" +
			"  steps:\n  - image: " + image(t, "shell") + "\n    script: printf " + says + " > $(results.said.path)\n"
		if err := os.MkdirAll(filepath.Join(dir, "tasks"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "tasks", "hello.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cloneURL := g.url + "/" + g.user + "/" + name + ".git"
	u, _ := url.Parse(cloneURL)
	u.User = url.UserPassword(g.user, g.password)
	git(t, dir, "init", "-q", "-b", "main")
	task("one")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "one")
	first := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "tag", "-a", "v1", "-m", "v1")
	task("two")
	pipeline := "apiVersion: windlass.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: greet}\nspec:\n" +
		"  results: [{name: said, value: $(tasks.hello.results.said)}]\n  tasks:\n  - name: hello\n    taskRef:\n      resolver: git\n" +
		"      params: [{name: url, value: \"" + g.url + "/" + g.user + "/" + name + ".git\"}, {name: revision, value: v1}, {name: pathInRepo, value: tasks/hello.yaml}]\n"
	if err := os.WriteFile(filepath.Join(dir, "pipeline.yaml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-am", "two")
	second := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "push", "-q", u.String(), "main", "v1")

	gitRun := func(run, revision, path string) string {
		return `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: ` + run + `}
spec:
  taskRef:
    resolver: git
    params:
    - {name: url, value: "` + cloneURL + `"}
    - {name: revision, value: "` + revision + `"}
    - {name: pathInRepo, value: ` + path + `}
`
	}
	raw := g.url + "/" + g.user + "/" + name + "/raw/branch/main/tasks/hello.yaml"
	// A Pipeline from the repository, whose task comes from it too, at v1.
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: remote-pipeline}
spec:
  pipelineRef:
    resolver: git
    params: [{name: url, value: "`+cloneURL+`"}, {name: pathInRepo, value: pipeline.yaml}]
`)
	createRun(t, ns, gitRun("at-tag", "v1", "tasks/hello.yaml")+"---"+gitRun("at-main", "main", "tasks/hello.yaml")+"---"+
		gitRun("no-file", "main", "tasks/nope.yaml")+`---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: by-http}
spec:
  taskRef: {resolver: http, params: [{name: url, value: "`+raw+`"}]}
`)
	for run, want := range map[string][2]string{"at-tag": {"one", first}, "at-main": {"two", second}} {
		tr := waitRunDone(t, ns, run, metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
		src := tr.Status.Provenance.RefSource
		if said := resultOf(t, tr, "said").StringVal; said != want[0] || src.URI != "git+"+cloneURL || src.Digest["sha1"] != want[1] || src.EntryPoint != "tasks/hello.yaml" {
			t.Errorf("%s: said %q, source %+v; want %q from commit %s", run, said, src, want[0], want[1])
		}
	}
	tr := waitRunDone(t, ns, "by-http", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if said, src := resultOf(t, tr, "said").StringVal, tr.Status.Provenance.RefSource; said != "two" || src.URI != raw || len(src.Digest["sha256"]) != 64 {
		t.Errorf("by-http: said %q, source %+v", said, src)
	}
	pr := waitPipelineDone(t, ns, "remote-pipeline", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if src := pr.Status.Provenance; len(pr.Status.Results) != 1 || pr.Status.Results[0].Value.StringVal != "one" ||
		src == nil || src.RefSource.URI != "git+"+cloneURL || src.RefSource.Digest["sha1"] != second || src.RefSource.EntryPoint != "pipeline.yaml" {
		t.Errorf("remote-pipeline: results %+v, provenance %+v", pr.Status.Results, src)
	}
	// A file the repository lacks is waited for (--task-not-found-timeout),
	// the condition saying which file at which commit.
	want := "no file tasks/nope.yaml at " + second
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		tr := &windlassv1.TaskRun{}
		if crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "no-file"}, tr) != nil {
			return false, nil
		}
		c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Reason == windlassv1.ReasonTaskNotFound && strings.Contains(c.Message, want), nil
	})
	if err != nil {
		t.Errorf("no-file: the run never said %q", want)
	}
}
