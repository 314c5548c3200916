package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TaskRef names the Task a TaskRun runs: by name in the run's namespace, or
// through a resolver (Tekton's syntax): resolver "cluster" with params kind
// (task), name and namespace reads a Task of another namespace, such as the
// catalog's windlass-catalog; resolver "bundles" with params bundle (an image
// reference), name and kind pulls it from an OCI bundle.
//
// A pipeline task's taskRef {apiVersion: windlass.dev/v1alpha1, kind: Approval}
// (and nothing else) makes it an approval gate the PipelineRun controller runs
// itself; a TaskRun cannot run one.
// +kubebuilder:validation:XValidation:rule="(has(self.kind) && self.kind == 'Approval') || has(self.name) != has(self.resolver)",message="exactly one of name or resolver must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.params) || has(self.resolver)",message="params are only for a resolver"
// +kubebuilder:validation:XValidation:rule="has(self.apiVersion) == (has(self.kind) && self.kind == 'Approval')",message="apiVersion windlass.dev/v1alpha1 goes with kind Approval, and only with it"
// +kubebuilder:validation:XValidation:rule="!has(self.kind) || self.kind != 'Approval' || (!has(self.name) && !has(self.resolver))",message="an Approval taskRef takes only apiVersion and kind"
type TaskRef struct {
	// apiVersion of a custom task: windlass.dev/v1alpha1, with kind Approval.
	// +kubebuilder:validation:Enum=windlass.dev/v1alpha1
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// name of the Task in the run's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// kind of the referenced object: Task, or Approval (an approval gate,
	// with apiVersion windlass.dev/v1alpha1).
	// +kubebuilder:validation:Enum=Task;Approval
	// +optional
	Kind string `json:"kind,omitempty"`
	// resolver fetches the Task from elsewhere: "cluster" (a Task of another
	// namespace the controller is allowed to serve from), "bundles" (an OCI
	// bundle, Tekton's contract), "git" (a file of a repository at a
	// revision) or "http" (a file served over HTTP(S)).
	// +kubebuilder:validation:Enum=cluster;bundles;git;http
	// +optional
	Resolver string `json:"resolver,omitempty"`
	// params of the resolver; cluster: kind (task), name, namespace;
	// bundles: bundle, name, kind (task); git: url, revision, pathInRepo;
	// http: url.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Params []Param `json:"params,omitempty"`
}

// RefSource is where a resolved Task came from (in-toto's ResourceDescriptor
// shape, as Tekton records it).
type RefSource struct {
	// uri of the source, e.g. /apis/windlass.dev/v1alpha1/namespaces/NS/tasks/NAME@UID.
	URI string `json:"uri"`
	// digest of the resolved spec, e.g. sha256 (sha1: a git commit).
	// +optional
	Digest map[string]string `json:"digest,omitempty"`
	// entryPoint is the file within the source (the git resolver's pathInRepo).
	// +optional
	EntryPoint string `json:"entryPoint,omitempty"`
}

// Provenance records where the run's Task spec came from.
type Provenance struct {
	// refSource is the resolved reference's source.
	// +optional
	RefSource *RefSource `json:"refSource,omitempty"`
}

// WorkspaceBinding provides the volume for a declared workspace: exactly one source.
// +kubebuilder:validation:XValidation:rule="[has(self.emptyDir), has(self.persistentVolumeClaim), has(self.volumeClaimTemplate), has(self.configMap), has(self.secret), has(self.projected), has(self.csi)].filter(x, x).size() == 1",message="exactly one of emptyDir, persistentVolumeClaim, volumeClaimTemplate, configMap, secret, projected or csi must be set"
type WorkspaceBinding struct {
	// name of the declared workspace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// subPath mounts only this directory of the volume.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && self != '..' && !self.startsWith('../') && !self.endsWith('/..') && !self.contains('/../')",message="subPath must be relative and must not contain '..'"
	// +optional
	SubPath string `json:"subPath,omitempty"`
	// emptyDir: a scratch volume that lives as long as the pod.
	// +optional
	EmptyDir *corev1.EmptyDirVolumeSource `json:"emptyDir,omitempty"`
	// persistentVolumeClaim: an existing claim.
	// +optional
	PersistentVolumeClaim *corev1.PersistentVolumeClaimVolumeSource `json:"persistentVolumeClaim,omitempty"`
	// volumeClaimTemplate: a claim created for the run and owned by it.
	// +optional
	VolumeClaimTemplate *corev1.PersistentVolumeClaim `json:"volumeClaimTemplate,omitempty"`
	// configMap: a ConfigMap's keys as files.
	// +optional
	ConfigMap *corev1.ConfigMapVolumeSource `json:"configMap,omitempty"`
	// secret: a Secret's keys as files.
	// +optional
	Secret *corev1.SecretVolumeSource `json:"secret,omitempty"`
	// projected: several sources (Secrets, ConfigMaps, the downward API, a
	// service account token) in one directory; mounted read-only.
	// +optional
	Projected *corev1.ProjectedVolumeSource `json:"projected,omitempty"`
	// csi: a volume from a CSI driver (secrets stores, ephemeral storage);
	// read-only when the source says readOnly.
	// +optional
	CSI *corev1.CSIVolumeSource `json:"csi,omitempty"`
}

// PodTemplate customises the pod a run gets.
type PodTemplate struct {
	// nodeSelector constrains the nodes the pod may run on.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// tolerations of the pod.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// affinity of the pod.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// securityContext of the pod.
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`
	// imagePullSecrets for the steps' images.
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	// runtimeClassName of the pod.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	RuntimeClassName *string `json:"runtimeClassName,omitempty"`
	// priorityClassName of the pod.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PriorityClassName *string `json:"priorityClassName,omitempty"`
	// hostAliases added to the pod's /etc/hosts.
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	// +optional
	HostAliases []corev1.HostAlias `json:"hostAliases,omitempty"`
	// env added to every step and sidecar (their own variables win).
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// volumes added to the pod, which steps and sidecars mount by name (as
	// the Task's own volumes).
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Volumes []corev1.Volume `json:"volumes,omitempty"`
}

// TaskRunSpecStatus is the one mutable field of a TaskRun spec.
// +kubebuilder:validation:Enum=TaskRunCancelled
type TaskRunSpecStatus string

// TaskRunSpecStatusCancelled asks the controller to cancel the run.
const TaskRunSpecStatusCancelled TaskRunSpecStatus = "TaskRunCancelled"

// TaskRunSpec is what to run and with what.
// +kubebuilder:validation:XValidation:rule="has(self.taskRef) != has(self.taskSpec)",message="exactly one of taskRef or taskSpec must be set"
// +kubebuilder:validation:XValidation:rule="has(self.taskRef) == has(oldSelf.taskRef) && (!has(self.taskRef) || self.taskRef == oldSelf.taskRef) && has(self.taskSpec) == has(oldSelf.taskSpec) && (!has(self.taskSpec) || self.taskSpec == oldSelf.taskSpec)",message="taskRef and taskSpec are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.params) == has(oldSelf.params) && (!has(self.params) || self.params == oldSelf.params) && has(self.workspaces) == has(oldSelf.workspaces) && (!has(self.workspaces) || self.workspaces == oldSelf.workspaces)",message="params and workspaces are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.serviceAccountName) == has(oldSelf.serviceAccountName) && (!has(self.serviceAccountName) || self.serviceAccountName == oldSelf.serviceAccountName) && has(self.podTemplate) == has(oldSelf.podTemplate) && (!has(self.podTemplate) || self.podTemplate == oldSelf.podTemplate) && has(self.timeout) == has(oldSelf.timeout) && (!has(self.timeout) || self.timeout == oldSelf.timeout)",message="serviceAccountName, podTemplate and timeout are immutable"
type TaskRunSpec struct {
	// taskRef names the Task to run (or use taskSpec).
	// +optional
	TaskRef *TaskRef `json:"taskRef,omitempty"`
	// taskSpec embeds the Task to run (or use taskRef).
	// +kubebuilder:validation:XValidation:rule="!has(self.metadata)",message="metadata is only for a taskSpec embedded in a pipeline task: label the TaskRun itself"
	// +optional
	TaskSpec *TaskSpec `json:"taskSpec,omitempty"`
	// params bind values to the Task's params.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []Param `json:"params,omitempty"`
	// workspaces bind volumes to the Task's workspaces.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Workspaces []WorkspaceBinding `json:"workspaces,omitempty"`
	// serviceAccountName runs the pod; its annotated Secrets give the steps credentials.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// podTemplate customises the run's pod.
	// +optional
	PodTemplate *PodTemplate `json:"podTemplate,omitempty"`
	// timeout of the whole run; default 1h (the controller's --default-timeout), 0 means none.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// status: set to TaskRunCancelled to cancel the run. The only mutable field.
	// +optional
	Status TaskRunSpecStatus `json:"status,omitempty"`
	// statusMessage says why the run was cancelled.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	StatusMessage string `json:"statusMessage,omitempty"`
}

// StepState is what happened to one step.
type StepState struct {
	// name of the step.
	// +required
	Name string `json:"name"`
	// container running the step.
	// +required
	Container string `json:"container"`
	// imageID is the digest the step ran.
	// +optional
	ImageID string `json:"imageID,omitempty"`
	// running is set while the step runs.
	// +optional
	Running *corev1.ContainerStateRunning `json:"running,omitempty"`
	// waiting is set before the step's container starts.
	// +optional
	Waiting *corev1.ContainerStateWaiting `json:"waiting,omitempty"`
	// terminated holds the exit code, reason (Completed, Error, Skipped,
	// TimeoutExceeded, Cancelled) and start and finish times.
	// +optional
	Terminated *corev1.ContainerStateTerminated `json:"terminated,omitempty"`
}

// SidecarState is what happened to one sidecar.
type SidecarState struct {
	// name of the sidecar.
	// +required
	Name string `json:"name"`
	// container running the sidecar.
	// +required
	Container string `json:"container"`
	// ready reports the sidecar's readiness.
	// +optional
	Ready bool `json:"ready,omitempty"`
	// running, waiting or terminated: the container's state.
	// +optional
	Running *corev1.ContainerStateRunning `json:"running,omitempty"`
	// +optional
	Waiting *corev1.ContainerStateWaiting `json:"waiting,omitempty"`
	// +optional
	Terminated *corev1.ContainerStateTerminated `json:"terminated,omitempty"`
}

// TaskRunResult is a result the run produced.
type TaskRunResult struct {
	// name of the declared result.
	// +required
	Name string `json:"name"`
	// type of the value.
	// +optional
	Type ParamType `json:"type,omitempty"`
	// value of the result.
	// +required
	Value ParamValue `json:"value"`
}

// TaskRunStatus is the observed state of a TaskRun.
type TaskRunStatus struct {
	// conditions hold Succeeded: Unknown while pending or running, then True or False.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// podName is the run's pod.
	// +optional
	PodName string `json:"podName,omitempty"`
	// startTime is when the controller first acted on the run.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// completionTime is when the run finished.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// steps in order, with their states.
	// +listType=atomic
	// +optional
	Steps []StepState `json:"steps,omitempty"`
	// sidecars with their states.
	// +listType=atomic
	// +optional
	Sidecars []SidecarState `json:"sidecars,omitempty"`
	// results the steps wrote.
	// +listType=atomic
	// +optional
	Results []TaskRunResult `json:"results,omitempty"`
	// taskSpec is the Task as resolved when the run started. Only the
	// controller writes it: its schema is left out of the CRD, so the API
	// server does not re-validate a whole Task on every status write.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	// +optional
	TaskSpec *TaskSpec `json:"taskSpec,omitempty"`
	// provenance says where taskSpec came from when a resolver fetched it.
	// +optional
	Provenance *Provenance `json:"provenance,omitempty"`
}

// TaskRun runs a Task once, in one pod.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tr,categories=windlass
// +kubebuilder:printcolumn:name="Succeeded",type=string,JSONPath=`.status.conditions[?(@.type=="Succeeded")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Succeeded")].reason`
// +kubebuilder:printcolumn:name="StartTime",type=date,JSONPath=`.status.startTime`
// +kubebuilder:printcolumn:name="CompletionTime",type=date,JSONPath=`.status.completionTime`
type TaskRun struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// spec is what to run.
	// +required
	Spec TaskRunSpec `json:"spec"`
	// status is what happened.
	// +optional
	Status TaskRunStatus `json:"status,omitempty"`
}

// TaskRunList is a list of TaskRuns.
// +kubebuilder:object:root=true
type TaskRunList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskRun `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &TaskRun{}, &TaskRunList{})
}

// LabelAttempt is the label on a TaskRun that a PipelineRun made: which
// attempt of its task it is, 0 for the first, N for the Nth retry. It is what
// $(context.task.retry-count) resolves to.
const LabelAttempt = "windlass.dev/attempt"
