package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/windlass-dev/windlass/internal/rollout"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// render builds the kustomize overlay at dir/path in-process (no kustomize
// binary, no plugins, files only from inside each kustomization's root).
func render(dir, path string) ([]*unstructured.Unstructured, error) {
	root := filepath.Join(dir, path)
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy // namespaces and config first, workloads after
	rm, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), root)
	if err != nil {
		return nil, toolkit.Usagef("rendering the overlay %s: %v", path, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		// Through JSON: numbers become int64 as in objects read from the API.
		j, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("rendering the overlay %s: %w", path, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return nil, toolkit.Usagef("overlay %s: %v", path, err)
		}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, toolkit.Usagef("overlay %s: an object without a kind or a name", path)
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, toolkit.Usagef("overlay %s renders no objects", path)
	}
	return out, nil
}

// clusterScoped are the built-in kinds without a namespace. The tool checks
// the API server's own answer too once it is connected (for custom kinds).
var clusterScoped = map[string]bool{
	"/Namespace": true, "/Node": true, "/PersistentVolume": true, "/ComponentStatus": true,
	"rbac.authorization.k8s.io/ClusterRole": true, "rbac.authorization.k8s.io/ClusterRoleBinding": true,
	"apiextensions.k8s.io/CustomResourceDefinition": true, "apiregistration.k8s.io/APIService": true,
	"storage.k8s.io/StorageClass": true, "storage.k8s.io/CSIDriver": true, "storage.k8s.io/CSINode": true,
	"storage.k8s.io/VolumeAttachment": true, "scheduling.k8s.io/PriorityClass": true,
	"node.k8s.io/RuntimeClass": true, "networking.k8s.io/IngressClass": true,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     true,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": true,
	"certificates.k8s.io/CertificateSigningRequest":                 true,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       true,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       true,
}

func builtinNamespaced(gvk schema.GroupVersionKind) (bool, error) {
	return !clusterScoped[gvk.Group+"/"+gvk.Kind], nil
}

// place puts every object in ns, or refuses the whole overlay (before anything
// is applied) when an object is cluster-scoped or names another namespace.
// Every offender is named.
func place(objs []*unstructured.Unstructured, ns string, namespaced func(schema.GroupVersionKind) (bool, error)) error {
	var bad []string
	for _, u := range objs {
		ok, err := namespaced(u.GroupVersionKind())
		if err != nil {
			return fmt.Errorf("%s: %w", rollout.Describe(u), err)
		}
		switch {
		case !ok:
			bad = append(bad, rollout.Describe(u)+" is cluster-scoped")
		case u.GetNamespace() != "" && u.GetNamespace() != ns:
			bad = append(bad, fmt.Sprintf("%s is in namespace %s", rollout.Describe(u), u.GetNamespace()))
		}
	}
	if len(bad) > 0 {
		return toolkit.Usagef("refusing to deploy into namespace %s: %s (a deploy applies only namespaced objects in its own namespace)",
			ns, strings.Join(bad, "; "))
	}
	for _, u := range objs {
		u.SetNamespace(ns)
	}
	return nil
}

// label marks each object as the app's: windlass.dev/deploy=APP.
func label(objs []*unstructured.Unstructured, app string) {
	for _, u := range objs {
		l := u.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l[rollout.LabelDeploy] = app
		u.SetLabels(l)
	}
}

func refsOf(objs []*unstructured.Unstructured) []rollout.Ref {
	var out []rollout.Ref
	for _, u := range objs {
		out = append(out, rollout.RefOf(u))
	}
	return out
}

// manifest is the objects as one YAML stream (the inventory keeps the live
// revision's so a failed deploy can apply it again).
func manifest(objs []*unstructured.Unstructured) ([]byte, error) {
	var b bytes.Buffer
	for i, u := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

func parseManifest(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
