package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ParamSpec declares a param of a TriggerTemplate.
type ParamSpec struct {
	// name of the param, referenced as $(tt.params.<name>).
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// description of the param.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// default value when no binding supplies the param; without one, the param is required.
	// +kubebuilder:validation:MaxLength=8192
	// +optional
	Default *string `json:"default,omitempty"`
}

// TriggerResourceTemplate is one object to create: a full Kubernetes object
// (apiVersion, kind, metadata, spec) whose strings may hold $(tt.params.x) and $(uid).
// +kubebuilder:pruning:PreserveUnknownFields
// +kubebuilder:validation:Type=object
type TriggerResourceTemplate struct {
	runtime.RawExtension `json:",inline"`
}

// TriggerTemplateSpec declares params and the objects they render into.
type TriggerTemplateSpec struct {
	// params the template takes.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []ParamSpec `json:"params,omitempty"`
	// resourcetemplates are the objects to create, usually one PipelineRun. Each names
	// itself with metadata.generateName (or a name); the listener appends a suffix
	// derived from the event, so one event always makes the same names.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +required
	ResourceTemplates []TriggerResourceTemplate `json:"resourcetemplates"`
}

// TriggerTemplate renders the objects a trigger creates.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories={windlass,triggers},shortName=tt
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TriggerTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec TriggerTemplateSpec `json:"spec"`
}

// TriggerTemplateList is a list of TriggerTemplates.
// +kubebuilder:object:root=true
type TriggerTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TriggerTemplate `json:"items"`
}

func init() { knownTypes = append(knownTypes, &TriggerTemplate{}, &TriggerTemplateList{}) }
