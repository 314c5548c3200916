//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// catalogNamespace is where `make deploy` (hack/deploy.sh) installs dist/catalog.yaml.
const catalogNamespace = "windlass-catalog"

// useCatalogTask copies an installed catalog Task into ns, so the test runs
// exactly what the catalog installed (images pinned by digest).
func useCatalogTask(t *testing.T, ns, name string) {
	t.Helper()
	src := &windlassv1.Task{}
	if err := crc.Get(context.Background(), client.ObjectKey{Namespace: catalogNamespace, Name: name}, src); err != nil {
		t.Fatalf("catalog Task %s/%s: %v", catalogNamespace, name, err)
	}
	for _, s := range src.Spec.Steps {
		if !strings.Contains(s.Image, "@sha256:") {
			t.Fatalf("catalog Task %s: step %s image %q is not pinned by digest", name, s.Name, s.Image)
		}
	}
	dst := &windlassv1.Task{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: src.Labels}, Spec: src.Spec}
	if err := crc.Create(context.Background(), dst); err != nil {
		t.Fatal(err)
	}
}

// sourceRepo is a private repository on the git server with two commits on
// main, the first tagged v1, and the push URL with credentials.
type sourceRepo struct {
	cloneURL      string
	first, second string
	dir, pushURL  string
}

func newSourceRepo(t *testing.T, g gitServer, ns string, files map[string]string) sourceRepo {
	t.Helper()
	name := "src-" + ns[len("e2e-"):]
	g.api(t, http.MethodPost, "/user/repos", map[string]any{"name": name, "private": true}, nil)
	r := sourceRepo{cloneURL: g.url + "/" + g.user + "/" + name + ".git", dir: t.TempDir()}
	u, _ := url.Parse(r.cloneURL)
	u.User = url.UserPassword(g.user, g.password)
	r.pushURL = u.String()
	write := func(name, body string) {
		p := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, r.dir, "init", "-q", "-b", "main")
	write("VERSION", "one\n")
	for n, body := range files {
		write(n, body)
	}
	git(t, r.dir, "add", ".")
	git(t, r.dir, "commit", "-q", "-m", "first")
	r.first = git(t, r.dir, "rev-parse", "HEAD")
	git(t, r.dir, "tag", "-a", "v1", "-m", "v1")
	write("VERSION", "two\n")
	git(t, r.dir, "commit", "-q", "-am", "second")
	r.second = git(t, r.dir, "rev-parse", "HEAD")
	git(t, r.dir, "push", "-q", r.pushURL, "main", "v1")
	return r
}

// gitCredentials gives ns a service account "builder" whose basic-auth
// Secret is annotated for the git server.
func gitCredentials(t *testing.T, g gitServer, ns string, more ...string) {
	t.Helper()
	ctx := context.Background()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git", Annotations: map[string]string{"windlass.dev/git-0": g.url}},
		Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": g.user, "password": g.password}}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}, Secrets: []corev1.ObjectReference{{Name: "git"}}}
	for _, m := range more {
		sa.Secrets = append(sa.Secrets, corev1.ObjectReference{Name: m})
	}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogGitCloneFromAPrivateRepository(t *testing.T) {
	g := gitserver(t)
	ns := namespace(t)
	useCatalogTask(t, ns, "git-clone")
	r := newSourceRepo(t, g, ns, nil)
	gitCredentials(t, g, ns)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: fetch}
spec:
  params: [{name: revision}]
  workspaces: [{name: source}]
  results:
  - {name: commit, value: $(tasks.clone.results.commit)}
  - {name: version, value: $(tasks.show.results.version)}
  tasks:
  - name: clone
    taskRef: {name: git-clone}
    params:
    - {name: url, value: `+r.cloneURL+`}
    - {name: revision, value: $(params.revision)}
    - {name: subdirectory, value: src}
    workspaces: [{name: output, workspace: source}]
  - name: show
    runAfter: [clone]
    workspaces: [{name: source, workspace: source}]
    taskSpec:
      workspaces: [{name: source}]
      results: [{name: version}]
      steps:
      - image: SHELL
        script: |
          cat $(workspaces.source.path)/src/VERSION | tr -d '\n' > $(results.version.path)
          test -d $(workspaces.source.path)/src/.git
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: at-tag}
spec:
  pipelineRef: {name: fetch}
  params: [{name: revision, value: v1}]
  taskRunTemplate: {serviceAccountName: builder}
  workspaces:
  - name: source
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 16Mi}}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: at-head}
spec:
  pipelineRef: {name: fetch}
  params: [{name: revision, value: ""}]
  taskRunTemplate: {serviceAccountName: builder}
  workspaces: [{name: source, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: at-sha}
spec:
  pipelineRef: {name: fetch}
  params: [{name: revision, value: `+r.first+`}]
  taskRunTemplate: {serviceAccountName: builder}
  workspaces: [{name: source, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: no-credentials}
spec:
  pipelineRef: {name: fetch}
  params: [{name: revision, value: main}]
  workspaces: [{name: source, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: no-such-revision}
spec:
  pipelineRef: {name: fetch}
  params: [{name: revision, value: nope}]
  taskRunTemplate: {serviceAccountName: builder}
  workspaces: [{name: source, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}}]
`)
	for name, want := range map[string][2]string{"at-tag": {r.first, "one"}, "at-head": {r.second, "two"}, "at-sha": {r.first, "one"}} {
		pr := waitPipelineDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
		got := map[string]string{}
		for _, res := range pr.Status.Results {
			got[res.Name] = res.Value.StringVal
		}
		if got["commit"] != want[0] || got["version"] != want[1] {
			t.Errorf("%s: results %v, want commit %s and version %s", name, got, want[0], want[1])
		}
		tr := getTaskRun(t, ns, name+"-clone")
		if u := resultOf(t, tr, "url").StringVal; u != r.cloneURL {
			t.Errorf("%s: url result %q", name, u)
		}
	}
	for name, want := range map[string]string{
		"no-credentials":   "authentication required",
		"no-such-revision": `--revision "nope": no branch, tag or commit of that name`,
	} {
		waitPipelineDone(t, ns, name, metav1.ConditionFalse, windlassv1.ReasonFailed, 3*time.Minute)
		tr := getTaskRun(t, ns, name+"-clone")
		if out := logs(t, ns, tr.Status.PodName, "step-clone"); !strings.Contains(out, want) {
			t.Errorf("%s: the clone step's log does not say %q:\n%s", name, want, out)
		}
	}
}

// podRegistry is the local registry as pods see it (on the cluster bridge).
const podRegistry = "10.88.0.1:5000"

func TestCatalogCloneBuildRunAndRebuildFromTheCache(t *testing.T) {
	g := gitserver(t)
	ns := namespace(t)
	useCatalogTask(t, ns, "git-clone")
	useCatalogTask(t, ns, "buildkit-build")
	r := newSourceRepo(t, g, ns, map[string]string{
		"app/Dockerfile": "FROM busybox\nARG GREETING=hello\nCOPY greet.sh /greet.sh\nRUN echo \"$GREETING from $(cat /VERSION 2>/dev/null || echo the build)\" > /greeting && chmod 755 /greet.sh\n",
		"app/greet.sh":   "#!/bin/sh\ncat /greeting\n",
	})
	gitCredentials(t, g, ns)
	image := podRegistry + "/e2e/" + ns + "/app"
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: build}
spec:
  workspaces: [{name: source}]
  results:
  - {name: image, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
  - {name: greeting, value: $(tasks.try.results.greeting)}
  tasks:
  - name: clone
    taskRef: {name: git-clone}
    params:
    - {name: url, value: `+r.cloneURL+`}
    - {name: revision, value: main}
    workspaces: [{name: output, workspace: source}]
  - name: build
    taskRef: {name: buildkit-build}
    params:
    - {name: IMAGE, value: "`+image+`:$(tasks.clone.results.commit)"}
    - {name: CONTEXT, value: app}
    - {name: BUILD_ARGS, value: [GREETING=hi]}
    - {name: CACHE_REF, value: `+image+`/cache}
    - {name: INSECURE_REGISTRIES, value: `+podRegistry+`}
    - {name: DOCKERHUB_MIRROR, value: `+podRegistry+`}
    workspaces: [{name: source, workspace: source}]
  - name: try
    params:
    - {name: image, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
    taskSpec:
      params: [{name: image}]
      results: [{name: greeting}]
      steps:
      - image: $(params.image)
        command: [/bin/sh, -c]
        args: ["/greet.sh | tr -d '\\n' > $(results.greeting.path)"]
`)
	vct := `workspaces: [{name: source, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}}]`
	var images []string
	for i, name := range []string{"cold", "warm"} {
		createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: `+name+`}
spec:
  pipelineRef: {name: build}
  taskRunTemplate: {serviceAccountName: builder}
  `+vct+`
`)
		pr := waitPipelineDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, 6*time.Minute)
		got := map[string]string{}
		for _, res := range pr.Status.Results {
			got[res.Name] = res.Value.StringVal
		}
		if want := image + ":" + r.second + "@sha256:"; !strings.HasPrefix(got["image"], want) {
			t.Errorf("%s: image result %q, want %s...", name, got["image"], want)
		}
		if got["greeting"] != "hi from the build" {
			t.Errorf("%s: the built image says %q, want %q", name, got["greeting"], "hi from the build")
		}
		images = append(images, got["image"])
		tr := getTaskRun(t, ns, name+"-build")
		out := logs(t, ns, tr.Status.PodName, "step-build")
		cached, steps := -1, -1
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "pushed ") {
				if _, err := fmt.Sscanf(line[strings.Index(line, ": ")+2:], "%d of %d build steps from the cache", &cached, &steps); err != nil {
					t.Fatalf("%s: cannot read the cache line %q: %v", name, line, err)
				}
			}
		}
		t.Logf("%s build: %d of %d steps from the cache", name, cached, steps)
		switch {
		case steps != 2:
			t.Errorf("%s: %d build steps seen, want the Dockerfile's 2 (COPY, RUN):\n%s", name, steps, out)
		case i == 0 && cached == steps:
			t.Errorf("%s: a first build took every step from the cache", name)
		case i == 1 && cached != steps:
			t.Errorf("%s: a rebuild of the same commit took %d of %d steps from the cache, want all:\n%s", name, cached, steps, out)
		}
	}
	// Every layer and the config came from the cache: the rebuild is the same image.
	if images[0] != images[1] {
		t.Errorf("the rebuild of the same commit pushed %s, the first build %s", images[1], images[0])
	}
}
