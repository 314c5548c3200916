// Package v1alpha1 holds the triggers.windlass.dev/v1alpha1 API: EventListener,
// Trigger, TriggerBinding, ClusterTriggerBinding, TriggerTemplate and
// ClusterInterceptor. Field names follow Tekton Triggers v1beta1.
// +kubebuilder:object:generate=true
// +groupName=triggers.windlass.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "triggers.windlass.dev", Version: "v1alpha1"}

	// SchemeBuilder registers this package's types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this package's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// knownTypes lists the kinds of this group/version; each type file appends to it.
var knownTypes []runtime.Object

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, knownTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
