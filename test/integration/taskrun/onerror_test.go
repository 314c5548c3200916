package taskrun

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

const onErrorRun = `
metadata: {name: NAME}
spec:
  params: [{name: mode, value: MODE}]
  taskSpec:
    params: [{name: mode}]
    steps:
    - {name: flaky, image: x, command: ["false"], onError: $(params.mode)}
    - {name: after, image: x, command: ["true"]}
`

// onError: $(params.X) is checked after substitution; the pinned spec records
// the policy chosen, from which the outcome is judged.
func TestOnErrorFromAParam(t *testing.T) {
	ns := namespace(t)
	run := func(name, mode string) {
		apply(t, ns, &windlassv1.TaskRun{}, strings.NewReplacer("NAME", name, "MODE", mode).Replace(onErrorRun))
	}
	run("goes-on", "continue")
	run("bogus", "ignore")

	pod := waitPod(t, ns, "goes-on")
	waitRun(t, ns, "goes-on", "the pinned spec with the policy", func(tr *windlassv1.TaskRun) bool {
		return tr.Status.PodName != "" && tr.Status.TaskSpec != nil && tr.Status.TaskSpec.Steps[0].OnError == windlassv1.OnErrorContinue
	})
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-flaky": ended(`{"c":1,"r":"Error"}`),
		"step-after": ended(`{"c":0,"r":"Completed"}`),
	})
	waitDone(t, ns, "goes-on", metav1.ConditionTrue, windlassv1.ReasonSucceeded)

	tr := waitDone(t, ns, "bogus", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	want := `spec.steps[0].onError: "ignore" (from $(params.mode)) is not an onError policy: want continue or stopAndFail`
	if msg := succeeded(tr).Message; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}

	// What is neither a policy nor a reference is refused at apply.
	bad := &windlassv1.TaskRun{}
	if err := yaml.Unmarshal([]byte(strings.NewReplacer("NAME", "typo", "$(params.mode)", "ignore").Replace(onErrorRun)), bad); err != nil {
		t.Fatal(err)
	}
	bad.Namespace = ns
	err := k8s.Create(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "onError") {
		t.Errorf("onError: ignore was accepted (%v)", err)
	}
}
