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
