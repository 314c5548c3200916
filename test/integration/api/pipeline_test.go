package api

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const pipelineHead = "apiVersion: windlass.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: NAME}\nspec:\n"

func TestPipelineSchemaAndCEL(t *testing.T) {
	runCases(t, []rejectCase{
		{name: "valid, every field kind", manifest: pipelineHead + `
  description: ci
  params:
  - {name: revision, default: main}
  - {name: platforms, type: array}
  workspaces:
  - {name: source}
  - {name: cache, optional: true}
  results:
  - {name: digest, value: "$(tasks.build.results.digest)"}
  - {name: all, type: array, value: ["$(tasks.build.results.digest)"]}
  tasks:
  - name: clone
    taskRef: {name: git-clone}
    params: [{name: revision, value: $(params.revision)}]
    workspaces: [{name: output, workspace: source, subPath: src}]
    retries: 2
    timeout: 10m
  - name: build
    displayName: Build it
    runAfter: [clone]
    taskSpec:
      metadata: {labels: {app: example}, annotations: {note: hi}}
      results: [{name: digest}]
      steps: [{image: busybox, script: "echo -n x > $(results.digest.path)"}]
    when:
    - {input: $(params.revision), operator: in, values: [main]}
    - {cel: "'$(params.revision)' != 'dev'"}
    matrix:
      params: [{name: platform, value: $(params.platforms)}]
      include: [{name: extra, params: [{name: platform, value: linux/s390x}]}]
    onError: continue
  finally:
  - name: report
    taskRef: {name: report}
    params: [{name: status, value: $(tasks.status)}]
`},
		{name: "duplicate task names", manifest: pipelineHead + `
  tasks:
  - {name: a, taskRef: {name: t}}
  - {name: a, taskRef: {name: u}}
`, wantErr: `Duplicate value: {"name":"a"}`},
		{name: "a task in tasks and finally", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}}]
  finally: [{name: a, taskRef: {name: t}}]
`, wantErr: "a task name may appear in tasks or finally, not both"},
		{name: "runAfter an unknown task", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, runAfter: [nope]}]
`, wantErr: "runAfter must name other tasks of tasks"},
		{name: "runAfter itself", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, runAfter: [a]}]
`, wantErr: "runAfter must name other tasks of tasks"},
		{name: "finally with runAfter", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}}]
  finally: [{name: f, taskRef: {name: t}, runAfter: [a]}]
`, wantErr: "finally tasks cannot use runAfter"},
		{name: "a taskSpec's metadata holds labels and annotations only", manifest: pipelineHead + `
  tasks: [{name: a, taskSpec: {metadata: {name: x}, steps: [{image: x}]}}]
`, wantErr: `unknown field "spec.tasks[0].taskSpec.metadata.name"`},
		{name: "both taskRef and taskSpec", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, taskSpec: {steps: [{image: x}]}}]
`, wantErr: "exactly one of taskRef or taskSpec must be set"},
		{name: "neither taskRef nor taskSpec", manifest: pipelineHead + `
  tasks: [{name: a}]
`, wantErr: "exactly one of taskRef or taskSpec must be set"},
		{name: "embedded taskSpec is validated", manifest: pipelineHead + `
  tasks: [{name: a, taskSpec: {steps: [{name: s}]}}]
`, wantErr: "every step needs an image"},
		{name: "no tasks", manifest: pipelineHead + `
  description: empty
`, wantErr: "spec.tasks: Required value"},
		{name: "bad task name", manifest: pipelineHead + `
  tasks: [{name: Build_It, taskRef: {name: t}}]
`, wantErr: "spec.tasks[0].name"},
		{name: "when with both forms", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, when: [{input: x, operator: in, values: [x], cel: "true"}]}]
`, wantErr: "set either cel, or input, operator and values"},
		{name: "when without operator", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, when: [{input: x, values: [x]}]}]
`, wantErr: "input needs an operator and values"},
		{name: "when with a bad operator", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, when: [{input: x, operator: equals, values: [x]}]}]
`, wantErr: `supported values: "in", "notin"`},
		{name: "negative retries", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, retries: -1}]
`, wantErr: "spec.tasks[0].retries"},
		{name: "bad onError", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, onError: ignore}]
`, wantErr: `supported values: "continue", "stopAndFail"`},
		{name: "empty matrix", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, matrix: {}}]
`, wantErr: "a matrix needs params or include"},
		{name: "subPath escaping the workspace", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, workspaces: [{name: w, subPath: ../x}]}]
`, wantErr: "subPath must be relative"},
		{name: "unknown field", manifest: pipelineHead + `
  tasks: [{name: a, taskRef: {name: t}, runafter: [b]}]
`, wantErr: `unknown field "spec.tasks[0].runafter"`},
	})
}

const prHead = "apiVersion: windlass.dev/v1alpha1\nkind: PipelineRun\nmetadata: {name: NAME}\nspec:\n"

func TestPipelineRunSchemaAndCEL(t *testing.T) {
	runCases(t, []rejectCase{
		{name: "valid pipelineRef with everything", manifest: prHead + `
  pipelineRef: {name: ci}
  params: [{name: revision, value: main}, {name: platforms, value: [a, b]}]
  workspaces:
  - name: source
    volumeClaimTemplate:
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  taskRunTemplate:
    serviceAccountName: builder
    podTemplate: {nodeSelector: {disk: ssd}}
  taskRunSpecs:
  - {pipelineTaskName: build, serviceAccountName: pusher}
  timeouts: {pipeline: 1h, tasks: 50m, finally: 10m}
  status: PipelineRunPending
`},
		{name: "valid embedded pipelineSpec", manifest: prHead + `
  pipelineSpec:
    tasks: [{name: a, taskSpec: {steps: [{image: busybox, script: "true"}]}}]
`},
		{name: "both pipelineRef and pipelineSpec", manifest: prHead + `
  pipelineRef: {name: ci}
  pipelineSpec: {tasks: [{name: a, taskRef: {name: t}}]}
`, wantErr: "exactly one of pipelineRef or pipelineSpec must be set"},
		{name: "neither", manifest: prHead + `
  params: [{name: a, value: b}]
`, wantErr: "exactly one of pipelineRef or pipelineSpec must be set"},
		{name: "embedded pipelineSpec is validated", manifest: prHead + `
  pipelineSpec: {tasks: [{name: a, taskRef: {name: t}, runAfter: [b]}]}
`, wantErr: "runAfter must name other tasks of tasks"},
		{name: "bad status", manifest: prHead + `
  pipelineRef: {name: ci}
  status: Paused
`, wantErr: `supported values: "Cancelled", "CancelledRunFinally", "StoppedRunFinally", "PipelineRunPending"`},
		{name: "duplicate taskRunSpecs", manifest: prHead + `
  pipelineRef: {name: ci}
  taskRunSpecs: [{pipelineTaskName: a}, {pipelineTaskName: a}]
`, wantErr: "Duplicate value"},
	})
}

// TestPipelineRunSpecIsImmutableButCancellable: only spec.status moves, and
// only forward (pending → running → stopped → cancelled).
func TestPipelineRunSpecIsImmutableButCancellable(t *testing.T) {
	ctx := context.Background()
	u := obj(t, prHead+"  pipelineRef: {name: ci}\n  status: PipelineRunPending\n")
	u.SetName("immutable-pr")
	if err := k8s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	deleteAtEnd(t, u)
	set := func(path []string, v any) error {
		cur := &unstructured.Unstructured{}
		cur.SetGroupVersionKind(u.GroupVersionKind())
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(u), cur); err != nil {
			t.Fatal(err)
		}
		if v == nil {
			unstructured.RemoveNestedField(cur.Object, path...)
		} else if err := unstructured.SetNestedField(cur.Object, v, path...); err != nil {
			t.Fatal(err)
		}
		return k8s.Update(ctx, cur)
	}
	mustFail := func(err error, want string) {
		t.Helper()
		if err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want Invalid containing %q", err, want)
		}
	}
	mustFail(set([]string{"spec", "pipelineRef", "name"}, "other"), "pipelineRef and pipelineSpec are immutable")
	mustFail(set([]string{"spec", "timeouts"}, map[string]any{"pipeline": "1m"}), "taskRunTemplate, taskRunSpecs and timeouts are immutable")
	if err := set([]string{"spec", "status"}, nil); err != nil {
		t.Fatalf("releasing a pending run: %v", err)
	}
	if err := set([]string{"spec", "status"}, "StoppedRunFinally"); err != nil {
		t.Fatalf("stopping a run: %v", err)
	}
	mustFail(set([]string{"spec", "status"}, nil), "cannot be resumed")
	mustFail(set([]string{"spec", "status"}, "CancelledRunFinally"), "cannot be resumed")
	if err := set([]string{"spec", "status"}, "Cancelled"); err != nil {
		t.Fatalf("escalating a stop to a cancel: %v", err)
	}
}
