package compat

import (
	"reflect"
	"testing"
)

func TestImage(t *testing.T) {
	const reg = "10.88.0.1:5000"
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"mirror.gcr.io/ubuntu", reg + "/ubuntu:latest", true},
		{"mirror.gcr.io/ubuntu@sha256:0d39fcc8335d6d74d5502f6df2d30119ff4790ebbb60b364818d5112d9e3e932", reg + "/ubuntu:latest", true},
		{"mirror.gcr.io/bash:5.1.4@sha256:c523c636b722339f41b6a431b44588ab2f762c5de5ec3bd7964420ff982fb1d9", reg + "/bash:5.1.4", true},
		{"mirror.gcr.io/alpine/git:v2.26.2", reg + "/alpine/git:v2.26.2", true},
		{"docker.io/library/python", reg + "/library/python:latest", true},
		{"ghcr.io/tektoncd/plumbing/alpine-git-nonroot:latest", reg + "/tektoncd/plumbing/alpine-git-nonroot:latest", true},
		{"cgr.dev/chainguard/busybox@sha256:6202d571cc9c86302d4bd1eef6d2235d2b81b7dfc509cf7eee621f4d73175807", reg + "/chainguard/busybox:latest", true},
		// Not images of a mirrored registry: left alone.
		{"ubuntu", "ubuntu", false},
		{"hello", "hello", false},
		{"$(params.image)", "$(params.image)", false},
		{"example.com/app:1", "example.com/app:1", false},
		{"mirror.gcr.io/ubuntu and more", "mirror.gcr.io/ubuntu and more", false},
		{"gcr.io/", "gcr.io/", false},
	} {
		got, ok := Image(tc.in, reg)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Image(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestConvert(t *testing.T) {
	objs, err := Parse([]byte(`
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, labels: {tekton.dev/x: "1"}}
data: {image: mirror.gcr.io/ubuntu}
---
# a comment only document
---
apiVersion: tekton.dev/v1
kind: TaskRun
metadata:
  generateName: tr-
  labels: {tekton.dev/pipeline: p, app: x}
  annotations: {tekton.dev/git-0: localhost}
spec:
  params: [{name: img, value: mirror.gcr.io/alpine}, {name: word, value: alpine}]
  taskSpec:
    metadata: {labels: {tekton.dev/y: "2"}}
    steps: [{image: mirror.gcr.io/busybox@sha256:1303dbf110c57f3edf68d9f5a16c082ec06c4cf7604831669faf2c712260b5a0, script: "echo mirror.gcr.io/ubuntu"}]
---
apiVersion: tekton.dev/v1alpha1
kind: VerificationPolicy
metadata: {name: v}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("parsed %d objects, want 3", len(objs))
	}
	for _, o := range objs {
		Convert(o, "r:5000")
	}
	cm, tr, vp := objs[0], objs[1], objs[2]
	if cm.GetAPIVersion() != "v1" || !reflect.DeepEqual(cm.GetLabels(), map[string]string{"windlass.dev/x": "1"}) {
		t.Errorf("ConfigMap: %v %v", cm.GetAPIVersion(), cm.GetLabels())
	}
	if tr.GetAPIVersion() != "windlass.dev/v1alpha1" || tr.GetGenerateName() != "tr-" {
		t.Errorf("TaskRun apiVersion %q, generateName %q", tr.GetAPIVersion(), tr.GetGenerateName())
	}
	if want := map[string]string{"windlass.dev/pipeline": "p", "app": "x"}; !reflect.DeepEqual(tr.GetLabels(), want) {
		t.Errorf("labels %v, want %v", tr.GetLabels(), want)
	}
	if want := map[string]string{"windlass.dev/git-0": "localhost"}; !reflect.DeepEqual(tr.GetAnnotations(), want) {
		t.Errorf("annotations %v, want %v", tr.GetAnnotations(), want)
	}
	spec := tr.Object["spec"].(map[string]any)
	params := spec["params"].([]any)
	if v := params[0].(map[string]any)["value"]; v != "r:5000/alpine:latest" {
		t.Errorf("image param = %v", v)
	}
	if v := params[1].(map[string]any)["value"]; v != "alpine" {
		t.Errorf("word param = %v", v)
	}
	ts := spec["taskSpec"].(map[string]any)
	if l := ts["metadata"].(map[string]any)["labels"]; !reflect.DeepEqual(l, map[string]any{"windlass.dev/y": "2"}) {
		t.Errorf("embedded labels %v", l)
	}
	step := ts["steps"].([]any)[0].(map[string]any)
	if step["image"] != "r:5000/busybox:latest" || step["script"] != "echo mirror.gcr.io/ubuntu" {
		t.Errorf("step %v", step)
	}
	if vp.GetAPIVersion() != "tekton.dev/v1alpha1" {
		t.Errorf("a kind Windlass lacks keeps its apiVersion: %q", vp.GetAPIVersion())
	}
}
