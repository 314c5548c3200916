package pipelinerun

import (
	"testing"
	"time"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// taskRunSpecs[].timeout replaces the task's own timeout, for its retries
// too, and the run's timeouts still bound it.
func TestTaskRunSpecsTimeoutReplacesTheTasks(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: run}
spec:
  timeouts: {pipeline: 20m}
  taskRunSpecs: [{pipelineTaskName: a, timeout: 90s}, {pipelineTaskName: b, timeout: 1h}]
  pipelineSpec:
    tasks:
    - {name: a, retries: 1, timeout: 1h, taskSpec: `+task+`}
    - {name: b, timeout: 1m, taskSpec: `+task+`}
`)
	check := func(name string, want time.Duration) {
		t.Helper()
		tr := waitTaskRun(t, ns, name)
		if tr.Spec.Timeout == nil || tr.Spec.Timeout.Duration != want {
			t.Errorf("%s timeout %v, want %v", name, tr.Spec.Timeout, want)
		}
	}
	check("run-a", 90*time.Second)
	// The run's 20m bound, less the seconds already spent.
	if b := waitTaskRun(t, ns, "run-b"); b.Spec.Timeout == nil || b.Spec.Timeout.Duration > 20*time.Minute || b.Spec.Timeout.Duration < 19*time.Minute {
		t.Errorf("run-b timeout %v, want the run's 20m bound, not its own 1m nor the taskRunSpecs' 1h", b.Spec.Timeout)
	}
	finish(t, ns, "run-a", false)
	check("run-a-retry1", 90*time.Second)
}
