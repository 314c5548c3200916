package util

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Namespace creates a namespace named prefix + a random suffix for one test.
func Namespace(t *testing.T, c client.Client, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// Create makes obj from YAML as a user writes it, in namespace ns ("" for a
// cluster-scoped object).
func Create(t *testing.T, c client.Client, ns string, obj client.Object, manifest string) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("bad manifest: %v", err)
	}
	obj.SetNamespace(ns)
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}
