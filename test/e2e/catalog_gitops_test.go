//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// devOverlay is the config repository's dev overlay before a release: the
// app at a tag, with comments a person wrote.
const devOverlay = `# dev: what runs in the dev namespace
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: dev
resources:
  - ../../base
images:
  # the app; releases set it
  - name: app # pinned by the pipeline
    newName: registry.example/app
    newTag: "1.0"
`

// kustomizeCommitRun is the catalog's own test run (tests/taskrun.yaml) for
// one TaskRun name, repository and image.
func kustomizeCommitRun(t *testing.T, name, url, img, source string) string {
	t.Helper()
	return catalogTest(t, "kustomize-commit", "taskrun.yaml",
		map[string]string{"NAME": name, "CONFIG_URL": url, "IMAGE": img, "SOURCE_COMMIT": source})
}

// TestCatalogKustomizeCommit: the catalog Task, through the cluster
// resolver and with the service account's credentials, sets an image digest
// in a private config repository on the git server. The pushed commit keeps
// the overlay's comments and carries the trailers; the same run again pushes
// nothing; an image without a digest is refused; two releases at once both
// land, one after the other.
func TestCatalogKustomizeCommit(t *testing.T) {
	g := gitserver(t)
	ns := namespace(t)
	catalogTask(t, "kustomize-commit")
	r := newSourceRepo(t, g, ns, map[string]string{
		"base/kustomization.yaml":         "resources: [deployment.yaml]\n",
		"base/deployment.yaml":            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n",
		"overlays/dev/kustomization.yaml": devOverlay,
	})
	gitCredentials(t, g, ns)
	digest := "sha256:" + strings.Repeat("ab", 32)
	appRepo := podRegistry + "/e2e/" + ns + "/app"
	source := strings.Repeat("5", 40)
	createObjects(t, ns, kustomizeCommitRun(t, "release", r.cloneURL, "app="+appRepo+":"+r.second[:7]+"@"+digest, source)+
		"\n---\n"+kustomizeCommitRun(t, "by-tag", r.cloneURL, "app="+appRepo+":1.1", source))

	tr := waitRunDone(t, ns, "release", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	commit, changed := resultOf(t, tr, "COMMIT").StringVal, resultOf(t, tr, "CHANGED").StringVal
	git(t, r.dir, "fetch", "-q", r.pushURL, "main")
	head := git(t, r.dir, "rev-parse", "FETCH_HEAD")
	if changed != "true" || commit != head {
		t.Fatalf("results COMMIT=%s CHANGED=%s; the git server's main is at %s", commit, changed, head)
	}
	if parent := git(t, r.dir, "rev-parse", head+"^"); parent != r.second {
		t.Errorf("the config commit's parent is %s, want the head before the run, %s", parent, r.second)
	}
	got := git(t, r.dir, "show", head+":overlays/dev/kustomization.yaml")
	want := strings.Replace(devOverlay, "    newName: registry.example/app\n    newTag: \"1.0\"\n",
		"    newName: "+appRepo+"\n    digest: "+digest+"\n", 1)
	if got+"\n" != want {
		t.Errorf("the pushed kustomization.yaml:\n%s\nwant (comments kept, the tag gone, the digest set):\n%s", got, want)
	}
	if files := git(t, r.dir, "diff", "--name-only", r.second, head); files != "overlays/dev/kustomization.yaml" {
		t.Errorf("the config commit changed %q, want only the overlay", files)
	}
	trailers := git(t, r.dir, "log", "-1", "--format=%(trailers:only,unfold)", head)
	wantTrailers := "Image: app=" + appRepo + "@" + digest + "\nSource-Commit: " + source + "\nWindlass-Run: " + ns + "/release"
	if trailers != wantTrailers {
		t.Errorf("the commit's trailers:\n%s\nwant:\n%s", trailers, wantTrailers)
	}
	if subject := git(t, r.dir, "log", "-1", "--format=%s|%an <%ae>", head); subject != "Set app to "+digest[:19]+" in overlays/dev/kustomization.yaml|Windlass <windlass@windlass.dev>" {
		t.Errorf("subject and author: %q", subject)
	}

	// The same run again: nothing to commit, the branch stays where it is.
	createObjects(t, ns, kustomizeCommitRun(t, "again", r.cloneURL, "app="+appRepo+"@"+digest, source))
	tr = waitRunDone(t, ns, "again", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if c, ch := resultOf(t, tr, "COMMIT").StringVal, resultOf(t, tr, "CHANGED").StringVal; c != head || ch != "false" {
		t.Errorf("the second run: COMMIT=%s CHANGED=%s, want %s and false", c, ch, head)
	}
	git(t, r.dir, "fetch", "-q", r.pushURL, "main")
	if now := git(t, r.dir, "rev-parse", "FETCH_HEAD"); now != head {
		t.Errorf("the second run moved main from %s to %s", head, now)
	}
	if out := logs(t, ns, tr.Status.PodName, "step-commit"); !strings.Contains(out, "nothing to commit") {
		t.Errorf("the second run's log: %s", out)
	}

	// A tag alone is refused, naming the image.
	tr = waitRunDone(t, ns, "by-tag", metav1.ConditionFalse, windlassv1.ReasonFailed, 2*time.Minute)
	if out := logs(t, ns, tr.Status.PodName, "step-commit"); !strings.Contains(out, `image "app=`+appRepo+`:1.1" is not pinned by a digest`) {
		t.Errorf("the by-tag run's log does not refuse the image by name:\n%s", out)
	}

	// Two releases of other images at once: whichever pushes second finds the
	// branch moved (refused by the git server or seen before pushing) and
	// makes its edit again on the new head, so both land in a straight line.
	other := map[string]string{"worker": "sha256:" + strings.Repeat("cd", 32), "cron": "sha256:" + strings.Repeat("ef", 32)}
	var both []string
	for name, d := range other {
		both = append(both, kustomizeCommitRun(t, "release-"+name, r.cloneURL, name+"="+appRepo+"-"+name+"@"+d, source))
	}
	createObjects(t, ns, strings.Join(both, "\n---\n"))
	commits := map[string]bool{}
	for name := range other {
		tr := waitRunDone(t, ns, "release-"+name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
		if ch := resultOf(t, tr, "CHANGED").StringVal; ch != "true" {
			t.Errorf("release-%s: CHANGED=%s", name, ch)
		}
		commits[resultOf(t, tr, "COMMIT").StringVal] = true
		t.Logf("release-%s: %s", name, strings.TrimSpace(logs(t, ns, tr.Status.PodName, "step-commit")))
	}
	git(t, r.dir, "fetch", "-q", r.pushURL, "main")
	line := strings.Fields(git(t, r.dir, "rev-list", "--first-parent", head+"..FETCH_HEAD"))
	if len(line) != 2 || !commits[line[0]] || !commits[line[1]] || git(t, r.dir, "rev-list", "--merges", head+"..FETCH_HEAD") != "" {
		t.Errorf("after two releases at once main has %v on top of %s, want their two commits %v in a line", line, head, commits)
	}
	got = git(t, r.dir, "show", "FETCH_HEAD:overlays/dev/kustomization.yaml")
	for name, d := range other {
		if want := "  - name: " + name + "\n    newName: " + appRepo + "-" + name + "\n    digest: " + d + "\n"; !strings.Contains(got+"\n", want) {
			t.Errorf("the overlay after both releases lacks %s's entry:\n%s", name, got)
		}
	}
	if !strings.Contains(got, "# the app; releases set it\n  - name: app # pinned by the pipeline\n    newName: "+appRepo+"\n    digest: "+digest) {
		t.Errorf("the releases at once lost the app's entry or its comments:\n%s", got)
	}
}
