package pipelinerun

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

const task = `{steps: [{image: busybox, script: "true"}], results: [{name: s}, {name: a, type: array}]}`

func TestDiamondRunsInGraphOrderAndPublishesResults(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Task{}, `
metadata: {name: shared}
spec:
  params: [{name: rev, default: x}, {name: items, type: array, default: []}]
  results: [{name: s}, {name: a, type: array}]
  steps: [{image: busybox, script: "true"}]
`)
	apply(t, ns, &windlassv1.Pipeline{}, `
metadata: {name: diamond}
spec:
  params: [{name: rev, default: main}]
  results: [{name: out, value: $(tasks.join.results.s)}]
  tasks:
  - {name: root, taskRef: {name: shared}, params: [{name: rev, value: $(params.rev)}]}
  - {name: left, taskSpec: {params: [{name: x}], steps: [{image: busybox, script: "true"}]}, params: [{name: x, value: $(tasks.root.results.s)}]}
  - {name: right, taskRef: {name: shared}, params: [{name: items, value: "$(tasks.root.results.a[*])"}]}
  - {name: join, taskSpec: `+task+`, runAfter: [left, right]}
`)
	apply(t, ns, &windlassv1.PipelineRun{}, "metadata: {name: run}\nspec: {pipelineRef: {name: diamond}}")
	finish(t, ns, "run-root", true, result("s", windlassv1.NewString("R")), result("a", windlassv1.NewArray("1", "2")))
	left, right := waitTaskRun(t, ns, "run-left"), waitTaskRun(t, ns, "run-right")
	if left.Spec.Params[0].Value.StringVal != "R" || !reflect.DeepEqual(right.Spec.Params[0].Value.ArrayVal, []string{"1", "2"}) {
		t.Fatalf("results not passed: left %+v right %+v", left.Spec.Params, right.Spec.Params)
	}
	if got := taskRuns(t, ns); len(got) != 3 {
		t.Fatalf("join started before its parents finished: %v", got)
	}
	finish(t, ns, "run-left", true)
	finish(t, ns, "run-right", true)
	finish(t, ns, "run-join", true, result("s", windlassv1.NewString("done")))
	pr := waitDone(t, ns, "run", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	if len(pr.Status.Results) != 1 || pr.Status.Results[0].Value.StringVal != "done" {
		t.Errorf("results = %+v", pr.Status.Results)
	}
	var refs []string
	for _, c := range pr.Status.ChildReferences {
		refs = append(refs, c.PipelineTaskName+"="+c.Name)
	}
	if want := []string{"root=run-root", "left=run-left", "right=run-right", "join=run-join"}; !reflect.DeepEqual(refs, want) {
		t.Errorf("childReferences = %v, want %v", refs, want)
	}
	if pr.Status.PipelineSpec == nil || len(pr.Status.PipelineSpec.Tasks) != 4 {
		t.Error("the resolved pipelineSpec is not in the status")
	}
	if got := taskRuns(t, ns); len(got) != 4 {
		t.Errorf("TaskRuns = %v, want exactly one per task", got)
	}
}

func TestPendingCreatesNothingUntilReleased(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: held}
spec:
  status: PipelineRunPending
  pipelineSpec: {tasks: [{name: a, taskSpec: `+task+`}]}
`)
	waitReason(t, ns, "held", windlassv1.ReasonPipelineRunPending)
	if got := taskRuns(t, ns); len(got) != 0 {
		t.Fatalf("a pending run created %v", got)
	}
	updateRun(t, ns, "held", func(pr *windlassv1.PipelineRun) { pr.Spec.Status = "" })
	finish(t, ns, "held-a", true)
	waitDone(t, ns, "held", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
}

func TestRetriesMakeANewTaskRunPerAttempt(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: flaky}
spec:
  pipelineSpec: {tasks: [{name: a, retries: 1, taskSpec: `+task+`}]}
`)
	finish(t, ns, "flaky-a", false)
	finish(t, ns, "flaky-a-retry1", true)
	pr := waitDone(t, ns, "flaky", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	if len(pr.Status.ChildReferences) != 2 || pr.Status.ChildReferences[1].Attempt != 1 {
		t.Errorf("attempts not visible: %+v", pr.Status.ChildReferences)
	}
}

func TestCancelCancelsRunningTaskRunsAndSkipsFinally(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: stop}
spec:
  pipelineSpec:
    tasks: [{name: a, taskSpec: `+task+`}]
    finally: [{name: f, taskSpec: `+task+`}]
`)
	waitTaskRun(t, ns, "stop-a")
	updateRun(t, ns, "stop", func(pr *windlassv1.PipelineRun) { pr.Spec.Status = windlassv1.PipelineRunCancelled })
	// The TaskRun controller turns the cancel into the TaskRun's final state.
	waitTaskRunCancelled(t, ns, "stop-a")
	pr := waitDone(t, ns, "stop", metav1.ConditionFalse, windlassv1.ReasonCancelled)
	if len(pr.Status.SkippedTasks) != 1 || pr.Status.SkippedTasks[0].Reason != pipeline.SkipCancelled {
		t.Errorf("finally must be skipped as cancelled: %+v", pr.Status.SkippedTasks)
	}
}

// A run whose start was never recorded (the status write lost a race with the
// user's cancel, or the controller restarted in between) but that already
// made TaskRuns cancels them, rather than ending as "cancelled before it
// started" and leaving them running.
func TestCancelAfterALostStartWriteCancelsTheTaskRuns(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: lost}
spec:
  status: PipelineRunPending
  pipelineSpec: {tasks: [{name: a, taskSpec: `+task+`}, {name: b, taskSpec: `+task+`, runAfter: [a]}]}
`)
	waitReason(t, ns, "lost", windlassv1.ReasonPipelineRunPending)
	// The TaskRun the lost reconcile made: named, labelled and owned as the controller makes it.
	pr := getRun(t, ns, "lost")
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata:
  name: lost-a
  labels: {windlass.dev/pipelineRun: lost, windlass.dev/pipeline: lost, windlass.dev/pipelineTask: a, windlass.dev/attempt: "0"}
  ownerReferences: [{apiVersion: windlass.dev/v1alpha1, kind: PipelineRun, name: lost, uid: `+string(pr.UID)+`, controller: true}]
spec: {taskSpec: `+task+`}
`)
	waitTaskRun(t, ns, "lost-a")
	updateRun(t, ns, "lost", func(pr *windlassv1.PipelineRun) { pr.Spec.Status = windlassv1.PipelineRunCancelled })
	waitTaskRunCancelled(t, ns, "lost-a")
	done := waitDone(t, ns, "lost", metav1.ConditionFalse, windlassv1.ReasonCancelled)
	if strings.Contains(cond(done).Message, "before it started") || done.Status.StartTime == nil {
		t.Errorf("the run made a TaskRun, so it started: start %v, message %q", done.Status.StartTime, cond(done).Message)
	}
	if got := taskRuns(t, ns); len(got) != 1 {
		t.Errorf("TaskRuns = %v: a cancelled run must not start more", got)
	}
}

func TestInvalidSpecAndNotFound(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: cyclic}
spec:
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: `+task+`, params: [{name: x, value: $(tasks.b.results.s)}]}
    - {name: b, taskSpec: `+task+`, runAfter: [a]}
`)
	pr := waitDone(t, ns, "cyclic", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if !strings.Contains(cond(pr).Message, "the tasks form a cycle: a → b → a") {
		t.Errorf("message: %s", cond(pr).Message)
	}
	apply(t, ns, &windlassv1.PipelineRun{}, "metadata: {name: orphan}\nspec: {pipelineRef: {name: nope}}")
	poll(t, "PipelineNotFound while waiting", func(ctx context.Context) bool {
		c := cond(getRun(t, ns, "orphan"))
		return c != nil && c.Reason == windlassv1.ReasonPipelineNotFound && c.Status == metav1.ConditionUnknown
	})
	pr = waitDone(t, ns, "orphan", metav1.ConditionFalse, windlassv1.ReasonPipelineNotFound)
	if !strings.Contains(cond(pr).Message, `Pipeline "nope" not found`) {
		t.Errorf("message: %s", cond(pr).Message)
	}
	if got := taskRuns(t, ns); len(got) != 0 {
		t.Errorf("invalid runs created %v", got)
	}
}

// Errors found while planning (not while resolving) end the run as InvalidSpec
// too, naming the field; they used to panic the reconcile (the run stayed Running).
func TestPlanTimeErrorsEndTheRunInvalid(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: wide}
spec:
  pipelineSpec:
    tasks:
    - name: m
      taskSpec: {params: [{name: x}, {name: y}], steps: [{image: busybox, script: "true"}]}
      matrix: {params: [{name: x, value: [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16]}, {name: y, value: [v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15, v16]}]}
`)
	pr := waitDone(t, ns, "wide", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if !strings.Contains(cond(pr).Message, "more than 256") || !strings.Contains(cond(pr).Message, "(m)") {
		t.Errorf("message: %s", cond(pr).Message)
	}
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: badcel}
spec:
  pipelineSpec:
    tasks:
    - {name: c, taskSpec: `+task+`, when: [{cel: "int('notanumber') > 1"}]}
`)
	pr = waitDone(t, ns, "badcel", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if !strings.Contains(cond(pr).Message, "when") || !strings.Contains(cond(pr).Message, "(c)") {
		t.Errorf("message: %s", cond(pr).Message)
	}
	if got := taskRuns(t, ns); len(got) != 0 {
		t.Errorf("invalid runs created %v", got)
	}
}

func TestMissingTaskIsNamedOnTheRun(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: ref}
spec:
  pipelineSpec: {tasks: [{name: build, taskRef: {name: builder}}, {name: lint, taskSpec: `+task+`}]}
`)
	// While its TaskRun waits for the Task, the run says which task waits and why.
	poll(t, "the run names the task waiting for its Task", func(ctx context.Context) bool {
		c := cond(getRun(t, ns, "ref"))
		return c != nil && c.Status == metav1.ConditionUnknown && c.Reason == windlassv1.ReasonRunning &&
			strings.Contains(c.Message, `waiting: task build (TaskRun ref-build: TaskNotFound: Task "builder" not found; waiting for it to be created)`)
	})
	finish(t, ns, "ref-lint", true)
	// After the bound the TaskRun fails, and so does the run, naming the cause.
	pr := waitDone(t, ns, "ref", metav1.ConditionFalse, windlassv1.ReasonFailed)
	if msg := cond(pr).Message; !strings.Contains(msg, `failed: build (TaskRun ref-build: TaskNotFound: Task "builder" not found)`) || strings.Contains(msg, "waiting") {
		t.Errorf("message: %s", msg)
	}
}

func TestVolumeClaimTemplateIsSharedByTheTasks(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: shared}
spec:
  workspaces:
  - name: src
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}}
  pipelineSpec:
    workspaces: [{name: src}]
    tasks:
    - {name: a, taskSpec: {workspaces: [{name: w}], steps: [{image: busybox, script: "true"}]}, workspaces: [{name: w, workspace: src}]}
`)
	tr := waitTaskRun(t, ns, "shared-a")
	if w := tr.Spec.Workspaces; len(w) != 1 || w[0].PersistentVolumeClaim == nil || w[0].PersistentVolumeClaim.ClaimName != "pvc-shared-src" {
		t.Fatalf("TaskRun workspaces = %+v", w)
	}
	pvc := &corev1.PersistentVolumeClaim{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "pvc-shared-src"}, pvc); err != nil {
		t.Fatal(err)
	}
	if ref := metav1.GetControllerOf(pvc); ref == nil || ref.Kind != "PipelineRun" || ref.Name != "shared" {
		t.Errorf("the claim is not owned by the run: %+v", pvc.OwnerReferences)
	}
}

// TestProjectedAndCSIWorkspacesReachThePod: Tekton's projected and csi
// bindings pass from the PipelineRun to its TaskRun and into the pod, mounted
// read-only where Tekton mounts them so.
func TestProjectedAndCSIWorkspacesReachThePod(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: mixed}
spec:
  workspaces:
  - name: creds
    projected: {sources: [{configMap: {name: settings}}, {secret: {name: token}}]}
  - {name: store, csi: {driver: secrets-store.csi.k8s.io, readOnly: true}}
  pipelineSpec:
    workspaces: [{name: creds}, {name: store}]
    tasks:
    - name: a
      workspaces: [{name: c, workspace: creds}, {name: s, workspace: store}]
      taskSpec: {workspaces: [{name: c}, {name: s}], steps: [{image: busybox, script: "ls $(workspaces.c.path) $(workspaces.s.path)"}]}
`)
	tr := waitTaskRun(t, ns, "mixed-a")
	if w := tr.Spec.Workspaces; len(w) != 2 || w[0].Projected == nil || len(w[0].Projected.Sources) != 2 || w[1].CSI == nil || w[1].CSI.Driver != "secrets-store.csi.k8s.io" {
		t.Fatalf("TaskRun workspaces = %+v", w)
	}
	pod := &corev1.Pod{}
	poll(t, "the pod", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "mixed-a-pod"}, pod) == nil
	})
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		mounts[m.MountPath] = m
	}
	for _, path := range []string{"/workspace/c", "/workspace/s"} {
		if m, ok := mounts[path]; !ok || !m.ReadOnly {
			t.Errorf("mount %s: %+v (want read-only)", path, m)
		}
	}
}

// TestPropagatedWorkspacesReachThePod: a workspace the run binds and an
// embedded pipelineSpec and taskSpec use undeclared (Tekton's propagated
// workspaces) is bound on the TaskRun and mounted in its pod, whose step
// sees its path; the embedded task's metadata labels the TaskRun and pod.
func TestPropagatedWorkspacesReachThePod(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: prop}
spec:
  workspaces:
  - name: shared-data
    volumeClaimTemplate: {metadata: {name: data}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}}
  pipelineSpec:
    tasks:
    - name: a
      taskSpec:
        metadata: {labels: {app: example}}
        steps: [{image: busybox, command: [ls], args: ["$(workspaces.shared-data.path)"]}]
`)
	tr := waitTaskRun(t, ns, "prop-a")
	if w := tr.Spec.Workspaces; len(w) != 1 || w[0].Name != "shared-data" || w[0].PersistentVolumeClaim == nil || w[0].PersistentVolumeClaim.ClaimName != "data-prop-shared-data" {
		t.Fatalf("TaskRun workspaces = %+v", w)
	}
	if tr.Labels["app"] != "example" {
		t.Errorf("TaskRun labels %v", tr.Labels)
	}
	pod := &corev1.Pod{}
	poll(t, "the pod", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "prop-a-pod"}, pod) == nil
	})
	if pod.Labels["app"] != "example" {
		t.Errorf("pod labels %v", pod.Labels)
	}
	if args := strings.Join(pod.Spec.Containers[0].Args, " "); !strings.HasSuffix(args, "-- ls /workspace/shared-data") {
		t.Errorf("args %s", args)
	}
	mounted := false
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		mounted = mounted || m.MountPath == "/workspace/shared-data"
	}
	if !mounted {
		t.Errorf("the step does not mount the workspace: %+v", pod.Spec.Containers[0].VolumeMounts)
	}
	pvc := &corev1.PersistentVolumeClaim{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "data-prop-shared-data"}, pvc); err != nil {
		t.Fatal(err)
	}
}
