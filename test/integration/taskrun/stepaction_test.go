package taskrun

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

const greetAction = `
metadata: {name: greet}
spec:
  image: busybox
  params:
  - {name: who, default: world}
  - {name: flags, type: array, default: [-n]}
  - {name: cfg, type: object, properties: {lang: {type: string}, end: {type: string}}, default: {lang: en, end: "!"}}
  results: [{name: greeting}]
  env: [{name: LANG_CODE, value: $(params.cfg.lang)}]
  args: ["$(params.flags[*])"]
  script: echo "$@" hello $(params.who)$(params.cfg.end) > $(step.results.greeting.path)
`

const greetRun = `
metadata: {name: run}
spec:
  params: [{name: name, value: windlass}]
  taskSpec:
    params: [{name: name}]
    results: [{name: greeting, value: $(steps.hello.results.greeting)}]
    stepTemplate: {env: [{name: FROM_TEMPLATE, value: "yes"}]}
    steps:
    - name: hello
      ref: {name: greet}
      timeout: 1m
      params:
      - {name: who, value: $(params.name)}
      - {name: cfg, value: {lang: fr}}
    - name: show
      image: busybox
      command: [echo, "$(steps.hello.results.greeting)"]
`

// A TaskRun whose step references a StepAction gets a pod with the
// StepAction inlined, its params resolved, and step results wired.
func TestStepActionIsInlinedIntoThePod(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.StepAction{}, greetAction)
	apply(t, ns, &windlassv1.TaskRun{}, greetRun)
	pod := waitPod(t, ns, "run")
	hello, show := pod.Spec.Containers[0], pod.Spec.Containers[1]
	if hello.Image != "busybox" || hello.Name != "step-hello" {
		t.Errorf("step-hello: %s %s", hello.Name, hello.Image)
	}
	args := strings.Join(hello.Args, " ")
	for _, want := range []string{"--timeout 1m0s", "--mkdir /windlass/run/step-results/hello", "-- -n"} {
		if !strings.Contains(args, want) {
			t.Errorf("step-hello args %q lack %q", args, want)
		}
	}
	env := map[string]string{}
	for _, e := range hello.Env {
		env[e.Name] = e.Value
	}
	if env["LANG_CODE"] != "fr" || env["FROM_TEMPLATE"] != "yes" ||
		env["WINDLASS_SCRIPT"] != `echo "$$@" hello windlass! > /windlass/run/step-results/hello/greeting` {
		t.Errorf("step-hello env %v", env)
	}
	if got := strings.Join(show.Args, " "); !strings.Contains(got, "--result greeting --max-result-bytes 65536 --step-results --result-from greeting=/windlass/run/step-results/hello/greeting --") ||
		!strings.HasSuffix(got, "-- echo $(steps.hello.results.greeting)") {
		t.Errorf("step-show args %q", got)
	}
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-hello": ended(`{"c":0,"r":"Completed","s":1700000000000,"f":1700000001000}`),
		"step-show":  ended(`{"c":0,"r":"Completed","s":1700000001005,"f":1700000001100,"res":{"greeting":"-n hello windlass!\n"}}`),
	})
	tr := waitDone(t, ns, "run", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	// The pinned spec records the StepAction as it was inlined.
	if st := tr.Status.TaskSpec.Steps[0]; st.Ref != nil || st.Image != "busybox" || len(st.Results) != 1 || st.Timeout == nil ||
		st.Script != `echo "$@" hello windlass! > $(step.results.greeting.path)` {
		t.Errorf("pinned step %+v", st)
	}
	if len(tr.Status.Results) != 1 || tr.Status.Results[0].Value.StringVal != "-n hello windlass!\n" {
		t.Errorf("results %+v", tr.Status.Results)
	}
}

// A StepAction that does not exist yet is waited for as a missing Task is.
func TestStepActionNotFoundWaitsThenRuns(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, greetRun)
	waitRun(t, ns, "run", "waiting for its StepAction", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Status == metav1.ConditionUnknown && c.Reason == windlassv1.ReasonTaskNotFound &&
			strings.Contains(c.Message, `StepAction "greet" not found`)
	})
	apply(t, ns, &windlassv1.StepAction{}, greetAction)
	waitPod(t, ns, "run")
}

func TestStepActionNotFoundFailsAfterTheBound(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, greetRun)
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonTaskNotFound)
	if !contains(succeeded(tr).Message, `StepAction "greet" not found`) {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

// A step param the StepAction does not declare fails the run without a pod.
func TestStepActionBadParamIsInvalidSpec(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.StepAction{}, greetAction)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{name: a, ref: {name: greet}, params: [{name: whom, value: x}]}]}}\n")
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if msg := succeeded(tr).Message; msg != `spec.steps[0].params[0] (whom): the StepAction "greet" declares no param "whom" (declared: who, flags, cfg)` {
		t.Errorf("message %q", msg)
	}
}
