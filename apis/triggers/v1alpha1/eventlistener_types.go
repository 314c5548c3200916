package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EventListenerTrigger is one trigger of a listener: inline (interceptors,
// bindings, template) or a reference to a Trigger in the listener's namespace.
// +kubebuilder:validation:XValidation:rule="has(self.triggerRef) != has(self.template)",message="a trigger sets exactly one of triggerRef or template"
// +kubebuilder:validation:XValidation:rule="!has(self.triggerRef) || (!has(self.bindings) && !has(self.interceptors))",message="a trigger with triggerRef takes its bindings and interceptors from the Trigger"
type EventListenerTrigger struct {
	// name of the trigger, unique in the listener; it names the trigger in answers and metrics.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// triggerRef names a Trigger in the listener's namespace.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	TriggerRef string `json:"triggerRef,omitempty"`
	// interceptors run in order before the bindings.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Interceptors []*TriggerInterceptor `json:"interceptors,omitempty"`
	// bindings supply the template's params.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Bindings []*TriggerSpecBinding `json:"bindings,omitempty"`
	// template renders the objects to create.
	// +optional
	Template *TriggerSpecTemplate `json:"template,omitempty"`
	// serviceAccountName is accepted for compatibility; the listener's service account creates every object.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
}

// NamespaceSelector chooses the namespaces whose Triggers a listener serves.
type NamespaceSelector struct {
	// matchNames lists the namespaces; "*" means every namespace.
	// +kubebuilder:validation:MaxItems=64
	// +listType=set
	// +optional
	MatchNames []string `json:"matchNames,omitempty"`
}

// ListenerContainer customises the listener's container.
type ListenerContainer struct {
	// resources of the listener's container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// env added to the listener's container.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// ListenerPodSpec is the part of the listener's pod a user may set.
type ListenerPodSpec struct {
	// nodeSelector constrains the nodes the listener runs on.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// tolerations of the listener's pods.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// priorityClassName of the listener's pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// containers holds at most one entry, applied to the listener's container.
	// +kubebuilder:validation:MaxItems=1
	// +listType=atomic
	// +optional
	Containers []ListenerContainer `json:"containers,omitempty"`
}

// ListenerPodTemplate is the listener's pod template.
type ListenerPodTemplate struct {
	// metadata: labels and annotations added to the listener's pods.
	// +optional
	Metadata ListenerPodMetadata `json:"metadata,omitempty"`
	// spec of the listener's pods.
	// +optional
	Spec ListenerPodSpec `json:"spec,omitempty"`
}

// ListenerPodMetadata holds labels and annotations for the listener's pods.
type ListenerPodMetadata struct {
	// labels added to the pods.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// annotations added to the pods.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// WithPodTemplate wraps the pod template as Tekton Triggers does.
type WithPodTemplate struct {
	// template of the listener's pods.
	// +optional
	Template ListenerPodTemplate `json:"template,omitempty"`
}

// KubernetesResource shapes the listener's Deployment and Service.
type KubernetesResource struct {
	// replicas of the listener (default 1).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// serviceType of the listener's Service (default ClusterIP).
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +optional
	ServiceType corev1.ServiceType `json:"serviceType,omitempty"`
	// servicePort of the listener's Service (default 8080).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	ServicePort *int32 `json:"servicePort,omitempty"`
	// spec customises the listener's pods.
	// +optional
	Spec *WithPodTemplate `json:"spec,omitempty"`
}

// Resources shapes what runs the listener.
type Resources struct {
	// kubernetesResource: the listener's Deployment and Service.
	// +optional
	KubernetesResource *KubernetesResource `json:"kubernetesResource,omitempty"`
}

// EventListenerSpec is what a listener serves.
// +kubebuilder:validation:XValidation:rule="!has(self.triggers) || self.triggers.all(t, !has(t.name) || self.triggers.exists_one(u, has(u.name) && u.name == t.name))",message="trigger names must be unique"
type EventListenerSpec struct {
	// serviceAccountName runs the listener; its permissions decide what the
	// listener may read and create. Without it, the listener runs as a dedicated
	// account el-<name> that the controller creates and grants exactly what the
	// triggers need; a named account is granted the same and must exist.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// triggers served by the listener.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Triggers []EventListenerTrigger `json:"triggers,omitempty"`
	// namespaceSelector: the listener also serves the Triggers of these namespaces
	// (selected by labelSelector, or all of them without one).
	// +optional
	NamespaceSelector NamespaceSelector `json:"namespaceSelector,omitempty"`
	// labelSelector: the listener also serves the Triggers with these labels in its
	// namespace (and in namespaceSelector's).
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
	// resources shape the listener's Deployment and Service.
	// +optional
	Resources Resources `json:"resources,omitempty"`
	// maxBodyBytes bounds a request's body; a larger one is answered 413 (default 1 MiB).
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=67108864
	// +optional
	MaxBodyBytes *int64 `json:"maxBodyBytes,omitempty"`
}

// Addressable is where a listener is reached.
type Addressable struct {
	// url of the listener inside the cluster, e.g. http://el-github.ci.svc.cluster.local:8080.
	// +optional
	URL string `json:"url,omitempty"`
}

// EventListenerConfig names what the controller generated.
type EventListenerConfig struct {
	// generatedName of the Deployment and Service: el-<name>.
	// +optional
	GeneratedResourceName string `json:"generatedName,omitempty"`
}

// ConditionReady says whether a listener answers events.
const ConditionReady = "Ready"

// Reasons of the Ready condition.
const (
	ReasonReady           = "Ready"           // True: the listener's Deployment is available
	ReasonDeploying       = "Deploying"       // False: waiting for the Deployment's pods
	ReasonInvalidTriggers = "InvalidTriggers" // False: a trigger refers to something missing or malformed
	ReasonDeployFailed    = "DeployFailed"    // False: the Deployment cannot progress
	// ReasonServiceAccountNotFound: False, spec.serviceAccountName names a missing account.
	ReasonServiceAccountNotFound = "ServiceAccountNotFound"
)

// EventListenerStatus reports a listener's address and readiness.
type EventListenerStatus struct {
	// conditions hold Ready.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// address of the listener.
	// +optional
	Address *Addressable `json:"address,omitempty"`
	// configuration names the generated objects.
	// +optional
	Configuration EventListenerConfig `json:"configuration,omitempty"`
}

// EventListener receives webhooks and creates objects (usually PipelineRuns) from them.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories={windlass,triggers},shortName=el
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=`.status.address.url`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type EventListener struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec EventListenerSpec `json:"spec,omitempty"`
	// +optional
	Status EventListenerStatus `json:"status,omitempty"`
}

// EventListenerList is a list of EventListeners.
// +kubebuilder:object:root=true
type EventListenerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EventListener `json:"items"`
}

func init() { knownTypes = append(knownTypes, &EventListener{}, &EventListenerList{}) }
