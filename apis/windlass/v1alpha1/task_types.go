package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OnErrorType says what a failing step does to the rest of the Task: a
// policy, or a $(params...) reference that must resolve to one (checked when
// the run starts).
// +kubebuilder:validation:Pattern=`^(continue|stopAndFail|\$\(\s*(inputs\.)?params[.\[][^()]*\))$`
type OnErrorType string

// The onError policies.
const (
	// OnErrorStopAndFail stops the Task at the failing step and fails it (the default).
	OnErrorStopAndFail OnErrorType = "stopAndFail"
	// OnErrorContinue records the step's exit code and goes on with the next step.
	OnErrorContinue OnErrorType = "continue"
)

// Step is one container of a Task, run after the step before it has finished.
// A step with ref runs a StepAction, which sets its container: beside ref
// only name, params, the run's controls (timeout, onError, workspaces,
// stdoutConfig, stderrConfig, computeResources, securityContext, envFrom,
// imagePullPolicy) may be set.
// +kubebuilder:validation:XValidation:rule="!(has(self.script) && has(self.command))",message="script cannot be used together with command"
// +kubebuilder:validation:XValidation:rule="!has(self.params) || has(self.ref)",message="params are only allowed with ref (they are a StepAction's params)",fieldPath=".params"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.image)",message="image cannot be used with ref: the StepAction sets it",fieldPath=".image"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.command)",message="command cannot be used with ref: the StepAction sets it",fieldPath=".command"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.args)",message="args cannot be used with ref: the StepAction sets it",fieldPath=".args"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.script)",message="script cannot be used with ref: the StepAction sets it",fieldPath=".script"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.workingDir)",message="workingDir cannot be used with ref: the StepAction sets it",fieldPath=".workingDir"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.env)",message="env cannot be used with ref: the StepAction sets it",fieldPath=".env"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.volumeMounts)",message="volumeMounts cannot be used with ref: the StepAction sets it",fieldPath=".volumeMounts"
// +kubebuilder:validation:XValidation:rule="!has(self.ref) || !has(self.results)",message="results cannot be used with ref: the StepAction sets it",fieldPath=".results"
type Step struct {
	// name of the step; its container is named step-<name>.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=58
	// +optional
	Name string `json:"name,omitempty"`
	// displayName is a name for people (shown, not used).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	DisplayName string `json:"displayName,omitempty"`
	// image runs the step. Required unless stepTemplate sets it.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Image string `json:"image,omitempty"`
	// command is the entrypoint; the image's own when empty.
	// +kubebuilder:validation:MaxItems=1024
	// +listType=atomic
	// +optional
	Command []string `json:"command,omitempty"`
	// args are the arguments of the entrypoint.
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
	// envFrom imports environment variables from ConfigMaps and Secrets.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
	// workingDir is the step's working directory.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`
	// computeResources are the step container's requests and limits.
	// +optional
	ComputeResources corev1.ResourceRequirements `json:"computeResources,omitempty"`
	// securityContext of the step container.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	// volumeMounts mount the Task's volumes into the step.
	// +kubebuilder:validation:MaxItems=128
	// +listType=atomic
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	// imagePullPolicy of the step's image.
	// +kubebuilder:validation:Enum=Always;Never;IfNotPresent
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// onError: stopAndFail (default) or continue past a failure of this step;
	// or $(params.X) naming a param whose value is one of them.
	// +optional
	OnError OnErrorType `json:"onError,omitempty"`
	// timeout bounds this step; it fails with StepTimedOut when exceeded.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// stdoutConfig copies the step's standard output, as written (Secret
	// values unmasked), to a file as well as the log: e.g. a result's
	// $(results.NAME.path) or a file in a workspace.
	// +optional
	StdoutConfig *StepOutputConfig `json:"stdoutConfig,omitempty"`
	// stderrConfig does the same with the step's standard error.
	// +optional
	StderrConfig *StepOutputConfig `json:"stderrConfig,omitempty"`
	// workspaces this step uses: a workspace that any step or sidecar lists
	// is mounted only in those (Tekton's isolated workspaces); the others in all.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Workspaces []WorkspaceUsage `json:"workspaces,omitempty"`
	// ref runs the StepAction it names (in the run's namespace) as this step.
	// +optional
	Ref *StepRef `json:"ref,omitempty"`
	// params are the values of the referenced StepAction's params; they may
	// use the Task's $(params...) and earlier steps' $(steps.<s>.results.<r>).
	// +kubebuilder:validation:MaxItems=128
	// +listType=map
	// +listMapKey=name
	// +optional
	Params []Param `json:"params,omitempty"`
	// results this step produces (a StepAction declares its own): the step
	// writes $(step.results.<name>.path); later steps read them as
	// $(steps.<step>.results.<name>) in command, args or env.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Results []StepResult `json:"results,omitempty"`
}

// WorkspaceUsage is a step's or sidecar's use of one of the Task's workspaces.
type WorkspaceUsage struct {
	// name of a workspace the Task declares.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// mountPath in this container, instead of the workspace's own.
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="mountPath must be an absolute path"
	// +optional
	MountPath string `json:"mountPath,omitempty"`
}

// StepOutputConfig names the file a step's output stream is copied to.
type StepOutputConfig struct {
	// path of the file, absolute, or a $(results...) or $(workspaces...)
	// reference; its directory is created. The file is truncated first.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') || self.startsWith('$(')",message="path must be absolute or a $(...) reference"
	// +optional
	Path string `json:"path,omitempty"`
}

// StepTemplate holds defaults for every step: a step's own fields win.
type StepTemplate struct {
	// image of steps that set none.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Image string `json:"image,omitempty"`
	// command of steps that set neither command nor script.
	// +kubebuilder:validation:MaxItems=1024
	// +listType=atomic
	// +optional
	Command []string `json:"command,omitempty"`
	// args of steps that set none.
	// +kubebuilder:validation:MaxItems=4096
	// +listType=atomic
	// +optional
	Args []string `json:"args,omitempty"`
	// env merged into each step's env (the step's variable wins on a name clash).
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// envFrom prepended to each step's envFrom.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
	// workingDir of steps that set none.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`
	// computeResources of steps that set none.
	// +optional
	ComputeResources corev1.ResourceRequirements `json:"computeResources,omitempty"`
	// securityContext of steps that set none.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	// volumeMounts added to each step.
	// +kubebuilder:validation:MaxItems=128
	// +listType=atomic
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	// imagePullPolicy of steps that set none.
	// +kubebuilder:validation:Enum=Always;Never;IfNotPresent
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
}

// Sidecar is a container that runs beside the steps, started before them and
// stopped after them (a Kubernetes native sidecar).
// +kubebuilder:validation:XValidation:rule="!(has(self.script) && has(self.command))",message="script cannot be used together with command"
type Sidecar struct {
	// name of the sidecar; its container is named sidecar-<name>
	// (sidecar-unnamed-<index> without one).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=55
	// +optional
	Name string `json:"name,omitempty"`
	// image of the sidecar.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Image string `json:"image"`
	// command is the entrypoint; the image's own when empty.
	// +kubebuilder:validation:MaxItems=1024
	// +listType=atomic
	// +optional
	Command []string `json:"command,omitempty"`
	// args of the entrypoint.
	// +kubebuilder:validation:MaxItems=4096
	// +listType=atomic
	// +optional
	Args []string `json:"args,omitempty"`
	// script is run instead of command.
	// +kubebuilder:validation:MaxLength=262144
	// +optional
	Script string `json:"script,omitempty"`
	// env of the sidecar.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// envFrom of the sidecar.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
	// workingDir of the sidecar.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`
	// computeResources of the sidecar container.
	// +optional
	ComputeResources corev1.ResourceRequirements `json:"computeResources,omitempty"`
	// securityContext of the sidecar container.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
	// volumeMounts of the sidecar.
	// +kubebuilder:validation:MaxItems=128
	// +listType=atomic
	// +optional
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	// ports the sidecar listens on.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	Ports []corev1.ContainerPort `json:"ports,omitempty"`
	// readinessProbe gates the steps: they start once the sidecar is ready.
	// +optional
	ReadinessProbe *corev1.Probe `json:"readinessProbe,omitempty"`
	// startupProbe of the sidecar.
	// +optional
	StartupProbe *corev1.Probe `json:"startupProbe,omitempty"`
	// imagePullPolicy of the sidecar's image.
	// +kubebuilder:validation:Enum=Always;Never;IfNotPresent
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// workspaces this sidecar uses (see Step.workspaces).
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Workspaces []WorkspaceUsage `json:"workspaces,omitempty"`
}

// WorkspaceDeclaration declares a volume the Task expects its run to provide.
type WorkspaceDeclaration struct {
	// name of the workspace, referenced as $(workspaces.<name>.path).
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_-]*$`
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// description of what the workspace holds.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// mountPath in every step; default /workspace/<name>.
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="mountPath must be an absolute path"
	// +optional
	MountPath string `json:"mountPath,omitempty"`
	// readOnly mounts the workspace read-only.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`
	// optional workspaces may be left unbound by a run; $(workspaces.<name>.bound) tells.
	// +optional
	Optional bool `json:"optional,omitempty"`
}

// TaskResult declares a value a Task produces.
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || self.type == 'object'",message="properties are only allowed for type object"
type TaskResult struct {
	// name of the result; a step writes it to $(results.<name>.path).
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// type of the result: string (default), array or object (JSON-checked).
	// +optional
	Type ParamType `json:"type,omitempty"`
	// properties declares the keys of an object result.
	// +optional
	Properties map[string]PropertySpec `json:"properties,omitempty"`
	// description of the result.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// value sets the result from a step's result: $(steps.<step>.results.<name>).
	// +optional
	Value *ParamValue `json:"value,omitempty"`
}

// TaskSpec is what a Task does: its params, workspaces, results and steps.
// +kubebuilder:validation:XValidation:rule="self.steps.all(s, has(s.image) || has(s.ref)) || (has(self.stepTemplate) && has(self.stepTemplate.image))",message="every step needs an image unless stepTemplate.image is set",fieldPath=".steps"
// +kubebuilder:validation:XValidation:rule="self.steps.all(s, !has(s.name) || self.steps.exists_one(t, has(t.name) && t.name == s.name))",message="step names must be unique",fieldPath=".steps"
type TaskSpec struct {
	// metadata holds labels and annotations added to the TaskRun and pod of a
	// task spec embedded in a pipeline task (only there).
	// +optional
	Metadata *PipelineTaskMetadata `json:"metadata,omitempty"`
	// description of the Task.
	// +kubebuilder:validation:MaxLength=8192
	// +optional
	Description string `json:"description,omitempty"`
	// displayName is a name for people (shown, not used).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	DisplayName string `json:"displayName,omitempty"`
	// params the Task accepts.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []ParamSpec `json:"params,omitempty"`
	// results the Task produces.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Results []TaskResult `json:"results,omitempty"`
	// workspaces the Task needs.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Workspaces []WorkspaceDeclaration `json:"workspaces,omitempty"`
	// steps run in order, each in its own container.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	// +required
	Steps []Step `json:"steps"`
	// stepTemplate holds defaults for every step.
	// +optional
	StepTemplate *StepTemplate `json:"stepTemplate,omitempty"`
	// sidecars run beside the steps.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(s, !has(s.name) || self.exists_one(t, has(t.name) && t.name == s.name))",message="sidecar names must be unique"
	// +optional
	Sidecars []Sidecar `json:"sidecars,omitempty"`
	// volumes the steps and sidecars may mount.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Volumes []corev1.Volume `json:"volumes,omitempty"`
}

// Task is a reusable list of steps; a TaskRun runs it.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=tk,categories=windlass
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Task struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// spec is the Task's definition.
	// +kubebuilder:validation:XValidation:rule="!has(self.metadata)",message="spec.metadata is only for a taskSpec embedded in a pipeline task: a Task has its own metadata"
	// +required
	Spec TaskSpec `json:"spec"`
}

// TaskList is a list of Tasks.
// +kubebuilder:object:root=true
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Task `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &Task{}, &TaskList{})
}
