//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// TestStepOutputToResultsAndFiles: Tekton's stdoutConfig/stderrConfig on the
// cluster. A step's standard output becomes a result (its path a
// $(results...) reference), its standard error a file in a workspace that
// the next step reads; the log keeps both streams.
func TestStepOutputToResultsAndFiles(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: streams}
spec:
  workspaces: [{name: scratch, emptyDir: {}}]
  taskSpec:
    workspaces: [{name: scratch}]
    results: [{name: greeting}, {name: warnings}]
    steps:
    - name: speak
      image: SHELL
      script: |
        printf 'hello from stdout'
        echo 'careful' >&2
      stdoutConfig: {path: $(results.greeting.path)}
      stderrConfig: {path: $(workspaces.scratch.path)/logs/stderr.txt}
    - name: read
      image: SHELL
      script: tr -d '\n' < $(workspaces.scratch.path)/logs/stderr.txt > $(results.warnings.path)
`)
	tr := waitRunDone(t, ns, "streams", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if got := resultOf(t, tr, "greeting").StringVal; got != "hello from stdout" {
		t.Errorf("greeting = %q, want the step's standard output", got)
	}
	if got := resultOf(t, tr, "warnings").StringVal; got != "careful" {
		t.Errorf("warnings = %q, want the step's standard error", got)
	}
	if log := logs(t, ns, tr.Status.PodName, "step-speak"); !strings.Contains(log, "hello from stdout") || !strings.Contains(log, "careful") {
		t.Errorf("the step's log lost its output: %q", log)
	}
}

// TestTektonPaths: a Task written for Tekton's paths runs unchanged: a
// result written to /tekton/results, a file one step leaves in
// /tekton/home for the next.
func TestTektonPaths(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: tekton-paths}
spec:
  taskSpec:
    results: [{name: said}]
    steps:
    - name: leave
      image: SHELL
      script: printf 'from home' > /tekton/home/note
    - name: say
      image: SHELL
      script: cat /tekton/home/note > /tekton/results/said
`)
	tr := waitRunDone(t, ns, "tekton-paths", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if got := resultOf(t, tr, "said").StringVal; got != "from home" {
		t.Errorf("said = %q, want what the first step left in /tekton/home", got)
	}
}

// TestIsolatedWorkspaces: a workspace one step lists is mounted in that step
// only (at its own mountPath); the other steps do not see it.
func TestIsolatedWorkspaces(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: isolated}
spec:
  workspaces: [{name: secrets, emptyDir: {}}, {name: shared, emptyDir: {}}]
  taskSpec:
    workspaces: [{name: secrets}, {name: shared}]
    results: [{name: seen}]
    steps:
    - name: keep
      image: SHELL
      workspaces: [{name: secrets, mountPath: /my/secrets}]
      script: |
        echo token > /my/secrets/t
        test ! -e $(workspaces.secrets.path)
        echo kept > $(workspaces.shared.path)/note
    - name: look
      image: SHELL
      script: |
        if [ -e $(workspaces.secrets.path) ] || [ -e /my/secrets ]; then echo visible; else echo hidden; fi | tr -d '\n' > $(results.seen.path)
        test -s $(workspaces.shared.path)/note
`)
	tr := waitRunDone(t, ns, "isolated", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if got := resultOf(t, tr, "seen").StringVal; got != "hidden" {
		t.Errorf("the second step sees the isolated workspace: %q", got)
	}
}

// TestTektonForms: forms Tekton takes run unchanged: an unnamed sidecar, a
// whole array param as an args item, displayName on a step.
func TestTektonForms(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: forms}
spec:
  params: [{name: words, value: [one, two, three]}]
  taskSpec:
    displayName: Tekton forms
    params: [{name: words, type: array}]
    results: [{name: said}]
    sidecars:
    - image: SHELL
      script: sleep 60
    steps:
    - displayName: Say the words
      image: SHELL
      command: [sh, -c, 'echo "$#:$*" | tr -d "\n" > $(results.said.path)', '--']
      args: ["$(params.words)"]
`)
	tr := waitRunDone(t, ns, "forms", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if got := resultOf(t, tr, "said").StringVal; got != "3:one two three" {
		t.Errorf("said = %q, want the array's three words as three args", got)
	}
	if len(tr.Status.Sidecars) != 1 || tr.Status.Sidecars[0].Container != "sidecar-unnamed-0" {
		t.Errorf("sidecars %+v", tr.Status.Sidecars)
	}
}
