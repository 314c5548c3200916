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

	"github.com/sigstore/cosign/v2/pkg/cosign"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// catalogNamespace is where `make deploy` (hack/deploy.sh) installs dist/catalog.yaml.
const catalogNamespace = "windlass-catalog"

// catalogTask checks that the installed catalog Task pins its images by
// digest and returns it; runs refer to it through the cluster resolver.
func catalogTask(t *testing.T, name string) *windlassv1.Task {
	t.Helper()
	task := &windlassv1.Task{}
	if err := crc.Get(context.Background(), client.ObjectKey{Namespace: catalogNamespace, Name: name}, task); err != nil {
		t.Fatalf("catalog Task %s/%s: %v", catalogNamespace, name, err)
	}
	for _, s := range task.Spec.Steps {
		if !strings.Contains(s.Image, "@sha256:") {
			t.Fatalf("catalog Task %s: step %s image %q is not pinned by digest", name, s.Name, s.Image)
		}
	}
	return task
}

// catalogRef is a taskRef to an installed catalog Task through the cluster
// resolver, as a run in any namespace writes it.
func catalogRef(name string) string {
	return "{resolver: cluster, params: [{name: kind, value: task}, {name: name, value: " + name +
		"}, {name: namespace, value: " + catalogNamespace + "}]}"
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
	gitClone := catalogTask(t, "git-clone")
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
    taskRef: `+catalogRef("git-clone")+`
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
		want := "/apis/windlass.dev/v1alpha1/namespaces/windlass-catalog/tasks/git-clone@" + string(gitClone.UID)
		if p := tr.Status.Provenance; p == nil || p.RefSource == nil || p.RefSource.URI != want {
			t.Errorf("%s: the clone TaskRun's provenance %+v, want refSource %s", name, p, want)
		}
	}
	// The same Task pulled as an OCI bundle (make catalog publishes one per Task version).
	bundle := podRegistry + "/windlass/catalog/git-clone:" + gitClone.Labels["app.kubernetes.io/version"]
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: from-bundle}
spec:
  serviceAccountName: builder
  taskRef:
    resolver: bundles
    params:
    - {name: bundle, value: `+bundle+`}
    - {name: name, value: git-clone}
    - {name: kind, value: task}
  params:
  - {name: url, value: `+r.cloneURL+`}
  - {name: revision, value: v1}
  workspaces: [{name: output, emptyDir: {}}]
`)
	tr := waitRunDone(t, ns, "from-bundle", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if c := resultOf(t, tr, "commit").StringVal; c != r.first {
		t.Errorf("from-bundle: commit %s, want %s", c, r.first)
	}
	if p := tr.Status.Provenance; p == nil || p.RefSource == nil || !strings.HasPrefix(p.RefSource.URI, bundle+"@sha256:") ||
		"sha256:"+p.RefSource.Digest["sha256"] != p.RefSource.URI[len(bundle)+1:] {
		t.Errorf("from-bundle: provenance %+v, want the bundle %s pinned by digest", p, bundle)
	}
	for name, want := range map[string]string{
		"no-credentials":   "authentication required",
		"no-such-revision": `--revision "nope": no branch, tag or commit of that name`,
	} {
		pr := waitPipelineDone(t, ns, name, metav1.ConditionFalse, windlassv1.ReasonFailed, 3*time.Minute)
		tr := getTaskRun(t, ns, name+"-clone")
		if out := logs(t, ns, tr.Status.PodName, "step-clone"); !strings.Contains(out, want) {
			t.Errorf("%s: the clone step's log does not say %q:\n%s", name, want, out)
		}
		// The tool's error (toolkit.Main, $WINDLASS_MESSAGE_FILE) reaches the PipelineRun's message.
		if c := condText(prCondition(pr)); !strings.Contains(c, "step-clone exited with code ") || !strings.Contains(c, ": git-clone: ") || !strings.Contains(c, want) {
			t.Errorf("%s: the PipelineRun's message does not quote the clone step's %q: %s", name, want, c)
		}
	}
}

// podRegistry is the local registry as pods see it (on the cluster bridge).
const podRegistry = "10.88.0.1:5000"

func TestCatalogCloneBuildRunAndRebuildFromTheCache(t *testing.T) {
	g := gitserver(t)
	ns := namespace(t)
	catalogTask(t, "git-clone")
	catalogTask(t, "buildkit-build")
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
    taskRef: `+catalogRef("git-clone")+`
    params:
    - {name: url, value: `+r.cloneURL+`}
    - {name: revision, value: main}
    workspaces: [{name: output, workspace: source}]
  - name: build
    taskRef: `+catalogRef("buildkit-build")+`
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

// debianImage is a build context whose image Trivy sees as Debian 12 with the
// fixture package windlass-fixture at version (advisories: test/fixtures/trivy-db).
func debianImage(dir, version string) map[string]string {
	return map[string]string{
		dir + "/Dockerfile":     "FROM busybox\nCOPY debian_version /etc/debian_version\nCOPY os-release /etc/os-release\nCOPY status /var/lib/dpkg/status\n",
		dir + "/debian_version": "12.5\n",
		dir + "/os-release":     "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
		dir + "/status": "Package: windlass-fixture\nStatus: install ok installed\nPriority: optional\nSection: libs\n" +
			"Installed-Size: 1\nMaintainer: e2e <e2e@windlass.dev>\nArchitecture: amd64\nVersion: " + version + "\nDescription: fixture\n",
	}
}

// TestCatalogBuildScanSignAttestVerify is the catalog's main pipeline: the
// image's digest flows by results from the build to the scan, the signature,
// the provenance and its verification. A vulnerable image stops at the scan's
// gate; an image signed by another key fails verification.
func TestCatalogBuildScanSignAttestVerify(t *testing.T) {
	g := gitserver(t)
	ns := namespace(t)
	for _, task := range []string{"git-clone", "buildkit-build", "trivy-scan", "cosign-sign", "cosign-attest", "cosign-verify"} {
		catalogTask(t, task)
	}
	files := debianImage("vulnerable", "1.0-1")
	for k, v := range debianImage("clean", "1.0-2") {
		files[k] = v
	}
	r := newSourceRepo(t, g, ns, files)
	gitCredentials(t, g, ns)
	cosignKeys(t, ns, "signing")
	cosignKeys(t, ns, "other")
	scanned := podRegistry + "/e2e/" + ns + "/scanned"
	db := strings.Replace(strings.Split(image(t, "trivy-db"), "@")[0], "127.0.0.1:5000", podRegistry, 1)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: scan}
spec:
  params: [{name: context}]
  workspaces: [{name: source}, {name: reports}, {name: keys}]
  results:
  - {name: critical, value: $(tasks.scan.results.counts.CRITICAL)}
  - {name: low, value: $(tasks.scan.results.counts.LOW)}
  - {name: image, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
  - {name: commit, value: $(tasks.clone.results.commit)}
  tasks:
  - name: clone
    taskRef: `+catalogRef("git-clone")+`
    params: [{name: url, value: `+r.cloneURL+`}]
    workspaces: [{name: output, workspace: source}]
  - name: build
    runAfter: [clone]
    taskRef: `+catalogRef("buildkit-build")+`
    params:
    - {name: IMAGE, value: "`+scanned+`:$(params.context)"}
    - {name: CONTEXT, value: $(params.context)}
    - {name: INSECURE_REGISTRIES, value: `+podRegistry+`}
    - {name: DOCKERHUB_MIRROR, value: `+podRegistry+`}
    workspaces: [{name: source, workspace: source}]
  - name: scan
    taskRef: `+catalogRef("trivy-scan")+`
    params:
    - {name: IMAGE, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
    - {name: DB_REPOSITORY, value: `+db+`}
    - {name: INSECURE, value: "true"}
    workspaces: [{name: reports, workspace: reports}]
  - name: sign
    runAfter: [scan]
    taskRef: `+catalogRef("cosign-sign")+`
    params:
    - {name: IMAGE, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
    - {name: ALLOW_HTTP, value: "true"}
    workspaces: [{name: keys, workspace: keys}]
  - name: attest
    runAfter: [sign]
    taskRef: `+catalogRef("cosign-attest")+`
    params:
    - {name: IMAGE, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
    - {name: SOURCE_URL, value: $(tasks.clone.results.url)}
    - {name: SOURCE_COMMIT, value: $(tasks.clone.results.commit)}
    - {name: BUILD_PARAMS, value: ["CONTEXT=$(params.context)"]}
    - {name: PIPELINE_RUN, value: $(context.pipelineRun.name)}
    - {name: ALLOW_HTTP, value: "true"}
    workspaces: [{name: keys, workspace: keys}]
  - name: verify
    runAfter: [attest]
    taskRef: `+catalogRef("cosign-verify")+`
    params:
    - {name: IMAGE, value: "$(tasks.build.results.IMAGE_URL)@$(tasks.build.results.IMAGE_DIGEST)"}
    - {name: EXPECT_SOURCE_COMMIT, value: $(tasks.clone.results.commit)}
    - {name: ALLOW_HTTP, value: "true"}
    workspaces: [{name: keys, workspace: keys}]
`)
	for _, name := range []string{"vulnerable", "clean"} {
		createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: `+name+`}
spec:
  pipelineRef: {name: scan}
  params: [{name: context, value: `+name+`}]
  taskRunTemplate: {serviceAccountName: builder}
  workspaces:
  - {name: source, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}}
  - {name: reports, emptyDir: {}}
  - {name: keys, secret: {secretName: signing}}
`)
	}
	vulnerable := waitPipelineDone(t, ns, "vulnerable", metav1.ConditionFalse, windlassv1.ReasonFailed, 6*time.Minute)
	tr := getTaskRun(t, ns, "vulnerable-scan")
	out := logs(t, ns, tr.Status.PodName, "step-scan")
	for _, want := range []string{"CRITICAL 1, HIGH 0, MEDIUM 0, LOW 1, UNKNOWN 0",
		"CRITICAL WINDLASS-2026-0001 windlass-fixture 1.0-1 (fixed in 1.0-2)", "has 1 vulnerabilities at a gated severity (CRITICAL,HIGH)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the vulnerable image's scan log lacks %q:\n%s", want, out)
		}
	}
	if c := condText(prCondition(vulnerable)); !strings.Contains(c, "scan") {
		t.Errorf("the vulnerable run failed, but not at the scan: %s", c)
	}
	for _, task := range []string{"sign", "attest", "verify"} {
		if _, ok := skipped(vulnerable)[task]; !ok {
			t.Errorf("the vulnerable image's run did not skip %s", task)
		}
	}
	pr := waitPipelineDone(t, ns, "clean", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 6*time.Minute)
	got := map[string]string{}
	for _, res := range pr.Status.Results {
		got[res.Name] = res.Value.StringVal
	}
	if got["critical"] != "0" || got["low"] != "0" {
		t.Errorf("clean image: results %v, want no CRITICAL and no LOW", got)
	}
	for task, want := range map[string]string{
		"verify": "verified: SLSA v1 provenance of " + got["image"] + " by builder https://windlass.dev/builders/windlass/v1alpha1 from git+" + r.cloneURL + " at " + got["commit"],
		"attest": "attested SLSA v1 provenance of " + got["image"],
	} {
		tr := getTaskRun(t, ns, "clean-"+task)
		if out := logs(t, ns, tr.Status.PodName, "step-"+task); !strings.Contains(out, want) {
			t.Errorf("the %s step's log lacks %q:\n%s", task, want, out)
		}
	}

	// The same image checked against another key: verification fails and says so.
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: wrong-key}
spec:
  taskRef: `+catalogRef("cosign-verify")+`
  params:
  - {name: IMAGE, value: "`+got["image"]+`"}
  - {name: ALLOW_HTTP, value: "true"}
  workspaces: [{name: keys, secret: {secretName: other}}]
`)
	tr = waitRunDone(t, ns, "wrong-key", metav1.ConditionFalse, windlassv1.ReasonFailed, 2*time.Minute)
	if out := logs(t, ns, tr.Status.PodName, "step-verify"); !strings.Contains(out, "is not signed by the key cosign.pub") {
		t.Errorf("verification with another key: log %q", out)
	}
}

// cosignKeys makes a cosign key pair in the Secret name: cosign.key,
// cosign.pub and cosign.password.
func cosignKeys(t *testing.T, ns, name string) {
	t.Helper()
	kp, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte("e2e-" + name), nil })
	if err != nil {
		t.Fatal(err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name},
		Data: map[string][]byte{"cosign.key": kp.PrivateBytes, "cosign.pub": kp.PublicBytes, "cosign.password": []byte("e2e-" + name)}}
	if _, err := kube.CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func condText(c *metav1.Condition) string {
	if c == nil {
		return "<no condition>"
	}
	return c.Reason + ": " + c.Message
}
