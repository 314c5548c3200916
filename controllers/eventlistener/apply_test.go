package eventlistener

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/listener"
)

// TestApplyObjectSendsOnlyWhatIsSet: an apply claims every field it sends, so
// typed zero values must not travel, while explicit falses and zeros must.
func TestApplyObjectSendsOnlyWhatIsSet(t *testing.T) {
	el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "gh", Namespace: "ci", UID: types.UID("u")}}
	zero := int32(0)
	el.Spec.Resources.KubernetesResource = &triggersv1.KubernetesResource{Replicas: &zero}
	u, err := applyObject(listener.Deployment(el, listener.Config{Image: "img"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range [][]string{
		{"status"}, {"metadata", "creationTimestamp"}, {"spec", "strategy"}, {"spec", "template", "metadata", "creationTimestamp"},
	} {
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, path...); found {
			t.Errorf("apply sends %v", path)
		}
	}
	if v, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); !found || v != 0 {
		t.Errorf("spec.replicas = %v (found %v), want an explicit 0", v, found)
	}
	if v, found, _ := unstructured.NestedBool(u.Object, "spec", "template", "spec", "enableServiceLinks"); !found || v {
		t.Errorf("enableServiceLinks = %v (found %v), want an explicit false", v, found)
	}
	if u.GetKind() != "Deployment" || u.GetAPIVersion() != "apps/v1" {
		t.Errorf("apply sends %s %s, want apps/v1 Deployment", u.GetAPIVersion(), u.GetKind())
	}
}
