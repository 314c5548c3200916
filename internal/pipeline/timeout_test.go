package pipeline

import (
	"testing"
	"time"
)

func TestTaskRunSpecsTimeoutReplacesTheTasks(t *testing.T) {
	s := newSim(t, `
spec:
  timeouts: {pipeline: 30m}
  taskRunSpecs:
  - {pipelineTaskName: a, timeout: 5m}
  - {pipelineTaskName: b, timeout: 2h}
  - {pipelineTaskName: f, timeout: 1m}
  pipelineSpec:
    tasks:
    - {name: a, retries: 1, timeout: 1h, taskSpec: `+task+`}
    - {name: b, timeout: 1m, taskSpec: `+task+`}
    - {name: c, timeout: 3m, taskSpec: `+task+`}
    finally: [{name: f, timeout: 10m, taskSpec: `+task+`}]
`)
	s.plan()
	for name, want := range map[string]time.Duration{
		"pr-a": 5 * time.Minute,  // replaced: shorter than the task's own
		"pr-b": 30 * time.Minute, // replaced (longer than its own), still bounded by the run's timeout
		"pr-c": 3 * time.Minute,  // no taskRunSpecs timeout: its own
	} {
		if got := s.children[name].Spec.Timeout.Duration; got != want {
			t.Errorf("%s timeout = %v, want %v", name, got, want)
		}
	}
	s.now = t0.Add(time.Minute)
	s.finish("pr-a", false)
	s.plan()
	if got := s.children["pr-a-retry1"]; got == nil || got.Spec.Timeout.Duration != 5*time.Minute {
		t.Fatalf("the retry's timeout: %+v, want the taskRunSpecs' 5m", got)
	}
	s.finish("pr-a-retry1", true)
	s.finish("pr-b", true)
	s.finish("pr-c", true)
	s.plan()
	if got := s.children["pr-f"]; got == nil || got.Spec.Timeout.Duration != time.Minute {
		t.Fatalf("finally f's timeout: %+v, want the taskRunSpecs' 1m", got)
	}
}
