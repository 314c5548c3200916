// Command crddocs keeps, in the generated CRDs, the descriptions of
// Windlass's own fields (their Go doc comments, which kubectl explain
// prints) and drops those of the Kubernetes types the API embeds (Container
// pieces, volumes, pod template fields...), which would make the CRDs many
// times larger. make manifests runs it after controller-gen:
//
//	go run ./hack/crddocs config/crd/bases
//
// A schema node keeps its description when it is a field of a Windlass
// struct, or the item or value of a list or map of a Windlass type; every
// other node (inside a type of another module) loses it.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

const module = "github.com/windlass-dev/windlass/"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "crddocs:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: crddocs DIR (the generated CRDs)")
	}
	scheme := runtime.NewScheme()
	if err := windlassv1.AddToScheme(scheme); err != nil {
		return err
	}
	if err := triggersv1.AddToScheme(scheme); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(args[0], "*.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		out, err := trim(data, scheme)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if !bytes.Equal(out, data) {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// trim drops the descriptions of foreign types from one CRD file.
func trim(data []byte, scheme *runtime.Scheme) ([]byte, error) {
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return nil, err
	}
	spec, _ := crd["spec"].(map[string]any)
	group, _ := spec["group"].(string)
	names, _ := spec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	versions, _ := spec["versions"].([]any)
	for _, v := range versions {
		v, _ := v.(map[string]any)
		version, _ := v["name"].(string)
		obj, err := scheme.New(schema.GroupVersionKind{Group: group, Version: version, Kind: kind})
		if err != nil {
			return nil, err
		}
		s, _ := v["schema"].(map[string]any)
		root, _ := s["openAPIV3Schema"].(map[string]any)
		if root == nil {
			continue
		}
		walk(root, reflect.TypeOf(obj), true)
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return nil, err
	}
	return append([]byte("---\n"), out...), nil
}

// walk visits a schema node of Go type t; keep says whether the node's own
// description is Windlass's.
func walk(node map[string]any, t reflect.Type, keep bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !keep {
		delete(node, "description")
	}
	if t == nil {
		strip(node)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		props, _ := node["properties"].(map[string]any)
		fields := jsonFields(t)
		for name, p := range props {
			p, _ := p.(map[string]any)
			if p == nil {
				continue
			}
			f, ok := fields[name]
			if !ok {
				strip(p)
				continue
			}
			walk(p, f.typ, ours(f.owner))
		}
		if ap, ok := node["additionalProperties"].(map[string]any); ok {
			strip(ap)
		}
	case reflect.Slice, reflect.Array:
		if items, ok := node["items"].(map[string]any); ok {
			walk(items, t.Elem(), ours(t.Elem()))
		}
	case reflect.Map:
		if ap, ok := node["additionalProperties"].(map[string]any); ok {
			walk(ap, t.Elem(), ours(t.Elem()))
		}
	default:
		strip(node)
		if keep {
			return
		}
	}
}

// strip drops every description below node (not node's own).
func strip(node map[string]any) {
	for _, key := range []string{"properties", "items", "additionalProperties"} {
		switch c := node[key].(type) {
		case map[string]any:
			if key == "properties" {
				for _, p := range c {
					if p, ok := p.(map[string]any); ok {
						delete(p, "description")
						strip(p)
					}
				}
				continue
			}
			delete(c, "description")
			strip(c)
		}
	}
}

// ours reports whether t (a pointer, slice or map: its element) is a type of this module.
func ours(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t.PkgPath() == "" || strings.HasPrefix(t.PkgPath()+"/", module)
}

type field struct {
	typ   reflect.Type
	owner reflect.Type // the struct that declares the field
}

// jsonFields maps the JSON names of t's fields, inlined structs flattened, to their types.
func jsonFields(t reflect.Type) map[string]field {
	out := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if (f.Anonymous && name == "") || strings.Contains(","+opts+",", ",inline,") {
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = field{typ: f.Type, owner: t}
	}
	return out
}
