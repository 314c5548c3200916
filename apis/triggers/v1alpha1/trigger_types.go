package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BindingKind is the kind of object a trigger's binding refers to.
// +kubebuilder:validation:Enum=TriggerBinding;ClusterTriggerBinding
type BindingKind string

// The kinds a binding may refer to.
const (
	NamespacedTriggerBindingKind BindingKind = "TriggerBinding"
	ClusterTriggerBindingKind    BindingKind = "ClusterTriggerBinding"
)

// TriggerSpecBinding supplies template params: either a reference to a
// TriggerBinding or ClusterTriggerBinding (ref), or one param inline (name and value).
// +kubebuilder:validation:XValidation:rule="has(self.ref) != has(self.value)",message="a binding sets exactly one of ref or value"
// +kubebuilder:validation:XValidation:rule="!has(self.value) || has(self.name)",message="an inline binding (value) needs a name"
// +kubebuilder:validation:XValidation:rule="!has(self.kind) || has(self.ref)",message="kind applies only to a binding with ref"
type TriggerSpecBinding struct {
	// name of the template param an inline value binds.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Name string `json:"name,omitempty"`
	// value of an inline binding: text with $(body.x), $(header.X), $(extensions.x) references,
	// e.g. "$(body.head_commit.id)".
	// +kubebuilder:validation:MaxLength=8192
	// +optional
	Value *string `json:"value,omitempty"`
	// ref names a TriggerBinding in the listener's namespace, or a ClusterTriggerBinding when kind says so.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Ref string `json:"ref,omitempty"`
	// kind of the referenced binding: TriggerBinding (default) or ClusterTriggerBinding.
	// +optional
	Kind BindingKind `json:"kind,omitempty"`
	// apiversion of the referenced binding; ignored (always triggers.windlass.dev/v1alpha1).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	APIVersion string `json:"apiversion,omitempty"`
}

// TriggerSpecTemplate is the template a trigger renders: a reference to a
// TriggerTemplate in the listener's namespace, or an inline spec.
// +kubebuilder:validation:XValidation:rule="has(self.ref) != has(self.spec)",message="a template sets exactly one of ref or spec"
type TriggerSpecTemplate struct {
	// ref names a TriggerTemplate in the listener's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Ref *string `json:"ref,omitempty"`
	// apiversion of the referenced template; ignored.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	APIVersion string `json:"apiversion,omitempty"`
	// spec is an inline TriggerTemplate.
	// +optional
	Spec *TriggerTemplateSpec `json:"spec,omitempty"`
}

// InterceptorKind is the kind of interceptor a ref names.
// +kubebuilder:validation:Enum=ClusterInterceptor
type InterceptorKind string

// ClusterInterceptorKind is the only interceptor kind.
const ClusterInterceptorKind InterceptorKind = "ClusterInterceptor"

// InterceptorRef names an interceptor. The built-in ones are github, gitlab,
// bitbucket and cel; any other name is a ClusterInterceptor.
type InterceptorRef struct {
	// name of the interceptor: github, gitlab, bitbucket, cel, or a ClusterInterceptor.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
	// kind of the interceptor; ClusterInterceptor (default) is the only one supported.
	// +optional
	Kind InterceptorKind `json:"kind,omitempty"`
	// apiVersion of the interceptor; ignored.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
}

// InterceptorParams is one named parameter of an interceptor; its value is any JSON.
type InterceptorParams struct {
	// name of the parameter, e.g. secretRef, eventTypes, filter, overlays.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// value of the parameter: a string, a list or an object.
	// +required
	Value apiextensionsv1.JSON `json:"value"`
}

// WebhookInterceptor sends the event to an external interceptor that speaks
// the Tekton Triggers interceptor HTTP contract.
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.objectRef)",message="a webhook interceptor sets exactly one of url or objectRef"
type WebhookInterceptor struct {
	// url of the interceptor, e.g. http://my-interceptor.ns.svc:8080/path.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	URL *string `json:"url,omitempty"`
	// objectRef names a Service (port 80) that serves the interceptor.
	// +optional
	ObjectRef *ServiceObjectReference `json:"objectRef,omitempty"`
	// header lists extra request headers sent to the interceptor.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Header []WebhookHeader `json:"header,omitempty"`
}

// ServiceObjectReference names a Service.
type ServiceObjectReference struct {
	// kind must be Service.
	// +kubebuilder:validation:Enum=Service
	// +optional
	Kind string `json:"kind,omitempty"`
	// apiVersion must be v1.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// name of the Service.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// namespace of the Service; the listener's by default.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// WebhookHeader is a header a webhook interceptor receives.
type WebhookHeader struct {
	// name of the header.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +required
	Name string `json:"name"`
	// value of the header.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Value string `json:"value,omitempty"`
}

// TriggerInterceptor processes an event before bindings see it: it verifies,
// filters, or adds fields under $(extensions...). Interceptors run in order;
// the first that does not let the event through ends the trigger.
// +kubebuilder:validation:XValidation:rule="has(self.ref) != has(self.webhook)",message="an interceptor sets exactly one of ref or webhook"
type TriggerInterceptor struct {
	// name of this interceptor in the chain, for messages.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name *string `json:"name,omitempty"`
	// ref names a built-in interceptor (github, gitlab, bitbucket, cel) or a ClusterInterceptor.
	// +optional
	Ref *InterceptorRef `json:"ref,omitempty"`
	// params of the interceptor.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Params []InterceptorParams `json:"params,omitempty"`
	// webhook sends the event to an external interceptor.
	// +optional
	Webhook *WebhookInterceptor `json:"webhook,omitempty"`
}

// TriggerSpec is what a trigger does with an event: interceptors check and
// enrich it, bindings pick params out of it, the template renders the objects to create.
type TriggerSpec struct {
	// name of the trigger; in an EventListener's inline list it names the trigger in answers and metrics.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// interceptors run in order before the bindings.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Interceptors []*TriggerInterceptor `json:"interceptors,omitempty"`
	// bindings supply the template's params.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Bindings []*TriggerSpecBinding `json:"bindings,omitempty"`
	// template renders the objects to create.
	// +required
	Template TriggerSpecTemplate `json:"template"`
	// serviceAccountName, when set, creates this trigger's objects instead of the listener's
	// service account (not supported: the listener's service account creates every object).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
}

// Trigger is a reusable trigger an EventListener refers to (triggerRef) or selects by label.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories={windlass,triggers},shortName=tri
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Trigger struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec TriggerSpec `json:"spec"`
}

// TriggerList is a list of Triggers.
// +kubebuilder:object:root=true
type TriggerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Trigger `json:"items"`
}

func init() { knownTypes = append(knownTypes, &Trigger{}, &TriggerList{}) }
