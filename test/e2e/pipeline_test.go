//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

// createObjects creates Tasks, Pipelines and runs from multi-document YAML,
// with the test's shell image substituted for SHELL.
func createObjects(t *testing.T, ns, manifest string) {
	t.Helper()
	manifest = strings.ReplaceAll(manifest, "SHELL", image(t, "shell"))
	for _, doc := range strings.Split(manifest, "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("bad manifest: %v\n%s", err, doc)
		}
		var obj client.Object
		switch tm.Kind {
		case "Task":
			obj = &windlassv1.Task{}
		case "TaskRun":
			obj = &windlassv1.TaskRun{}
		case "Pipeline":
			obj = &windlassv1.Pipeline{}
		case "PipelineRun":
			obj = &windlassv1.PipelineRun{}
		default:
			t.Fatalf("manifest of unknown kind %q:\n%s", tm.Kind, doc)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("bad manifest: %v\n%s", err, doc)
		}
		obj.SetNamespace(ns)
		if err := crc.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
}

func prCondition(pr *windlassv1.PipelineRun) *metav1.Condition {
	return meta.FindStatusCondition(pr.Status.Conditions, windlassv1.ConditionSucceeded)
}

// waitPipelineRun waits until cond holds for the PipelineRun.
func waitPipelineRun(t *testing.T, ns, name, what string, timeout time.Duration, cond func(*windlassv1.PipelineRun) bool) *windlassv1.PipelineRun {
	t.Helper()
	pr := &windlassv1.PipelineRun{}
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		return crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, pr) == nil && cond(pr), nil
	})
	if err != nil {
		b, _ := yaml.Marshal(pr.Status)
		t.Fatalf("PipelineRun %s never %s:\n%s", name, what, b)
	}
	return pr
}

// waitPipelineDone waits for the run's final condition and checks it.
func waitPipelineDone(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string, timeout time.Duration) *windlassv1.PipelineRun {
	t.Helper()
	pr := waitPipelineRun(t, ns, name, "finished", timeout, func(pr *windlassv1.PipelineRun) bool {
		c := prCondition(pr)
		return c != nil && c.Status != metav1.ConditionUnknown
	})
	if c := prCondition(pr); c.Status != status || c.Reason != reason {
		b, _ := yaml.Marshal(pr.Status)
		t.Fatalf("PipelineRun %s: want %s/%s, got:\n%s", name, status, reason, b)
	}
	return pr
}

func getTaskRun(t *testing.T, ns, name string) *windlassv1.TaskRun {
	t.Helper()
	tr := &windlassv1.TaskRun{}
	if err := crc.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func resultOf(t *testing.T, tr *windlassv1.TaskRun, name string) windlassv1.ParamValue {
	t.Helper()
	for _, r := range tr.Status.Results {
		if r.Name == name {
			return r.Value
		}
	}
	t.Fatalf("TaskRun %s has no result %s: %+v", tr.Name, name, tr.Status.Results)
	return windlassv1.ParamValue{}
}

func skipped(pr *windlassv1.PipelineRun) map[string]string {
	out := map[string]string{}
	for _, s := range pr.Status.SkippedTasks {
		out[s.Name] = s.Reason
	}
	return out
}

func setPipelineRunStatus(t *testing.T, ns, name string, status windlassv1.PipelineRunSpecStatus) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pr := &windlassv1.PipelineRun{}
		if err := crc.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, pr); err != nil {
			return err
		}
		pr.Spec.Status = status
		return crc.Update(context.Background(), pr)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPipelineDiamondPassesResultsAndSharesAWorkspace: a producer writes a
// file to a shared claim and string, array and object results; two parallel
// consumers read both; a join and a finally task see everything. An embedded
// task spec uses a pipeline param it does not declare (propagated params).
func TestPipelineDiamondPassesResultsAndSharesAWorkspace(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: echo}
spec:
  params: [{name: words, type: array}]
  results: [{name: out}]
  steps:
  - {name: say, image: SHELL, command: [sh, -c, 'echo -n "$*" | tee $(results.out.path)', sh], args: ["$(params.words[*])"]}
---
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: diamond}
spec:
  params: [{name: rev, default: v1}, {name: sep, default: /}]
  workspaces: [{name: src}]
  results:
  - {name: joined, value: $(tasks.join.results.out)}
  - {name: report, value: $(finally.report.results.out)}
  tasks:
  - name: produce
    workspaces: [{name: src}]
    params: [{name: rev, value: $(params.rev)}]
    taskSpec:
      params: [{name: rev}]
      workspaces: [{name: src}]
      results: [{name: rev}, {name: files, type: array}, {name: meta, type: object, properties: {arch: {type: string}}}]
      steps:
      - name: write
        image: SHELL
        script: |
          echo "source at $(params.rev)" > $(workspaces.src.path)/README
          echo -n "$(params.rev)" > $(results.rev.path)
          echo -n '["README","main.go"]' > $(results.files.path)
          echo -n '{"arch":"amd64"}' > $(results.meta.path)
  - name: left
    runAfter: [produce]
    workspaces: [{name: src}]
    params: [{name: rev, value: $(tasks.produce.results.rev)}, {name: arch, value: $(tasks.produce.results.meta.arch)}]
    taskSpec:
      params: [{name: rev}, {name: arch}]
      workspaces: [{name: src}]
      results: [{name: out}]
      steps:
      # sep is the pipeline's param, which an embedded spec may use undeclared.
      - {name: read, image: SHELL, script: 'echo -n "$(params.rev)$(params.sep)$(params.arch)/$(cat $(workspaces.src.path)/README)" > $(results.out.path)'}
  - {name: right, taskRef: {name: echo}, params: [{name: words, value: ["$(tasks.produce.results.files[*])"]}]}
  - {name: join, taskRef: {name: echo}, params: [{name: words, value: ["$(tasks.left.results.out)", "+", "$(tasks.right.results.out)"]}]}
  finally:
  - {name: report, taskRef: {name: echo}, params: [{name: words, value: ["$(tasks.status)", "$(tasks.join.status)"]}]}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: diamond-run}
spec:
  pipelineRef: {name: diamond}
  workspaces:
  - name: src
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
`)
	pr := waitPipelineDone(t, ns, "diamond-run", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	want := map[string]string{"joined": "v1/amd64/source at v1 + README main.go", "report": "Succeeded Succeeded"}
	got := map[string]string{}
	for _, r := range pr.Status.Results {
		got[r.Name] = r.Value.StringVal
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	// left and right ran at the same time: each started before the other ended.
	l, r := getTaskRun(t, ns, "diamond-run-left"), getTaskRun(t, ns, "diamond-run-right")
	if !l.Status.StartTime.Before(r.Status.CompletionTime) || !r.Status.StartTime.Before(l.Status.CompletionTime) {
		t.Errorf("left (%v–%v) and right (%v–%v) did not overlap", l.Status.StartTime, l.Status.CompletionTime, r.Status.StartTime, r.Status.CompletionTime)
	}
	if n := len(pr.Status.ChildReferences); n != 5 {
		t.Errorf("childReferences: %d, want 5", n)
	}
}

// TestPipelineWhenSkipsAndSaysWhy: both when forms; a skipped task's result
// consumers are skipped with that reason, its runAfter dependents still run.
func TestPipelineWhenSkipsAndSaysWhy(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: when-run}
spec:
  params: [{name: branch, value: feature-x}]
  pipelineSpec:
    params: [{name: branch}]
    tasks:
    - name: deploy
      when: [{input: $(params.branch), operator: in, values: [main]}]
      taskSpec: {results: [{name: url}], steps: [{image: SHELL, script: 'echo -n x > $(results.url.path)'}]}
    - name: preview
      when: [{cel: "'$(params.branch)'.startsWith('feature-')"}]
      taskSpec: {steps: [{image: SHELL, script: 'true'}]}
    - name: announce
      params: [{name: url, value: $(tasks.deploy.results.url)}]
      taskSpec: {params: [{name: url}], steps: [{image: SHELL, script: 'true'}]}
    - name: cleanup
      runAfter: [deploy]
      taskSpec: {steps: [{image: SHELL, script: 'true'}]}
`)
	pr := waitPipelineDone(t, ns, "when-run", metav1.ConditionTrue, windlassv1.ReasonCompleted, 2*time.Minute)
	if got, want := skipped(pr), map[string]string{"deploy": pipeline.SkipWhen, "announce": pipeline.SkipResults}; !reflect.DeepEqual(got, want) {
		t.Errorf("skipped = %v, want %v", got, want)
	}
	for _, s := range pr.Status.SkippedTasks {
		if s.Name == "deploy" && (len(s.WhenExpressions) != 1 || s.WhenExpressions[0].Input != "feature-x") {
			t.Errorf("the evaluated when expression is not recorded: %+v", s)
		}
	}
	var ran []string
	for _, c := range pr.Status.ChildReferences {
		ran = append(ran, c.PipelineTaskName)
	}
	sort.Strings(ran)
	if !reflect.DeepEqual(ran, []string{"cleanup", "preview"}) {
		t.Errorf("ran %v, want cleanup and preview", ran)
	}
}

// TestPipelineFailureRunsFinallyAndOnErrorContinues: a failing task stops the
// run and finally still runs with the statuses; onError: continue lets a run
// succeed past a failure, visible in status.
func TestPipelineFailureRunsFinallyAndOnErrorContinues(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: fails}
spec:
  pipelineSpec:
    tasks:
    - {name: broken, taskSpec: {steps: [{image: SHELL, script: 'echo broken >&2; exit 3'}]}}
    - {name: after, runAfter: [broken], taskSpec: {steps: [{image: SHELL, script: 'true'}]}}
    finally:
    - name: report
      params: [{name: s, value: "$(tasks.broken.status)/$(tasks.status)"}]
      taskSpec: {params: [{name: s}], results: [{name: seen}], steps: [{image: SHELL, script: 'echo -n "$(params.s)" > $(results.seen.path)'}]}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: continues}
spec:
  pipelineSpec:
    tasks:
    - {name: flaky, onError: continue, taskSpec: {steps: [{image: SHELL, script: 'exit 1'}]}}
    - {name: next, runAfter: [flaky], taskSpec: {steps: [{image: SHELL, script: 'true'}]}}
`)
	pr := waitPipelineDone(t, ns, "fails", metav1.ConditionFalse, windlassv1.ReasonFailed, 2*time.Minute)
	if !strings.Contains(prCondition(pr).Message, "broken") {
		t.Errorf("message does not name the failed task: %s", prCondition(pr).Message)
	}
	if got := skipped(pr); got["after"] != pipeline.SkipStopping {
		t.Errorf("skipped = %v", got)
	}
	if seen := resultOf(t, getTaskRun(t, ns, "fails-report"), "seen").StringVal; seen != "Failed/Failed" {
		t.Errorf("finally saw %q", seen)
	}
	pr = waitPipelineDone(t, ns, "continues", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if !strings.Contains(prCondition(pr).Message, "failures allowed by onError: 1") {
		t.Errorf("the allowed failure is not visible: %s", prCondition(pr).Message)
	}
	if c := meta.FindStatusCondition(getTaskRun(t, ns, "continues-flaky").Status.Conditions, windlassv1.ConditionSucceeded); c.Status != metav1.ConditionFalse {
		t.Errorf("the flaky TaskRun should show its failure: %+v", c)
	}
}

// TestPipelineRetriesThenSucceeds: the first attempt fails, leaving a mark on
// a shared claim; the retry, in a new pod, sees it and succeeds.
func TestPipelineRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: retry}
spec:
  workspaces:
  - name: state
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  pipelineSpec:
    workspaces: [{name: state}]
    tasks:
    - name: flaky
      retries: 2
      workspaces: [{name: state}]
      taskSpec:
        workspaces: [{name: state}]
        steps:
        - image: SHELL
          script: |
            if [ -e $(workspaces.state.path)/tried ]; then echo second try; exit 0; fi
            touch $(workspaces.state.path)/tried; echo first try fails; exit 1
`)
	pr := waitPipelineDone(t, ns, "retry", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	var names []string
	for _, c := range pr.Status.ChildReferences {
		names = append(names, fmt.Sprintf("%s@%d", c.Name, c.Attempt))
	}
	if !reflect.DeepEqual(names, []string{"retry-flaky@0", "retry-flaky-retry1@1"}) {
		t.Errorf("attempts = %v", names)
	}
	if getTaskRun(t, ns, "retry-flaky").Status.PodName == getTaskRun(t, ns, "retry-flaky-retry1").Status.PodName {
		t.Error("the retry reused the first attempt's pod")
	}
}

// TestPipelineMatrixFansOutAndCollectsResults: 2×2 combinations plus an
// include, each its own TaskRun; a consumer gets their results as an array.
func TestPipelineMatrixFansOutAndCollectsResults(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: matrix}
spec:
  pipelineSpec:
    tasks:
    - name: build
      matrix:
        params: [{name: os, value: [linux, darwin]}, {name: arch, value: [amd64, arm64]}]
        include: [{name: wasm, params: [{name: os, value: js}, {name: arch, value: wasm}]}]
      taskSpec:
        params: [{name: os}, {name: arch}]
        results: [{name: target}]
        steps: [{image: SHELL, script: 'echo -n $(params.os)/$(params.arch) > $(results.target.path)'}]
    - name: publish
      params: [{name: targets, value: "$(tasks.build.results.target[*])"}]
      taskSpec:
        params: [{name: targets, type: array}]
        results: [{name: all}]
        steps: [{image: SHELL, command: [sh, -c, 'echo -n "$*" > $(results.all.path)', sh], args: ["$(params.targets[*])"]}]
`)
	waitPipelineDone(t, ns, "matrix", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	if got := resultOf(t, getTaskRun(t, ns, "matrix-publish"), "all").StringVal; got != "linux/amd64 darwin/amd64 linux/arm64 darwin/arm64 js/wasm" {
		t.Errorf("publish got %q", got)
	}
}

// TestPipelineTimeouts: a tasks timeout stops the tasks and runs finally; a
// pipeline timeout stops everything; a finally timeout stops finally.
func TestPipelineTimeouts(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: tasks-timeout}
spec:
  timeouts: {tasks: 8s}
  pipelineSpec:
    tasks: [{name: slow, taskSpec: {steps: [{image: SHELL, script: 'sleep 600'}]}}]
    finally: [{name: report, taskSpec: {steps: [{image: SHELL, script: 'true'}]}}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: pipeline-timeout}
spec:
  timeouts: {pipeline: 8s}
  pipelineSpec:
    tasks: [{name: slow, taskSpec: {steps: [{image: SHELL, script: 'sleep 600'}]}}]
    finally: [{name: report, taskSpec: {steps: [{image: SHELL, script: 'true'}]}}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: finally-timeout}
spec:
  timeouts: {finally: 8s}
  pipelineSpec:
    tasks: [{name: quick, taskSpec: {steps: [{image: SHELL, script: 'true'}]}}]
    finally: [{name: slow, taskSpec: {steps: [{image: SHELL, script: 'sleep 600'}]}}]
`)
	pr := waitPipelineDone(t, ns, "tasks-timeout", metav1.ConditionFalse, windlassv1.ReasonTimedOut, 2*time.Minute)
	if c := meta.FindStatusCondition(getTaskRun(t, ns, "tasks-timeout-report").Status.Conditions, windlassv1.ConditionSucceeded); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("finally did not run after the tasks timeout: %+v", c)
	}
	if d := pr.Status.CompletionTime.Sub(pr.Status.StartTime.Time); d > time.Minute {
		t.Errorf("the 8s tasks timeout took %s to stop the run", d)
	}
	pr = waitPipelineDone(t, ns, "pipeline-timeout", metav1.ConditionFalse, windlassv1.ReasonTimedOut, 2*time.Minute)
	if got := skipped(pr); got["report"] != pipeline.SkipTimedOut {
		t.Errorf("finally must be skipped after the pipeline timeout: %v", got)
	}
	waitPipelineDone(t, ns, "finally-timeout", metav1.ConditionFalse, windlassv1.ReasonTimedOut, 2*time.Minute)
	if c := meta.FindStatusCondition(getTaskRun(t, ns, "finally-timeout-slow").Status.Conditions, windlassv1.ConditionSucceeded); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("the slow finally task was not stopped: %+v", c)
	}
}

// TestPipelineCancelModesAndPending: each spec.status does what its name says.
func TestPipelineCancelModesAndPending(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	const body = `
  pipelineSpec:
    tasks:
    - {name: slow, taskSpec: {steps: [{image: SHELL, script: 'sleep 15'}]}}
    - {name: next, runAfter: [slow], taskSpec: {steps: [{image: SHELL, script: 'true'}]}}
    finally: [{name: report, taskSpec: {steps: [{image: SHELL, script: 'true'}]}}]
`
	var docs []string
	for _, name := range []string{"cancel", "cancel-finally", "stop-finally"} {
		docs = append(docs, "apiVersion: windlass.dev/v1alpha1\nkind: PipelineRun\nmetadata: {name: "+name+"}\nspec:"+body)
	}
	docs = append(docs, "apiVersion: windlass.dev/v1alpha1\nkind: PipelineRun\nmetadata: {name: held}\nspec:\n  status: PipelineRunPending"+body)
	createObjects(t, ns, strings.Join(docs, "\n---\n"))
	for _, name := range []string{"cancel", "cancel-finally", "stop-finally"} {
		waitPipelineRun(t, ns, name, "running its first task", time.Minute, func(pr *windlassv1.PipelineRun) bool {
			return len(pr.Status.ChildReferences) > 0
		})
	}
	setPipelineRunStatus(t, ns, "cancel", windlassv1.PipelineRunCancelled)
	setPipelineRunStatus(t, ns, "cancel-finally", windlassv1.PipelineRunCancelledRunFinally)
	setPipelineRunStatus(t, ns, "stop-finally", windlassv1.PipelineRunStoppedRunFinally)

	pr := waitPipelineDone(t, ns, "cancel", metav1.ConditionFalse, windlassv1.ReasonCancelled, 2*time.Minute)
	if got := skipped(pr); got["next"] != pipeline.SkipCancelled || got["report"] != pipeline.SkipCancelled {
		t.Errorf("cancel: skipped %v", got)
	}
	pr = waitPipelineDone(t, ns, "cancel-finally", metav1.ConditionFalse, windlassv1.ReasonCancelled, 2*time.Minute)
	if got := skipped(pr); got["next"] != pipeline.SkipCancelled || got["report"] != "" {
		t.Errorf("cancel-finally: skipped %v (finally must run)", got)
	}
	if c := meta.FindStatusCondition(getTaskRun(t, ns, "cancel-finally-slow").Status.Conditions, windlassv1.ConditionSucceeded); c.Reason != windlassv1.ReasonCancelled {
		t.Errorf("cancel-finally: the running task was not cancelled: %+v", c)
	}
	pr = waitPipelineDone(t, ns, "stop-finally", metav1.ConditionFalse, windlassv1.ReasonStoppedRunFinally, 2*time.Minute)
	if got := skipped(pr); got["next"] != pipeline.SkipStopping || got["report"] != "" {
		t.Errorf("stop-finally: skipped %v", got)
	}
	if c := meta.FindStatusCondition(getTaskRun(t, ns, "stop-finally-slow").Status.Conditions, windlassv1.ConditionSucceeded); c.Status != metav1.ConditionTrue {
		t.Errorf("stop-finally: the running task must finish: %+v", c)
	}

	held := waitPipelineRun(t, ns, "held", "pending", time.Minute, func(pr *windlassv1.PipelineRun) bool {
		c := prCondition(pr)
		return c != nil && c.Reason == windlassv1.ReasonPipelineRunPending
	})
	if len(held.Status.ChildReferences) != 0 || held.Status.StartTime != nil {
		t.Fatalf("a pending run started: %+v", held.Status)
	}
	setPipelineRunStatus(t, ns, "held", "")
	waitPipelineDone(t, ns, "held", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
}
