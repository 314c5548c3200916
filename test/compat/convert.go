// Package compat converts Tekton's own examples into Windlass objects for the
// compatibility tier (test/e2e/compat_test.go), by one function and nothing
// per example: apiVersion, the tekton.dev/ keys of labels and annotations, and
// image references (see standins.txt).
package compat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Kinds are the tekton.dev kinds Windlass has under windlass.dev/v1alpha1.
var Kinds = map[string]bool{"Task": true, "Pipeline": true, "TaskRun": true, "PipelineRun": true, "StepAction": true}

// mirrored are the public registries whose images the local registry stands in
// for, as the cluster's containerd mirrors them (hack/cluster/configs.sh).
var mirrored = map[string]bool{
	"index.docker.io": true, "docker.io": true, "mirror.gcr.io": true, "ghcr.io": true,
	"gcr.io": true, "quay.io": true, "cgr.dev": true,
}

// Image is the reference a converted example uses for ref, an image named
// with a mirrored registry's host: on registry, the same repository path and
// tag (latest when none), without the digest. Anything else (a word, a
// $(params.x) reference, an image of another host) is returned unchanged, and
// false.
func Image(ref, registry string) (string, bool) {
	host, _, ok := strings.Cut(ref, "/")
	if !ok || !mirrored[host] || strings.ContainsAny(ref, " \n$") {
		return ref, false
	}
	repo, _, _ := strings.Cut(ref, "@")
	t, err := name.NewTag(repo, name.WeakValidation)
	if err != nil {
		return ref, false
	}
	return registry + "/" + t.RepositoryStr() + ":" + t.TagStr(), true
}

// Convert rewrites one object of an example in place: apiVersion tekton.dev/*
// of the kinds Windlass has becomes windlass.dev/v1alpha1; label and
// annotation keys "tekton.dev/..." anywhere in it (embedded specs' metadata
// too) become "windlass.dev/..."; every string that is an image reference of a
// mirrored registry (under `image`, or a param's value or default) points at
// registry. Other kinds are left as they are.
func Convert(u *unstructured.Unstructured, registry string) {
	if gv := u.GetAPIVersion(); strings.HasPrefix(gv, "tekton.dev/") && Kinds[u.GetKind()] {
		u.SetAPIVersion("windlass.dev/v1alpha1")
	}
	u.Object = walk(u.Object, "", registry).(map[string]any)
}

func walk(v any, key, registry string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if (key == "labels" || key == "annotations") && strings.HasPrefix(k, "tekton.dev/") {
				k = "windlass.dev/" + strings.TrimPrefix(k, "tekton.dev/")
			}
			out[k] = walk(val, k, registry)
		}
		return out
	case []any:
		for i := range x {
			x[i] = walk(x[i], key, registry)
		}
		return x
	case string:
		if img, ok := Image(x, registry); ok {
			return img
		}
	}
	return v
}

// Parse splits a multi-document YAML example into its objects, in order.
func Parse(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("document %d: %w", len(out)+1, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}
