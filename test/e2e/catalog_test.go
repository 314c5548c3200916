//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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

// catalogVar is a ${NAME} a catalog test file leaves for its test to fill
// in; a script's own $x, $1 or $(params.x) are not of that form.
var catalogVar = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)\}`)

// catalogTest reads file from the installed version of a catalog Task's
// tests/ directory (catalog/<task>/<version>/tests) and fills in its
// ${VARS}: ${SHELL_IMAGE} always, the others from vars. A variable the test
// does not give, or one it gives that the file does not use, fails the test.
func catalogTest(t *testing.T, task, file string, vars map[string]string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join("../../catalog", task, "*", "tests", file))
	if err != nil || len(matches) != 1 {
		t.Fatalf("catalog/%s/<version>/tests/%s: %d files (%v)", task, file, len(matches), err)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	out := catalogVar.ReplaceAllStringFunc(string(data), func(m string) string {
		k := m[2 : len(m)-1]
		used[k] = true
		if k == "SHELL_IMAGE" {
			return image(t, "shell")
		}
		v, ok := vars[k]
		if !ok {
			t.Fatalf("%s names ${%s}, which the test does not fill in", matches[0], k)
		}
		return v
	})
	for k := range vars {
		if !used[k] {
			t.Fatalf("the test fills in ${%s}, which %s does not use", k, matches[0])
		}
	}
	return out
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
	createObjects(t, ns, catalogTest(t, "git-clone", "pipeline.yaml", map[string]string{"URL": r.cloneURL, "FIRST": r.first}))
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
	createObjects(t, ns, catalogTest(t, "git-clone", "bundle.yaml", map[string]string{"BUNDLE": bundle, "URL": r.cloneURL}))
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
	createObjects(t, ns, catalogTest(t, "buildkit-build", "pipeline.yaml", map[string]string{"URL": r.cloneURL, "IMAGE": image, "REGISTRY": podRegistry}))
	var images []string
	for i, name := range []string{"cold", "warm"} {
		createObjects(t, ns, catalogTest(t, "buildkit-build", "pipelinerun.yaml", map[string]string{"NAME": name}))
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
	createObjects(t, ns, catalogTest(t, "trivy-scan", "pipeline.yaml",
		map[string]string{"URL": r.cloneURL, "IMAGE": scanned, "REGISTRY": podRegistry, "DB_REPOSITORY": db}))
	for _, name := range []string{"vulnerable", "clean"} {
		createObjects(t, ns, catalogTest(t, "trivy-scan", "pipelinerun.yaml", map[string]string{"NAME": name}))
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

	// The same image checked against another key: verification fails and
	// says so. Signed and attested with that key too (each Task on its own),
	// it passes with it.
	other := func(name, task string) map[string]string {
		v := map[string]string{"NAME": name, "IMAGE": got["image"], "KEYS": "other", "SOURCE_COMMIT": got["commit"]}
		if task == "cosign-attest" {
			v["SOURCE_URL"] = r.cloneURL
		}
		if task == "cosign-sign" {
			delete(v, "SOURCE_COMMIT")
		}
		createObjects(t, ns, catalogTest(t, task, "taskrun.yaml", v))
		return v
	}
	other("wrong-key", "cosign-verify")
	tr = waitRunDone(t, ns, "wrong-key", metav1.ConditionFalse, windlassv1.ReasonFailed, 2*time.Minute)
	if out := logs(t, ns, tr.Status.PodName, "step-verify"); !strings.Contains(out, "is not signed by the key cosign.pub") {
		t.Errorf("verification with another key: log %q", out)
	}
	other("sign-other", "cosign-sign")
	tr = waitRunDone(t, ns, "sign-other", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if sig := resultOf(t, tr, "SIGNATURE").StringVal; !strings.Contains(sig, ":sha256-") || !strings.HasSuffix(sig, ".sig") {
		t.Errorf("sign-other: SIGNATURE %q", sig)
	}
	other("attest-other", "cosign-attest")
	waitRunDone(t, ns, "attest-other", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	other("verify-other", "cosign-verify")
	tr = waitRunDone(t, ns, "verify-other", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	want := "verified: SLSA v1 provenance of " + got["image"] + " by builder https://windlass.dev/builders/windlass/v1alpha1 from git+" + r.cloneURL + " at " + got["commit"]
	if out := logs(t, ns, tr.Status.PodName, "step-verify"); !strings.Contains(out, want) {
		t.Errorf("verification with the other key after it signed and attested: the log lacks %q:\n%s", want, out)
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
