package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

type inner struct {
	Mode string `json:"mode"`
}

type sample struct {
	Timeout string           `json:"timeout"`
	Env     []corev1.EnvVar  `json:"env"`
	Inner   *inner           `json:"inner"`
	Vols    []corev1.Volume  `json:"vols"`
	ByName  map[string]inner `json:"byName"`
	inlined `json:",inline"`
	Labels  map[string]string `json:"labels"`
}

type inlined struct {
	Flat string `json:"flat"`
}

func desc(s string, props map[string]any) map[string]any {
	n := map[string]any{"description": s}
	if props != nil {
		n["properties"] = props
	}
	return n
}

func TestWalk(t *testing.T) {
	valueFrom := desc("k8s: valueFrom", nil)
	envItem := desc("k8s: EnvVar", map[string]any{"valueFrom": valueFrom})
	env := desc("ours: env", nil)
	env["items"] = envItem
	mode := desc("ours: mode", nil)
	inr := desc("ours: inner", map[string]any{"mode": mode})
	byNameValue := desc("ours: inner type", nil)
	byName := desc("ours: byName", nil)
	byName["additionalProperties"] = byNameValue
	flat := desc("ours: flat", nil)
	unknown := desc("?", nil)
	root := desc("ours: root", map[string]any{
		"timeout": desc("ours: timeout", nil), "env": env, "inner": inr, "byName": byName, "flat": flat, "unknown": unknown,
	})
	walk(root, reflect.TypeOf(sample{}), true)
	for name, n := range map[string]map[string]any{
		"root": root, "env": env, "inner": inr, "inner.mode": mode, "byName": byName, "byName value": byNameValue, "flat": flat,
	} {
		if n["description"] == nil {
			t.Errorf("%s lost its description", name)
		}
	}
	for name, n := range map[string]map[string]any{"env item": envItem, "env.valueFrom": valueFrom} {
		if n["description"] != nil {
			t.Errorf("%s kept %q", name, n["description"])
		}
	}
}

// TestCRDSizes keeps every generated CRD well under what etcd stores in one
// object (1.5 MiB by default) and the API server takes in one request, and
// its JSON under what client-side kubectl apply may keep of it in the
// last-applied-configuration annotation (256 KiB for all annotations; the
// install applies server-side, which keeps no such copy, but users may not).
func TestCRDSizes(t *testing.T) {
	files, _ := filepath.Glob("../../config/crd/bases/*.yaml")
	if len(files) == 0 {
		t.Fatal("no CRDs")
	}
	const max = 700 << 10
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > max {
			t.Errorf("%s: %d bytes, over %d", f, st.Size(), max)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		const maxJSON = 240 << 10
		if len(js) > maxJSON {
			t.Errorf("%s: %d bytes of JSON, over %d", f, len(js), maxJSON)
		}
	}
}
