package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StepRef names the StepAction a step runs (Tekton's step ref).
type StepRef struct {
	// name of a StepAction in the run's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`
}

// StepResult declares a value one step produces: the step writes it to
// $(step.results.<name>.path) and later steps read it as
// $(steps.<step>.results.<name>) in their command, args or env.
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || self.type == 'object'",message="properties are only allowed for type object"
type StepResult struct {
	// name of the result.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// type of the result: string (default), array or object (written as JSON).
	// +optional
	Type ParamType `json:"type,omitempty"`
	// properties declares the keys of an object result.
	// +optional
	Properties map[string]PropertySpec `json:"properties,omitempty"`
	// description of the result.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
}

// StepActionSpec is the container a step that references the StepAction
// runs: its $(params.X) are the StepAction's own params, given by the step.
// +kubebuilder:validation:XValidation:rule="!(has(self.script) && has(self.command))",message="script cannot be used together with command"
type StepActionSpec struct {
	// description of the StepAction.
	// +kubebuilder:validation:MaxLength=8192
	// +optional
	Description string `json:"description,omitempty"`
	// image runs the step.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Image string `json:"image"`
	// command is the entrypoint; the image's own when empty.
	// +kubebuilder:validation:MaxItems=1024
	// +listType=atomic
	// +optional
	Command []string `json:"command,omitempty"`
	// args are the arguments of the entrypoint (of the script with one).
	// +kubebuilder:validation:MaxItems=4096
	// +listType=atomic
	// +optional
	Args []string `json:"args,omitempty"`
	// script is run instead of command: a shebang line picks the interpreter, sh by default.
	// +kubebuilder:validation:MaxLength=262144
	// +optional
	Script string `json:"script,omitempty"`
	// env are environment variables of the step.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// workingDir is the step's working directory.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`
	// securityContext of the step container.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	// volumeMounts mount the Task's volumes into the step.
	// +kubebuilder:validation:MaxItems=128
	// +listType=atomic
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	// params the StepAction accepts from the step that references it.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []ParamSpec `json:"params,omitempty"`
	// results the step produces.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Results []StepResult `json:"results,omitempty"`
}

// StepAction is a reusable step: a Task's step runs it with ref: {name: ...}.
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=windlass
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type StepAction struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// spec is the StepAction's definition.
	// +required
	Spec StepActionSpec `json:"spec"`
}

// StepActionList is a list of StepActions.
// +kubebuilder:object:root=true
type StepActionList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StepAction `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &StepAction{}, &StepActionList{})
}
