package taskrun

import (
	"context"
	"strings"
	"testing"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Tekton's semantics for params a spec does not declare: a referenced Task
// ignores them (with a warning naming them), an embedded spec takes them as
// declared by their value's type.
func TestUndeclaredParamsAreIgnoredOrPropagated(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: ref}\nspec: {taskRef: {name: build}, params: [{name: revision, value: x}, {name: revison, value: y}]}\n")
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: embedded}
spec:
  params:
  - {name: greeting, value: hello}
  - {name: words, value: [a, b]}
  - {name: target, value: {os: linux}}
  taskSpec:
    steps: [{image: x, command: [echo], args: ["$(params.greeting)", "$(params.words[*])", "$(params.target.os)"]}]
`)

	waitPod(t, ns, "ref")
	ev := waitEvent(t, ns, "ref", "UnusedParams")
	if ev.Type != "Warning" || !strings.Contains(ev.Note, `declares no param "revison"`) || !strings.Contains(ev.Note, "declared: revision, flags") {
		t.Errorf("UnusedParams event: %s %q", ev.Type, ev.Note)
	}
	waitRun(t, ns, "ref", "running with its pod", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Status == metav1.ConditionUnknown && tr.Status.PodName != ""
	})

	pod := waitPod(t, ns, "embedded")
	if args := strings.Join(pod.Spec.Containers[0].Args, " "); !strings.HasSuffix(args, "-- echo hello a b linux") {
		t.Errorf("embedded spec's args %s", args)
	}
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Reason != "UnusedParams" {
			continue
		}
		if e.Regarding.Name != "ref" {
			t.Errorf("UnusedParams for %s: an embedded spec uses every param", e.Regarding.Name)
		}
		if e.Series != nil {
			t.Errorf("UnusedParams sent %d times, want once", e.Series.Count)
		}
		n++
	}
	if n != 1 {
		t.Errorf("%d UnusedParams events, want 1", n)
	}
}

// $(inputs.params.X) is Tekton v1's other spelling of $(params.X).
func TestInputsParamsIsParams(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: run}
spec:
  params: [{name: words, value: [a, b]}]
  taskSpec:
    params: [{name: greeting, default: hello}, {name: words, type: array}]
    steps: [{image: x, command: [echo], args: ["$(inputs.params.greeting)", "$(inputs.params.words[*])"]}]
`)
	pod := waitPod(t, ns, "run")
	if args := strings.Join(pod.Spec.Containers[0].Args, " "); !strings.HasSuffix(args, "-- echo hello a b") {
		t.Errorf("args %s", args)
	}
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: typo}\nspec: {taskSpec: {steps: [{image: x, command: [echo], args: [\"$(inputs.params.nope)\"]}]}}\n")
	tr := waitDone(t, ns, "typo", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if msg := succeeded(tr).Message; msg != "spec.steps[0].args[0]: $(inputs.params.nope): no such value" {
		t.Errorf("message %q", msg)
	}
}
