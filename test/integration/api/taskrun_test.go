package api

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const runHead = "apiVersion: windlass.dev/v1alpha1\nkind: TaskRun\nmetadata: {name: NAME}\nspec:\n"

func TestTaskRunSchemaAndCEL(t *testing.T) {
	runCases(t, []rejectCase{
		{name: "valid taskRef with every binding kind", manifest: runHead + `
  taskRef: {name: build}
  params:
  - {name: revision, value: main}
  - {name: flags, value: [-v]}
  - {name: target, value: {os: linux}}
  workspaces:
  - {name: a, emptyDir: {}}
  - {name: b, persistentVolumeClaim: {claimName: c}, subPath: dir/sub}
  - name: c
    volumeClaimTemplate:
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  - {name: d, configMap: {name: cm}}
  - {name: e, secret: {secretName: s}}
  serviceAccountName: builder
  podTemplate:
    nodeSelector: {disk: ssd}
    securityContext: {runAsNonRoot: true}
    env: [{name: HTTP_PROXY, value: "http://proxy"}]
    volumes: [{name: custom, emptyDir: {}}]
  timeout: 30m
`},
		{name: "metadata belongs to a pipeline task's taskSpec only", manifest: runHead + `
  taskSpec: {metadata: {labels: {a: b}}, steps: [{image: busybox}]}
`, wantErr: "metadata is only for a taskSpec embedded in a pipeline task"},
		{name: "pod template volumes have unique names", manifest: runHead + `
  taskRef: {name: build}
  podTemplate:
    volumes: [{name: custom, emptyDir: {}}, {name: custom, emptyDir: {}}]
`, wantErr: `spec.podTemplate.volumes[1]: Duplicate value: {"name":"custom"}`},
		{name: "valid embedded taskSpec", manifest: runHead + `
  taskSpec:
    steps: [{image: busybox, script: "echo hi"}]
`},
		{name: "both taskRef and taskSpec", manifest: runHead + `
  taskRef: {name: build}
  taskSpec: {steps: [{image: x}]}
`, wantErr: "exactly one of taskRef or taskSpec must be set"},
		{name: "neither taskRef nor taskSpec", manifest: runHead + `
  params: [{name: a, value: b}]
`, wantErr: "exactly one of taskRef or taskSpec must be set"},
		{name: "embedded taskSpec is validated too", manifest: runHead + `
  taskSpec: {steps: [{name: s}]}
`, wantErr: "spec.taskSpec.steps: Invalid value: every step needs an image"},
		{name: "workspace with two sources", manifest: runHead + `
  taskRef: {name: build}
  workspaces: [{name: w, emptyDir: {}, configMap: {name: c}}]
`, wantErr: "exactly one of emptyDir, persistentVolumeClaim, volumeClaimTemplate, configMap, secret, projected or csi must be set"},
		{name: "projected and csi workspaces", manifest: runHead + `
  taskRef: {name: build}
  workspaces:
  - name: p
    projected:
      sources:
      - configMap: {name: c}
      - secret: {name: s}
      - serviceAccountToken: {path: token, audience: vault}
  - {name: c, csi: {driver: secrets-store.csi.k8s.io, readOnly: true, volumeAttributes: {secretProviderClass: vault}}}
`},
		{name: "projected with another source", manifest: runHead + `
  taskRef: {name: build}
  workspaces: [{name: w, projected: {sources: [{configMap: {name: c}}]}, secret: {secretName: s}}]
`, wantErr: "exactly one of emptyDir"},
		{name: "workspace with no source", manifest: runHead + `
  taskRef: {name: build}
  workspaces: [{name: w}]
`, wantErr: "exactly one of emptyDir"},
		{name: "subPath escaping the volume", manifest: runHead + `
  taskRef: {name: build}
  workspaces: [{name: w, emptyDir: {}, subPath: a/../../etc}]
`, wantErr: "subPath must be relative and must not contain '..'"},
		{name: "duplicate params", manifest: runHead + `
  taskRef: {name: build}
  params: [{name: a, value: x}, {name: a, value: y}]
`, wantErr: "spec.params[1]: Duplicate value"},
		{name: "an Approval taskRef (the controller refuses it, the API takes it)", manifest: runHead + `
  taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
`},
		{name: "an Approval taskRef with a name", manifest: runHead + `
  taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval, name: gate}
`, wantErr: "an Approval taskRef takes only apiVersion and kind"},
		{name: "kind Approval without apiVersion", manifest: runHead + `
  taskRef: {kind: Approval}
`, wantErr: "apiVersion windlass.dev/v1alpha1 goes with kind Approval, and only with it"},
		{name: "apiVersion on a Task reference", manifest: runHead + `
  taskRef: {apiVersion: windlass.dev/v1alpha1, name: build}
`, wantErr: "apiVersion windlass.dev/v1alpha1 goes with kind Approval, and only with it"},
		{name: "another custom task", manifest: runHead + `
  taskRef: {apiVersion: example.dev/v1, kind: Approval}
`, wantErr: `spec.taskRef.apiVersion: Unsupported value: "example.dev/v1"`},
		{name: "bad cancel value", manifest: runHead + `
  taskRef: {name: build}
  status: Stop
`, wantErr: `spec.status: Unsupported value: "Stop"`},
	})
}

func TestTaskRunSpecIsImmutableExceptCancel(t *testing.T) {
	ctx := context.Background()
	base := strings.ReplaceAll(runHead, "NAME", "immutable") + `
  taskRef: {name: build}
  params: [{name: a, value: x}]
`
	if err := create(t, base); err != nil {
		t.Fatal(err)
	}
	edit := func(mutate func(u *unstructured.Unstructured)) error {
		u := obj(t, base)
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			t.Fatal(err)
		}
		mutate(u)
		return k8s.Update(ctx, u)
	}
	for _, tc := range []struct {
		name    string
		mutate  func(u *unstructured.Unstructured)
		wantErr string
	}{
		{"change a param", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"name": "a", "value": "y"}}, "spec", "params")
		}, "params and workspaces are immutable"},
		{"add workspaces", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"name": "w", "emptyDir": map[string]any{}}}, "spec", "workspaces")
		}, "params and workspaces are immutable"},
		{"change the task", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "other", "spec", "taskRef", "name")
		}, "taskRef and taskSpec are immutable"},
		{"add a timeout", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "1m", "spec", "timeout")
		}, "serviceAccountName, podTemplate and timeout are immutable"},
		{"cancel", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "TaskRunCancelled", "spec", "status")
			_ = unstructured.SetNestedField(u.Object, "user asked", "spec", "statusMessage")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := edit(tc.mutate)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("allowed edit rejected: %v", err)
			case tc.wantErr != "" && (err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want an Invalid error containing %q", err, tc.wantErr)
			}
		})
	}
}
