package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ServiceReference names the Service an interceptor runs behind.
type ServiceReference struct {
	// name of the Service.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// namespace of the Service.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Namespace string `json:"namespace"`
	// path of the interceptor's endpoint.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Path string `json:"path,omitempty"`
	// port of the Service (default 80).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port *int32 `json:"port,omitempty"`
}

// ClientConfig says how to reach an interceptor.
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.service)",message="clientConfig sets exactly one of url or service"
type ClientConfig struct {
	// url of the interceptor (http or https).
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	URL *string `json:"url,omitempty"`
	// service the interceptor runs behind.
	// +optional
	Service *ServiceReference `json:"service,omitempty"`
}

// ClusterInterceptorSpec says where an external interceptor is.
type ClusterInterceptorSpec struct {
	// clientConfig: how to reach the interceptor.
	// +required
	ClientConfig ClientConfig `json:"clientConfig"`
}

// ClusterInterceptor is an external interceptor speaking the Tekton Triggers
// interceptor HTTP contract, referred to by name from triggers' interceptors.
// The names github, gitlab, bitbucket and cel are built into the listener.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories={windlass,triggers},shortName=ci
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterInterceptor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ClusterInterceptorSpec `json:"spec"`
}

// ClusterInterceptorList is a list of ClusterInterceptors.
// +kubebuilder:object:root=true
type ClusterInterceptorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterInterceptor `json:"items"`
}

func init() { knownTypes = append(knownTypes, &ClusterInterceptor{}, &ClusterInterceptorList{}) }
