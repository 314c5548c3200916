package api

import (
	"context"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

type rejectCase struct {
	name     string
	manifest string
	wantErr  string // empty: must be accepted
}

func runCases(t *testing.T, cases []rejectCase) {
	t.Helper()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manifest := strings.ReplaceAll(tc.manifest, "NAME", fmt.Sprintf("case-%d", i))
			err := create(t, manifest)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("valid object rejected: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("invalid object accepted; want an error containing %q", tc.wantErr)
			case tc.wantErr != "" && !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err):
				t.Fatalf("got %v, want an Invalid (or, for unknown fields, BadRequest) error containing %q", err, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not contain %q", err.Error(), tc.wantErr)
			}
		})
	}
}

const taskHead = "apiVersion: windlass.dev/v1alpha1\nkind: Task\nmetadata: {name: NAME}\nspec:\n"

func TestTaskSchemaAndCEL(t *testing.T) {
	runCases(t, []rejectCase{
		{name: "valid, every field kind", manifest: taskHead + `
  description: builds
  params:
  - {name: revision, type: string, default: main, enum: [main, dev]}
  - {name: flags, type: array, default: [-v, -x]}
  - {name: target, type: object, properties: {os: {type: string}}, default: {os: linux}}
  results:
  - {name: digest}
  - {name: files, type: array}
  workspaces:
  - {name: source, mountPath: /src, readOnly: true}
  - {name: cache, optional: true}
  stepTemplate:
    env: [{name: A, value: b}]
  steps:
  - name: build
    image: busybox
    script: |
      #!/bin/sh
      echo $(params.revision)
    onError: continue
    timeout: 90s
  - image: busybox
    command: [echo]
    args: ["$(params.flags[*])"]
    onError: $(params.revision)
  sidecars:
  - {name: registry, image: registry:2}
  volumes:
  - {name: scratch, emptyDir: {}}
`},
		{name: "stepTemplate supplies the image", manifest: taskHead + `
  stepTemplate: {image: busybox}
  steps: [{name: a, script: "true"}]
`},
		{name: "missing image names the step", manifest: taskHead + `
  steps: [{name: ok, image: busybox}, {name: build, script: "true"}]
`, wantErr: "spec.steps: Invalid value: every step needs an image unless stepTemplate.image is set"},
		{name: "no steps", manifest: taskHead + "  steps: []\n", wantErr: "spec.steps"},
		{name: "duplicate step names", manifest: taskHead + `
  steps: [{name: a, image: x}, {name: b, image: x}, {name: a, image: z}]
`, wantErr: "step names must be unique"},
		{name: "duplicate param names", manifest: taskHead + `
  params: [{name: p}, {name: p}]
  steps: [{image: x}]
`, wantErr: `spec.params[1]: Duplicate value`},
		{name: "duplicate result names", manifest: taskHead + `
  results: [{name: r}, {name: r}]
  steps: [{image: x}]
`, wantErr: `spec.results[1]: Duplicate value`},
		{name: "duplicate workspace names", manifest: taskHead + `
  workspaces: [{name: w}, {name: w}]
  steps: [{image: x}]
`, wantErr: `spec.workspaces[1]: Duplicate value`},
		{name: "duplicate sidecar names", manifest: taskHead + `
  sidecars: [{name: s, image: x}, {name: s, image: x}]
  steps: [{image: x}]
`, wantErr: `spec.sidecars: Invalid value: sidecar names must be unique`},
		{name: "script with command", manifest: taskHead + `
  steps: [{name: a, image: x, command: [sh], script: "true"}]
`, wantErr: "script cannot be used together with command"},
		{name: "bad step name", manifest: taskHead + `
  steps: [{name: Build_1, image: x}]
`, wantErr: "spec.steps[0].name"},
		{name: "bad param name", manifest: taskHead + `
  params: [{name: "1p"}]
  steps: [{image: x}]
`, wantErr: "spec.params[0].name"},
		{name: "enum on an array param", manifest: taskHead + `
  params: [{name: p, type: array, enum: [a]}]
  steps: [{image: x}]
`, wantErr: "enum is only allowed for type string"},
		{name: "properties without a type: an object param, as in Tekton", manifest: taskHead + `
  params: [{name: p, properties: {a: {type: string}, b: {}}, default: {a: x}}]
  steps: [{image: x}]
`},
		{name: "metadata belongs to a pipeline task's taskSpec only", manifest: taskHead + `
  metadata: {labels: {a: b}}
  steps: [{image: x}]
`, wantErr: "spec.metadata is only for a taskSpec embedded in a pipeline task"},
		{name: "properties on a string param", manifest: taskHead + `
  params: [{name: p, type: string, properties: {a: {type: string}}}]
  steps: [{image: x}]
`, wantErr: "properties are only allowed for type object"},
		{name: "properties without a type make an object param (Tekton infers it)", manifest: taskHead + `
  params: [{name: p, properties: {a: {type: string}}, default: {a: x}}]
  steps: [{image: x}]
`},
		{name: "unknown param type", manifest: taskHead + `
  params: [{name: p, type: number}]
  steps: [{image: x}]
`, wantErr: `spec.params[0].type: Unsupported value: "number"`},
		{name: "bad onError", manifest: taskHead + `
  steps: [{image: x, onError: ignore}]
`, wantErr: `spec.steps[0].onError: Invalid value: "ignore"`},
		{name: "onError that is not wholly a params reference", manifest: taskHead + `
  steps: [{image: x, onError: "$(params.a)x"}]
`, wantErr: `spec.steps[0].onError: Invalid value: "$(params.a)x"`},
		{name: "unknown field is rejected, not dropped", manifest: taskHead + `
  steps: [{image: x, imagee: y}]
`, wantErr: `unknown field "spec.steps[0].imagee"`},
	})
}

func TestTaskIsListedWithItsShortNameAndCategory(t *testing.T) {
	crd := &unstructured.Unstructured{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	for _, c := range []struct{ crd, short string }{{"tasks.windlass.dev", "tk"}, {"taskruns.windlass.dev", "tr"}} {
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: c.crd}, crd); err != nil {
			t.Fatal(err)
		}
		shorts, _, _ := unstructured.NestedStringSlice(crd.Object, "spec", "names", "shortNames")
		cats, _, _ := unstructured.NestedStringSlice(crd.Object, "spec", "names", "categories")
		if strings.Join(shorts, ",") != c.short || strings.Join(cats, ",") != "windlass" {
			t.Errorf("%s: shortNames %v categories %v, want [%s] [windlass]", c.crd, shorts, cats, c.short)
		}
	}
}
