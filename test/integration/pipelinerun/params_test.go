package pipelinerun

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// unusedParamsEvents are the UnusedParams events of the namespace's runs.
func unusedParamsEvents(t *testing.T, ns string) []eventsv1.Event {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Reason == "UnusedParams" {
			out = append(out, e)
		}
	}
	return out
}

// A run's params its embedded pipelineSpec does not declare reach the tasks'
// embedded specs (finally included); a referenced Pipeline ignores them, with
// one warning when its first TaskRun is made.
func TestUndeclaredParamsArePropagatedOrIgnored(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: embedded}
spec:
  params: [{name: HELLO, value: "Hello World!"}, {name: words, value: [a, b]}]
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: {steps: [{image: busybox, script: "echo $(params.HELLO) $(params.words[*])"}]}}
    finally:
    - {name: f, taskSpec: {steps: [{image: busybox, script: "echo $(params.HELLO)"}]}}
`)
	a := waitTaskRun(t, ns, "embedded-a")
	got := map[string]windlassv1.ParamValue{}
	for _, p := range a.Spec.Params {
		got[p.Name] = p.Value
	}
	if got["HELLO"].StringVal != "Hello World!" || strings.Join(got["words"].ArrayVal, ",") != "a,b" {
		t.Errorf("a's params %+v, want the run's HELLO and words", a.Spec.Params)
	}
	finish(t, ns, "embedded-a", true)
	f := waitTaskRun(t, ns, "embedded-f")
	if len(f.Spec.Params) != 1 || f.Spec.Params[0].Name != "HELLO" || f.Spec.TaskSpec == nil || len(f.Spec.TaskSpec.Params) != 1 {
		t.Errorf("finally f: params %+v, taskSpec params %+v", f.Spec.Params, f.Spec.TaskSpec)
	}
	finish(t, ns, "embedded-f", true)
	waitDone(t, ns, "embedded", metav1.ConditionTrue, windlassv1.ReasonSucceeded)

	apply(t, ns, &windlassv1.Pipeline{}, `
metadata: {name: greet}
spec:
  params: [{name: greeting, default: hi}]
  tasks:
  - {name: a, retries: 1, taskSpec: {steps: [{image: busybox, script: "echo $(params.greeting)"}]}}
`)
	apply(t, ns, &windlassv1.PipelineRun{}, "metadata: {name: ref}\nspec: {pipelineRef: {name: greet}, params: [{name: greting, value: typo}]}")
	ra := waitTaskRun(t, ns, "ref-a")
	if len(ra.Spec.Params) != 1 || ra.Spec.Params[0].Name != "greeting" || ra.Spec.Params[0].Value.StringVal != "hi" {
		t.Errorf("ref-a params %+v, want only greeting=hi", ra.Spec.Params)
	}
	var evs []eventsv1.Event
	poll(t, "the UnusedParams event", func(context.Context) bool {
		evs = unusedParamsEvents(t, ns)
		return len(evs) > 0
	})
	finish(t, ns, "ref-a", false)
	waitTaskRun(t, ns, "ref-a-retry1")
	finish(t, ns, "ref-a-retry1", true)
	waitDone(t, ns, "ref", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	evs = unusedParamsEvents(t, ns)
	if len(evs) != 1 || evs[0].Series != nil {
		t.Fatalf("UnusedParams events %+v, want exactly one (none for the embedded run, once for ref)", evs)
	}
	e := evs[0]
	if e.Regarding.Kind != "PipelineRun" || e.Regarding.Name != "ref" || e.Type != "Warning" ||
		!strings.Contains(e.Note, `The Pipeline "greet" declares no param "greting"`) || !strings.Contains(e.Note, "declared: greeting") {
		t.Errorf("event %s/%s %s %q", e.Regarding.Kind, e.Regarding.Name, e.Type, e.Note)
	}
}

// $(context.task.retry-count) is the attempt: 0, then 1 in the retry's pod.
func TestRetryCountReachesThePods(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: run}
spec:
  pipelineSpec:
    tasks:
    - {name: a, retries: 1, taskSpec: {steps: [{image: busybox, command: [echo], args: ["try $(context.task.retry-count)"]}]}}
`)
	for i, name := range []string{"run-a", "run-a-retry1"} {
		pod := &corev1.Pod{}
		poll(t, "pod of "+name, func(ctx context.Context) bool {
			return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: podspec.PodName(name)}, pod) == nil
		})
		want := fmt.Sprintf("-- echo try %d", i)
		if args := strings.Join(pod.Spec.Containers[0].Args, " "); !strings.HasSuffix(args, want) {
			t.Errorf("%s's pod args %q, want the suffix %q", name, args, want)
		}
		finish(t, ns, name, i == 1)
	}
	waitDone(t, ns, "run", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
}
