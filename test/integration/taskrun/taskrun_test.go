package taskrun

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/podspec"
)

const buildTask = `
metadata: {name: build}
spec:
  params:
  - {name: revision}
  - {name: flags, type: array, default: [-v]}
  results:
  - {name: digest}
  - {name: files, type: array}
  steps:
  - name: compile
    image: golang
    command: [go, build, "$(params.flags[*])"]
  - name: publish
    image: busybox
    script: echo $(params.revision) > $(results.digest.path)
`

func TestTaskRunSucceedsWithResultsAndStepStates(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: run}
spec:
  taskRef: {name: build}
  params: [{name: revision, value: v1.2}]
`)
	pod := waitPod(t, ns, "run")
	if len(pod.Spec.InitContainers) != 0 || len(pod.Spec.Containers) != 2 {
		t.Fatalf("pod has %d init containers and %d containers, want 0 and 2", len(pod.Spec.InitContainers), len(pod.Spec.Containers))
	}
	c0, c1 := pod.Spec.Containers[0], pod.Spec.Containers[1]
	if c0.Name != "step-compile" || !strings.HasSuffix(strings.Join(c0.Args, " "), "-- go build -v") || c0.Command[0] != contract.Entrypoint {
		t.Errorf("step-compile: %s %v %v", c0.Name, c0.Command, c0.Args)
	}
	if env := c1.Env[len(c1.Env)-1]; env.Value != "echo v1.2 > /windlass/results/digest" {
		t.Errorf("script not substituted: %+v", env)
	}
	if !metav1.IsControlledBy(pod, &windlassv1.TaskRun{ObjectMeta: metav1.ObjectMeta{UID: pod.OwnerReferences[0].UID}}) || pod.OwnerReferences[0].Name != "run" {
		t.Errorf("pod not owned by the run: %+v", pod.OwnerReferences)
	}
	waitRun(t, ns, "run", "recorded its pod and Task", func(tr *windlassv1.TaskRun) bool {
		return tr.Status.PodName == pod.Name && tr.Status.TaskSpec != nil && reason(tr) == windlassv1.ReasonPending
	})

	setContainers(t, pod, map[string]corev1.ContainerState{"step-compile": running()})
	waitRun(t, ns, "run", "running", func(tr *windlassv1.TaskRun) bool { return reason(tr) == windlassv1.ReasonRunning })

	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-compile": ended(`{"c":0,"r":"Completed","s":1700000000000,"f":1700000001000}`),
		"step-publish": ended(`{"c":0,"r":"Completed","s":1700000001005,"f":1700000001100,"res":{"digest":"sha256:abc","files":"[\"a\",\"b\"]"}}`),
	})
	tr := waitDone(t, ns, "run", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	if len(tr.Status.Results) != 2 || tr.Status.Results[0].Value.StringVal != "sha256:abc" ||
		strings.Join(tr.Status.Results[1].Value.ArrayVal, ",") != "a,b" || tr.Status.Results[1].Type != windlassv1.ParamTypeArray {
		t.Errorf("results %+v", tr.Status.Results)
	}
	waitEvent(t, ns, "run", "Started")
	waitEvent(t, ns, "run", windlassv1.ReasonSucceeded)
	if len(tr.Status.Steps) != 2 || tr.Status.Steps[1].Terminated == nil || tr.Status.Steps[1].Terminated.Reason != "Completed" ||
		tr.Status.Steps[1].Terminated.StartedAt.Unix() != 1700000001 {
		t.Errorf("steps %+v", tr.Status.Steps)
	}
}

func TestFailedStepFailsTheRunAndNamesIt(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}, params: [{name: revision, value: x}]}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-compile": ended(`{"c":3,"r":"Error"}`),
		"step-publish": ended(`{"c":0,"r":"Skipped"}`),
	})
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonFailed)
	if msg := succeeded(tr).Message; msg != "step-compile exited with code 3" {
		t.Errorf("message %q", msg)
	}
	if tr.Status.Steps[0].Terminated.ExitCode != 3 || tr.Status.Steps[1].Terminated.Reason != "Skipped" {
		t.Errorf("steps %+v", tr.Status.Steps)
	}
}

func TestFailedStepsOwnWordReachesTheMessage(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}, params: [{name: revision, value: x}]}\n")
	pod := waitPod(t, ns, "run")
	for i, c := range pod.Spec.Containers {
		if !slices.Contains(c.Env, corev1.EnvVar{Name: contract.EnvMessageFile, Value: fmt.Sprintf("/windlass/run/%d.msg", i)}) {
			t.Errorf("container %s has no $%s: %+v", c.Name, contract.EnvMessageFile, c.Env)
		}
	}
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-compile": ended(`{"c":1,"r":"Error","m":"compile: main.go:3: undefined: x"}`),
		"step-publish": ended(`{"c":0,"r":"Skipped"}`),
	})
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonFailed)
	if msg := succeeded(tr).Message; msg != "step-compile exited with code 1: compile: main.go:3: undefined: x" {
		t.Errorf("message %q", msg)
	}
	if tr.Status.Steps[0].Terminated.Message != "compile: main.go:3: undefined: x" {
		t.Errorf("step %+v", tr.Status.Steps[0].Terminated)
	}
}

func TestBadResultTypeFailsTheRun(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}, params: [{name: revision, value: x}]}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-compile": ended(`{"c":0,"r":"Completed"}`),
		"step-publish": ended(`{"c":0,"r":"Completed","res":{"files":"not json"}}`),
	})
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonFailed)
	if !contains(succeeded(tr).Message, `result "files" is declared as an array but is not a JSON array`) {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

func TestResultsTooLargeFailsTheRun(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {results: [{name: r}], steps: [{image: x, script: big}]}}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-unnamed-0": ended(`{"c":0,"r":"ResultsTooLarge","m":"results exceed 65536 bytes"}`),
	})
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonResultsTooLarge)
	if !contains(succeeded(tr).Message, "65536") {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

func TestInvalidParamsFailWithoutAPod(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	for name, params := range map[string]string{
		"missing":    "[]",
		"wrong-type": "[{name: revision, value: [a]}]",
	} {
		apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: "+name+"}\nspec: {taskRef: {name: build}, params: "+params+"}\n")
	}
	for name, want := range map[string]string{
		"missing":    `params: "revision" required by the Task (no default) but not set by the run`,
		"wrong-type": `param "revision" is declared as string but the value is an array`,
	} {
		tr := waitDone(t, ns, name, metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
		if !contains(succeeded(tr).Message, want) {
			t.Errorf("%s: message %q, want %q", name, succeeded(tr).Message, want)
		}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: podspec.PodName(name)}, &corev1.Pod{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: an invalid run got a pod (%v)", name, err)
		}
	}
}

func TestUnknownReferenceIsInvalidSpec(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{image: x, args: [\"$(params.nope)\"], command: [echo]}]}}\n")
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if msg := succeeded(tr).Message; msg != "spec.steps[0].args[0]: $(params.nope): no such value" {
		t.Errorf("message %q", msg)
	}
}

func TestTaskNotFoundWaitsThenRuns(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}, params: [{name: revision, value: x}]}\n")
	waitRun(t, ns, "run", "waiting for its Task", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Status == metav1.ConditionUnknown && c.Reason == windlassv1.ReasonTaskNotFound
	})
	apply(t, ns, &windlassv1.Task{}, buildTask)
	waitPod(t, ns, "run")
}

func TestTaskNotFoundFailsAfterTheBound(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: nowhere}}\n")
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonTaskNotFound)
	if !contains(succeeded(tr).Message, `Task "nowhere" not found`) {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

func TestCancelStopsThePodAndNamesTheStep(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, buildTask)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}, params: [{name: revision, value: x}]}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{"step-compile": ended(`{"c":0,"r":"Completed"}`), "step-publish": running()})
	waitRun(t, ns, "run", "running", func(tr *windlassv1.TaskRun) bool { return reason(tr) == windlassv1.ReasonRunning })
	tr := &windlassv1.TaskRun{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "run"}, tr); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(tr.DeepCopy())
	tr.Spec.Status, tr.Spec.StatusMessage = windlassv1.TaskRunSpecStatusCancelled, "superseded"
	if err := k8s.Patch(context.Background(), tr, patch); err != nil {
		t.Fatal(err)
	}
	tr = waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonCancelled)
	if msg := succeeded(tr).Message; msg != "The run was cancelled: superseded (while step-publish was running)." {
		t.Errorf("message %q", msg)
	}
	if tr.Status.Steps[1].Terminated == nil || tr.Status.Steps[1].Terminated.Reason != "Cancelled" {
		t.Errorf("steps %+v", tr.Status.Steps)
	}
	waitGone(t, pod)
}

func TestTimeoutStopsThePod(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {timeout: 2s, taskSpec: {steps: [{name: wait, image: x, command: [sleep, '60']}]}}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{"step-wait": running()})
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonTimedOut)
	if msg := succeeded(tr).Message; msg != "The run exceeded its timeout of 2s (while step-wait was running)." {
		t.Errorf("message %q", msg)
	}
	if ran := tr.Status.CompletionTime.Sub(tr.Status.StartTime.Time); ran < 2*time.Second {
		t.Errorf("stopped after %s, before its 2s timeout", ran)
	}
	waitGone(t, pod)
}

func TestDeletedPodFailsTheRun(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{image: x, command: [sleep, '60']}]}}\n")
	pod := waitPod(t, ns, "run")
	waitRun(t, ns, "run", "recorded its pod", func(tr *windlassv1.TaskRun) bool { return tr.Status.PodName != "" })
	if err := k8s.Delete(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonPodDeleted)
	if !contains(succeeded(tr).Message, "run-pod was deleted") {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

func TestImagePullFailureFailsFast(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{name: s, image: nope.example/missing, command: [x]}]}}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{"step-s": {Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull",
		Message: `rpc error: code = NotFound desc = failed to pull and unpack image "nope.example/missing:latest": failed to resolve reference "nope.example/missing:latest": nope.example/missing:latest: not found`}}})
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonImagePullFailed)
	if !contains(succeeded(tr).Message, "container step-s cannot pull image nope.example/missing: ErrImagePull") {
		t.Errorf("message %q", succeeded(tr).Message)
	}
	waitGone(t, pod)
}

func TestUnschedulablePodFailsFast(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{image: x, command: [x]}]}}\n")
	pod := waitPod(t, ns, "run")
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/1 nodes are available: insufficient memory."}}
	if err := k8s.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	tr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonUnschedulable)
	if !contains(succeeded(tr).Message, "insufficient memory") {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

func TestVolumeClaimTemplateMakesAnOwnedClaim(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: run}
spec:
  workspaces:
  - name: src
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  taskSpec:
    workspaces: [{name: src}]
    steps: [{image: x, command: [ls, "$(workspaces.src.path)", "$(workspaces.src.claim)"]}]
`)
	pod := waitPod(t, ns, "run")
	pvc := &corev1.PersistentVolumeClaim{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: podspec.ClaimName("run", "src")}, pvc); err != nil {
		t.Fatal(err)
	}
	if len(pvc.OwnerReferences) != 1 || pvc.OwnerReferences[0].Name != "run" {
		t.Errorf("claim owners %+v", pvc.OwnerReferences)
	}
	if args := strings.Join(pod.Spec.Containers[0].Args, " "); !strings.HasSuffix(args, "-- ls /workspace/src run-src") {
		t.Errorf("args %s", args)
	}
	var found bool
	for _, v := range pod.Spec.Volumes {
		found = found || v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "run-src"
	}
	if !found {
		t.Errorf("pod does not mount the claim: %+v", pod.Spec.Volumes)
	}
}

func waitEvent(t *testing.T, ns, run, reason string) *eventsv1.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err == nil {
			for i, e := range list.Items {
				if e.Regarding.Name == run && e.Regarding.Kind == "TaskRun" && e.Reason == reason {
					return &list.Items[i]
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s event for TaskRun %s", reason, run)
	return nil
}

func waitGone(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(pod), &corev1.Pod{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod %s was not deleted", pod.Name)
}

func TestCredentialsOfTheServiceAccountReachTheSteps(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &corev1.Secret{}, `
metadata: {name: registry, annotations: {windlass.dev/docker-0: https://registry.example}}
type: kubernetes.io/basic-auth
stringData: {username: bot, password: pw}
`)
	apply(t, ns, &corev1.Secret{}, `
metadata: {name: plain}
type: Opaque
stringData: {x: y}
`)
	apply(t, ns, &corev1.ServiceAccount{}, "metadata: {name: builder}\nsecrets: [{name: registry}, {name: plain}, {name: gone}]\n")
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {serviceAccountName: builder, taskSpec: {steps: [{image: x, command: [x]}]}}\n")
	pod := waitPod(t, ns, "run")
	var env []string
	for _, e := range pod.Spec.Containers[0].Env {
		env = append(env, e.Name+"="+e.Value)
	}
	joined := strings.Join(env, " ")
	if !contains(joined, `WINDLASS_CREDENTIALS=[{"kind":"docker","url":"https://registry.example","dir":"/windlass/creds/0","type":"kubernetes.io/basic-auth","secret":"registry"}]`) ||
		!contains(joined, "HOME=/windlass/home") {
		t.Fatalf("step env %s", joined)
	}
	found := false
	for _, v := range pod.Spec.Volumes {
		found = found || v.Secret != nil && v.Secret.SecretName == "registry"
	}
	if !found || pod.Spec.ServiceAccountName != "builder" {
		t.Fatalf("credential secret not mounted or wrong account: %+v", pod.Spec.Volumes)
	}

	apply(t, ns, &corev1.Secret{}, "metadata: {name: wrong, annotations: {windlass.dev/git-0: https://git.example}}\ntype: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '{}'}\n")
	apply(t, ns, &corev1.ServiceAccount{}, "metadata: {name: badcreds}\nsecrets: [{name: wrong}]\n")
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: bad}\nspec: {serviceAccountName: badcreds, taskSpec: {steps: [{image: x, command: [x]}]}}\n")
	tr := waitDone(t, ns, "bad", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if !contains(succeeded(tr).Message, "spec.serviceAccountName: secret wrong of service account badcreds is annotated windlass.dev/git-0 but has type kubernetes.io/dockerconfigjson") {
		t.Errorf("message %q", succeeded(tr).Message)
	}
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: nosa}\nspec: {serviceAccountName: nobody, taskSpec: {steps: [{image: x, command: [x]}]}}\n")
	// A service account may be created after the run: it fails only at the transient deadline.
	tr = waitDone(t, ns, "nosa", metav1.ConditionFalse, windlassv1.ReasonServiceAccountNotFound)
	if !contains(succeeded(tr).Message, `spec.serviceAccountName: service account "nobody" not found; still failing after`) {
		t.Errorf("message %q", succeeded(tr).Message)
	}
}

// TestNamedVolumeClaimTemplate: a template's metadata.name prefixes the
// claim's name (as in Tekton), and its labels reach the claim: the schema
// keeps a template's metadata instead of pruning it.
func TestNamedVolumeClaimTemplate(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: run}
spec:
  workspaces:
  - name: src
    volumeClaimTemplate:
      metadata: {name: pvc, labels: {team: a}}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
  taskSpec:
    steps: [{image: x, command: [ls, "$(workspaces.src.claim)"]}]
`)
	pod := waitPod(t, ns, "run")
	pvc := &corev1.PersistentVolumeClaim{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "pvc-run-src"}, pvc); err != nil {
		t.Fatal(err)
	}
	if pvc.Labels["team"] != "a" {
		t.Errorf("claim labels %v, want team=a", pvc.Labels)
	}
	if args := strings.Join(pod.Spec.Containers[0].Args, " "); !strings.HasSuffix(args, "-- ls pvc-run-src") {
		t.Errorf("args %s (the propagated workspace's claim)", args)
	}
}
