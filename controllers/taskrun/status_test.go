package taskrun

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
)

func spec2(onErr windlassv1.OnErrorType) *windlassv1.TaskSpec {
	return &windlassv1.TaskSpec{
		Results: []windlassv1.TaskResult{{Name: "r"}},
		Steps:   []windlassv1.Step{{Name: "a", OnError: onErr}, {Name: "b"}},
	}
}

func term(msg string) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Message: msg}}
}

func pod(states map[string]corev1.ContainerState, conds ...corev1.PodCondition) *corev1.Pod {
	p := &corev1.Pod{}
	for _, n := range []string{"step-a", "step-b"} {
		st, ok := states[n]
		if !ok {
			st = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
		}
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: n, Image: "img-" + n, State: st})
	}
	p.Status.Conditions = conds
	return p
}

func deleting(p *corev1.Pod) *corev1.Pod {
	now := metav1.Now()
	p.Name, p.DeletionTimestamp = "p", &now
	return p
}

func TestPodOutcome(t *testing.T) {
	ok := `{"c":0,"r":"Completed"}`
	tests := []struct {
		name        string
		spec        *windlassv1.TaskSpec
		pod         *corev1.Pod
		done        bool
		reason, msg string
		waiting     string
		waitReason  string
	}{
		{name: "first step running", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": {Running: &corev1.ContainerStateRunning{}}})},
		{name: "one step left", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term(ok)})},
		{name: "all completed", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term(ok), "step-b": term(`{"c":0,"r":"Completed","res":{"r":"v"}}`)}),
			done: true, reason: windlassv1.ReasonSucceeded},
		{name: "failed step", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term(`{"c":2,"r":"Error"}`), "step-b": term(`{"c":0,"r":"Skipped"}`)}),
			done: true, reason: windlassv1.ReasonFailed, msg: "step-a exited with code 2"},
		{name: "failed step with its own word", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term(`{"c":1,"r":"Error","m":"deploy: revision 3 of web failed; rolled back to 2"}`), "step-b": term(`{"c":0,"r":"Skipped"}`)}),
			done: true, reason: windlassv1.ReasonFailed, msg: "step-a exited with code 1: deploy: revision 3 of web failed; rolled back to 2"},
		{name: "failed step with onError continue", spec: spec2(windlassv1.OnErrorContinue), pod: pod(map[string]corev1.ContainerState{"step-a": term(`{"c":2,"r":"Error"}`), "step-b": term(ok)}),
			done: true, reason: windlassv1.ReasonSucceeded},
		{name: "onError continue keeps the step's word out of the run's message", spec: spec2(windlassv1.OnErrorContinue), pod: pod(map[string]corev1.ContainerState{"step-a": term(`{"c":2,"r":"Error","m":"flaky"}`), "step-b": term(ok)}),
			done: true, reason: windlassv1.ReasonSucceeded, msg: "All steps completed."},
		{name: "step timeout", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term(`{"c":143,"r":"TimeoutExceeded","m":"too slow"}`), "step-b": term(`{"c":0,"r":"Skipped"}`)}),
			done: true, reason: windlassv1.ReasonStepTimedOut, msg: "step-a: too slow"},
		{name: "results too large", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term(ok), "step-b": term(`{"c":0,"r":"ResultsTooLarge","m":"big"}`)}),
			done: true, reason: windlassv1.ReasonResultsTooLarge, msg: "big"},
		{name: "image not found", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-b": {Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "img-step-b": ErrImagePull: img-step-b: not found`}}}),
			done: true, reason: windlassv1.ReasonImagePullFailed, msg: `container step-b cannot pull image img-step-b: ImagePullBackOff: Back-off pulling image "img-step-b": ErrImagePull: img-step-b: not found`},
		{name: "image pull throttled", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-b": {Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "pull QPS exceeded"}}}),
			waiting: "container step-b cannot pull image img-step-b: ErrImagePull: pull QPS exceeded"},
		{name: "the entrypoint's image volume cannot be pulled", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": {Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull",
			Message: `failed to pull and unpack image "r/entrypoint@sha256:1": failed to resolve image: dial tcp r:443: connect: connection refused`}}}),
			waiting: `container step-a cannot pull image r/entrypoint@sha256:1: ErrImagePull: failed to pull and unpack image "r/entrypoint@sha256:1": failed to resolve image: dial tcp r:443: connect: connection refused`},
		{name: "unschedulable", spec: spec2(""), pod: pod(nil, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "no node"}),
			done: true, reason: windlassv1.ReasonUnschedulable, msg: "the pod cannot be scheduled: no node"},
		{name: "a claim the scheduler has not seen yet", spec: spec2(""), pod: pod(nil, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
			Message: `0/1 nodes are available: persistentvolumeclaim "pvc-run-src" not found. not found`}),
			waiting: `the pod cannot be scheduled: 0/1 nodes are available: persistentvolumeclaim "pvc-run-src" not found. not found`, waitReason: windlassv1.ReasonUnschedulable},
		{name: "evicted through the Eviction API", spec: spec2(""), pod: deleting(pod(map[string]corev1.ContainerState{"step-a": {Running: &corev1.ContainerStateRunning{}}},
			corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI", Message: "Eviction API: evicting"})),
			done: true, reason: windlassv1.ReasonPodEvicted, msg: "The pod p was evicted before the run finished (EvictionByEvictionAPI: Eviction API: evicting)."},
		{name: "evicted by the kubelet", spec: spec2(""), pod: func() *corev1.Pod {
			p := pod(map[string]corev1.ContainerState{"step-a": term(`{"c":137,"r":"Error"}`)})
			p.Name, p.Status.Phase, p.Status.Reason, p.Status.Message = "p", corev1.PodFailed, "Evicted", "The node was low on resource: memory."
			return p
		}(), done: true, reason: windlassv1.ReasonPodEvicted, msg: "The pod p was evicted before the run finished (Evicted The node was low on resource: memory.)."},
		{name: "deleted while a killed step reports its signal", spec: spec2(""), pod: deleting(pod(map[string]corev1.ContainerState{"step-a": term(`{"c":143,"r":"Error"}`), "step-b": term(`{"c":0,"r":"Skipped"}`)})),
			done: true, reason: windlassv1.ReasonPodDeleted, msg: "The pod p was deleted before the run finished."},
		{name: "deleted after every step succeeded", spec: spec2(""), pod: deleting(pod(map[string]corev1.ContainerState{"step-a": term(ok), "step-b": term(ok)})),
			done: true, reason: windlassv1.ReasonSucceeded},
		{name: "a terminated container without an entrypoint state", spec: spec2(""), pod: pod(map[string]corev1.ContainerState{"step-a": term("OOMKilled"), "step-b": term(ok)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &windlassv1.TaskRun{}
			states := stepStates(tr, tt.spec, tt.pod)
			got := podOutcome(tt.spec, tt.pod, states)
			if got.done != tt.done || got.reason != tt.reason || (tt.msg != "" && got.message != tt.msg) || got.waiting != tt.waiting || got.waitReason != tt.waitReason {
				t.Fatalf("got %+v, want done %v reason %q msg %q waiting %q (%q)", got, tt.done, tt.reason, tt.msg, tt.waiting, tt.waitReason)
			}
		})
	}
}

func TestPullingImage(t *testing.T) {
	for _, tt := range []struct{ message, image, want string }{
		{`failed to pull and unpack image "r/entrypoint@sha256:1": connection refused`, "r/app:1", "r/entrypoint@sha256:1"},
		{`failed to pull and unpack image "nope.example/missing:latest": not found`, "nope.example/missing", "nope.example/missing"},
		{`Back-off pulling image "docker.io/library/busybox:latest"`, "busybox", "busybox"},
		{`pull QPS exceeded`, "r/app:1", "r/app:1"},
		{`image "`, "r/app:1", "r/app:1"},
	} {
		if got := pullingImage(tt.message, tt.image); got != tt.want {
			t.Errorf("pullingImage(%q, %q) = %q, want %q", tt.message, tt.image, got, tt.want)
		}
	}
}

func TestTypedResults(t *testing.T) {
	spec := &windlassv1.TaskSpec{Results: []windlassv1.TaskResult{
		{Name: "s"}, {Name: "a", Type: windlassv1.ParamTypeArray},
		{Name: "o", Type: windlassv1.ParamTypeObject, Properties: map[string]windlassv1.PropertySpec{"k": {}}},
	}}
	got, err := typedResults(spec, map[string]string{"s": "x", "a": `["1","2"]`, "o": `{"k":"v","extra":"e"}`})
	if err != nil || len(got) != 3 || got[1].Value.ArrayVal[1] != "2" || got[2].Value.ObjectVal["k"] != "v" || got[0].Type != windlassv1.ParamTypeString {
		t.Fatalf("got %+v, %v", got, err)
	}
	for raw, want := range map[string]string{
		`{"a":"[1]"}`:             `result "a" is declared as an array but is not a JSON array of strings`,
		`{"o":"{\"j\":\"v\"}"}`:   `result "o" lacks the declared key(s) k`,
		`{"o":"[\"not\",\"o\"]"}`: `result "o" is declared as an object`,
	} {
		var m map[string]string
		if err := jsonUnmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if _, err := typedResults(spec, m); err == nil || !contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", raw, err, want)
		}
	}
}

func TestStepStatesUseTheEntrypointsRecord(t *testing.T) {
	tr := &windlassv1.TaskRun{}
	states := stepStates(tr, spec2(""), pod(map[string]corev1.ContainerState{"step-a": term(`{"c":7,"r":"Error","s":1700000000000,"f":1700000002000}`)}))
	s := tr.Status.Steps[0]
	if s.Terminated.ExitCode != 7 || s.Terminated.Reason != contract.ReasonError || s.Terminated.FinishedAt.Unix() != 1700000002 || states[0] == nil || states[1] != nil {
		t.Fatalf("step %+v states %v", s, states)
	}
	if tr.Status.Steps[1].Waiting == nil || runningStep(tr) != "step-b" {
		t.Fatalf("step b %+v, running %q", tr.Status.Steps[1], runningStep(tr))
	}
}
