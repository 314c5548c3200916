package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Param is one template param a binding supplies.
type Param struct {
	// name of the template param.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// value: text with $(body.a.b), $(body.list[0]), $(header.X-Name) or $(extensions.x)
	// references, e.g. "$(body.repository.clone_url)". A path missing from the event is an error.
	// +kubebuilder:validation:MaxLength=8192
	// +required
	Value string `json:"value"`
}

// TriggerBindingSpec lists the params a binding supplies.
type TriggerBindingSpec struct {
	// params supplied to the template.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []Param `json:"params,omitempty"`
}

// TriggerBinding picks template params out of an event.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories={windlass,triggers},shortName=tb
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TriggerBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec TriggerBindingSpec `json:"spec,omitempty"`
}

// TriggerBindingList is a list of TriggerBindings.
// +kubebuilder:object:root=true
type TriggerBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TriggerBinding `json:"items"`
}

// ClusterTriggerBinding is a TriggerBinding every namespace's listeners can use.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories={windlass,triggers},shortName=ctb
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterTriggerBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec TriggerBindingSpec `json:"spec,omitempty"`
}

// ClusterTriggerBindingList is a list of ClusterTriggerBindings.
// +kubebuilder:object:root=true
type ClusterTriggerBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterTriggerBinding `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &TriggerBinding{}, &TriggerBindingList{},
		&ClusterTriggerBinding{}, &ClusterTriggerBindingList{})
}
