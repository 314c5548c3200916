package pipeline

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// TestTaskReasons: $(tasks.<name>.reason) in a finally task is the reason
// of the task's TaskRun (FailureIgnored when onError: continue let it
// fail), "" for a task that did not run, as in Tekton.
func TestTaskReasons(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: ignored, onError: continue, taskRef: {name: t}}
    - {name: ok, taskRef: {name: t}}
    - {name: late, taskRef: {name: t}}
    - {name: never, runAfter: [late], taskRef: {name: t}}
    finally:
    - name: report
      taskRef: {name: t}
      params:
      - {name: ignored, value: $(tasks.ignored.reason)}
      - {name: ok, value: $(tasks.ok.reason)}
      - {name: late, value: $(tasks.late.reason)}
      - {name: never, value: $(tasks.never.reason)}
`)
	s.plan()
	s.finish("pr-ignored", false)
	s.finish("pr-ok", true)
	s.finish("pr-late", false)
	s.children["pr-late"].Status.Conditions[0].Reason = windlassv1.ReasonTimedOut
	s.plan()
	if s.children["pr-report"] == nil {
		t.Fatalf("finally did not start: %v", s.names())
	}
	for name, want := range map[string]string{"ignored": ReasonFailureIgnored, "ok": "Succeeded", "late": windlassv1.ReasonTimedOut, "never": ""} {
		if got := s.param("pr-report", name).StringVal; got != want {
			t.Errorf("$(tasks.%s.reason) = %q, want %q", name, got, want)
		}
	}
}

// TestMatrixLengths: $(tasks.<m>.matrix.length) is a matrixed task's
// number of combinations and $(tasks.<m>.matrix.<r>.length) how many of
// them wrote result r; either makes the referencing task wait for <m>.
func TestMatrixLengths(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: m, taskRef: {name: t}, matrix: {params: [{name: x, value: [a, b, c]}]}}
    - name: check
      taskRef: {name: t}
      params:
      - {name: count, value: $(tasks.m.matrix.length)}
      - {name: digests, value: $(tasks.m.matrix.DIGEST.length)}
      - {name: urls, value: $(tasks.m.matrix.URL.length)}
`)
	s.plan()
	s.wantRunning("pr-m-0", "pr-m-1", "pr-m-2")
	digest, url := res("DIGEST", windlassv1.NewString("d")), res("URL", windlassv1.NewString("u"))
	s.finish("pr-m-0", true, digest, url)
	s.finish("pr-m-1", true, digest)
	s.finish("pr-m-2", true, digest)
	s.plan()
	for name, want := range map[string]string{"count": "3", "digests": "3", "urls": "1"} {
		if got := s.param("pr-check", name).StringVal; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	s.finish("pr-check", true)
	s.plan()
	s.wantDone(metav1.ConditionTrue, "Succeeded")
}

func TestMatrixLengthOfATaskWithoutAMatrix(t *testing.T) {
	run := &windlassv1.PipelineRun{}
	if err := yaml.UnmarshalStrict([]byte(`
spec:
  pipelineSpec:
    tasks:
    - {name: m, taskRef: {name: t}}
    - {name: check, taskRef: {name: t}, params: [{name: count, value: $(tasks.m.matrix.length)}]}
`), run); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(run, "pl", run.Spec.PipelineSpec, nil)
	want := "spec.pipelineSpec.tasks[1] (check): $(tasks.m.matrix...) names no task of tasks with a matrix"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// TestWholeArrayResult: $(tasks.t.results.arr) as a param's whole value
// passes the array, as $(tasks.t.results.arr[*]) does (Tekton takes both).
func TestWholeArrayResult(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: one, taskSpec: {results: [{name: arr, type: array}], steps: [{image: busybox, script: "true"}]}}
    - {name: two, taskRef: {name: t}, params: [{name: a, value: $(tasks.one.results.arr)}, {name: b, value: "$(tasks.one.results.arr[*])"}]}
`)
	s.plan()
	s.finish("pr-one", true, res("arr", windlassv1.NewArray("x", "y")))
	s.plan()
	for _, name := range []string{"a", "b"} {
		if got := s.param("pr-two", name); got.Type != windlassv1.ParamTypeArray || strings.Join(got.ArrayVal, ",") != "x,y" {
			t.Errorf("%s = %+v, want the array [x y]", name, got)
		}
	}
}
