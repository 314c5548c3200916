package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PipelineRef names the Pipeline a PipelineRun runs.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.resolver)",message="exactly one of name or resolver must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.params) || has(self.resolver)",message="params are only for a resolver"
type PipelineRef struct {
	// name of the Pipeline in the run's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// kind of the referenced object; only Pipeline.
	// +kubebuilder:validation:Enum=Pipeline
	// +optional
	Kind string `json:"kind,omitempty"`
	// resolver fetches the Pipeline from elsewhere, as a taskRef's does:
	// cluster (kind pipeline, name, namespace), bundles (bundle, name, kind
	// pipeline), git (url, revision, pathInRepo) or http (url).
	// +kubebuilder:validation:Enum=cluster;bundles;git;http
	// +optional
	Resolver string `json:"resolver,omitempty"`
	// params of the resolver.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	Params []Param `json:"params,omitempty"`
}

// PipelineRunSpecStatus asks the controller to hold, cancel or stop a run.
// +kubebuilder:validation:Enum=Cancelled;CancelledRunFinally;StoppedRunFinally;PipelineRunPending
type PipelineRunSpecStatus string

// The values of spec.status.
const (
	// PipelineRunCancelled stops every running TaskRun and skips finally.
	PipelineRunCancelled PipelineRunSpecStatus = "Cancelled"
	// PipelineRunCancelledRunFinally stops every running TaskRun, then runs finally.
	PipelineRunCancelledRunFinally PipelineRunSpecStatus = "CancelledRunFinally"
	// PipelineRunStoppedRunFinally starts no new task, lets running ones end, then runs finally.
	PipelineRunStoppedRunFinally PipelineRunSpecStatus = "StoppedRunFinally"
	// PipelineRunPending holds the run: nothing is created until the field is cleared.
	PipelineRunPending PipelineRunSpecStatus = "PipelineRunPending"
)

// TimeoutFields bound a PipelineRun.
// +kubebuilder:validation:XValidation:rule="!has(self.pipeline) || duration(self.pipeline) == duration('0s') || !has(self.tasks) || duration(self.tasks) <= duration(self.pipeline)",message="timeouts.tasks must not exceed timeouts.pipeline"
// +kubebuilder:validation:XValidation:rule="!has(self.pipeline) || duration(self.pipeline) == duration('0s') || !has(self.finally) || duration(self.finally) <= duration(self.pipeline)",message="timeouts.finally must not exceed timeouts.pipeline"
// +kubebuilder:validation:XValidation:rule="!has(self.pipeline) || duration(self.pipeline) == duration('0s') || !has(self.tasks) || !has(self.finally) || duration(self.tasks) + duration(self.finally) <= duration(self.pipeline)",message="timeouts.tasks and timeouts.finally together must not exceed timeouts.pipeline"
type TimeoutFields struct {
	// pipeline bounds the whole run, finally included; default 1h (the
	// controller's --default-timeout), 0 means none.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Pipeline *metav1.Duration `json:"pipeline,omitempty"`
	// tasks bounds the tasks section; when it passes, running tasks are
	// stopped and finally runs.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Tasks *metav1.Duration `json:"tasks,omitempty"`
	// finally bounds the finally section, from when it starts.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Finally *metav1.Duration `json:"finally,omitempty"`
}

// PipelineTaskRunTemplate is how every TaskRun of the run is made.
type PipelineTaskRunTemplate struct {
	// serviceAccountName runs the pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// podTemplate customises the pods.
	// +optional
	PodTemplate *PodTemplate `json:"podTemplate,omitempty"`
}

// PipelineTaskRunSpec overrides the template for one pipeline task.
type PipelineTaskRunSpec struct {
	// pipelineTaskName is the task (in tasks or finally) this applies to.
	// +kubebuilder:validation:MaxLength=63
	// +required
	PipelineTaskName string `json:"pipelineTaskName"`
	// serviceAccountName runs this task's pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// podTemplate customises this task's pods (replacing the run's template).
	// +optional
	PodTemplate *PodTemplate `json:"podTemplate,omitempty"`
	// timeout replaces the pipeline task's own timeout (every attempt's);
	// the run's timeouts still bound it. 0 means none of its own.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// PipelineRunSpec is what to run and with what.
// +kubebuilder:validation:XValidation:rule="has(self.pipelineRef) != has(self.pipelineSpec)",message="exactly one of pipelineRef or pipelineSpec must be set"
// +kubebuilder:validation:XValidation:rule="has(self.pipelineRef) == has(oldSelf.pipelineRef) && (!has(self.pipelineRef) || self.pipelineRef == oldSelf.pipelineRef) && has(self.pipelineSpec) == has(oldSelf.pipelineSpec) && (!has(self.pipelineSpec) || self.pipelineSpec == oldSelf.pipelineSpec)",message="pipelineRef and pipelineSpec are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.params) == has(oldSelf.params) && (!has(self.params) || self.params == oldSelf.params) && has(self.workspaces) == has(oldSelf.workspaces) && (!has(self.workspaces) || self.workspaces == oldSelf.workspaces)",message="params and workspaces are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.taskRunTemplate) == has(oldSelf.taskRunTemplate) && (!has(self.taskRunTemplate) || self.taskRunTemplate == oldSelf.taskRunTemplate) && has(self.taskRunSpecs) == has(oldSelf.taskRunSpecs) && (!has(self.taskRunSpecs) || self.taskRunSpecs == oldSelf.taskRunSpecs) && has(self.timeouts) == has(oldSelf.timeouts) && (!has(self.timeouts) || self.timeouts == oldSelf.timeouts)",message="taskRunTemplate, taskRunSpecs and timeouts are immutable"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.status) || oldSelf.status == 'PipelineRunPending' || (has(self.status) && (self.status == oldSelf.status || self.status == 'Cancelled'))",message="a cancelled or stopped run cannot be resumed or set pending (it may still be escalated to Cancelled)"
type PipelineRunSpec struct {
	// pipelineRef names the Pipeline to run (or use pipelineSpec).
	// +optional
	PipelineRef *PipelineRef `json:"pipelineRef,omitempty"`
	// pipelineSpec embeds the Pipeline to run (or use pipelineRef).
	// +optional
	PipelineSpec *PipelineSpec `json:"pipelineSpec,omitempty"`
	// params bind values to the pipeline's params.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []Param `json:"params,omitempty"`
	// workspaces bind volumes to the pipeline's workspaces.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Workspaces []WorkspaceBinding `json:"workspaces,omitempty"`
	// taskRunTemplate is how every TaskRun of the run is made.
	// +optional
	TaskRunTemplate *PipelineTaskRunTemplate `json:"taskRunTemplate,omitempty"`
	// taskRunSpecs override the template for single pipeline tasks.
	// +listType=map
	// +listMapKey=pipelineTaskName
	// +kubebuilder:validation:MaxItems=48
	// +optional
	TaskRunSpecs []PipelineTaskRunSpec `json:"taskRunSpecs,omitempty"`
	// timeouts bound the run, its tasks and its finally tasks.
	// +optional
	Timeouts *TimeoutFields `json:"timeouts,omitempty"`
	// status holds (PipelineRunPending), cancels (Cancelled, CancelledRunFinally)
	// or stops (StoppedRunFinally) the run. The only mutable field.
	// +optional
	Status PipelineRunSpecStatus `json:"status,omitempty"`
	// statusMessage says why.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	StatusMessage string `json:"statusMessage,omitempty"`
}

// ChildStatusReference points at one TaskRun of the run; its status lives
// there, never copied here.
type ChildStatusReference struct {
	// apiVersion of the child.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// kind of the child: TaskRun.
	// +optional
	Kind string `json:"kind,omitempty"`
	// name of the child.
	// +required
	Name string `json:"name"`
	// pipelineTaskName is the task it runs.
	// +required
	PipelineTaskName string `json:"pipelineTaskName"`
	// attempt is 0 for the first try, n for the nth retry.
	// +optional
	Attempt int32 `json:"attempt,omitempty"`
	// matrixIndex is the combination a fanned-out TaskRun runs.
	// +optional
	MatrixIndex *int32 `json:"matrixIndex,omitempty"`
	// whenExpressions that let the task run, as evaluated.
	// +listType=atomic
	// +optional
	WhenExpressions []WhenExpression `json:"whenExpressions,omitempty"`
}

// SkippedTask is a task the run did not run, and why.
type SkippedTask struct {
	// name of the pipeline task.
	// +required
	Name string `json:"name"`
	// reason: WhenExpressionsFalse, ParentTasksSkipped, ResultsMissing,
	// PipelineRunStopping, PipelineRunCancelled, PipelineRunTimedOut,
	// TasksTimedOut, EmptyMatrix.
	// +required
	Reason string `json:"reason"`
	// message explains the reason.
	// +optional
	Message string `json:"message,omitempty"`
	// whenExpressions as evaluated, when they skipped the task.
	// +listType=atomic
	// +optional
	WhenExpressions []WhenExpression `json:"whenExpressions,omitempty"`
}

// PipelineRunResult is a result the pipeline published.
type PipelineRunResult struct {
	// name of the declared result.
	// +required
	Name string `json:"name"`
	// value of the result.
	// +required
	Value ParamValue `json:"value"`
}

// PipelineRunStatus is the observed state of a PipelineRun.
type PipelineRunStatus struct {
	// conditions hold Succeeded: Unknown while pending or running, then True or False.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// startTime is when the controller first acted on the run.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// finallyStartTime is when the finally tasks were started.
	// +optional
	FinallyStartTime *metav1.Time `json:"finallyStartTime,omitempty"`
	// completionTime is when the run finished.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
	// childReferences name the run's TaskRuns.
	// +listType=atomic
	// +optional
	ChildReferences []ChildStatusReference `json:"childReferences,omitempty"`
	// skippedTasks are the tasks the run did not run, with the reason.
	// +listType=atomic
	// +optional
	SkippedTasks []SkippedTask `json:"skippedTasks,omitempty"`
	// results the pipeline published.
	// +listType=atomic
	// +optional
	Results []PipelineRunResult `json:"results,omitempty"`
	// pipelineSpec is the pipeline as resolved when the run started. Only the
	// controller writes it, so its schema is left out of the CRD to keep the
	// CRD small enough for a client-side kubectl apply.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	// +optional
	PipelineSpec *PipelineSpec `json:"pipelineSpec,omitempty"`
	// provenance says where pipelineSpec came from when a resolver fetched it.
	// +optional
	Provenance *Provenance `json:"provenance,omitempty"`
}

// PipelineRun runs a Pipeline once, one TaskRun per task (and per retry and
// matrix combination).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pr,categories=windlass
// +kubebuilder:printcolumn:name="Succeeded",type=string,JSONPath=`.status.conditions[?(@.type=="Succeeded")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Succeeded")].reason`
// +kubebuilder:printcolumn:name="StartTime",type=date,JSONPath=`.status.startTime`
// +kubebuilder:printcolumn:name="CompletionTime",type=date,JSONPath=`.status.completionTime`
type PipelineRun struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// spec is what to run.
	// +required
	Spec PipelineRunSpec `json:"spec"`
	// status is what happened.
	// +optional
	Status PipelineRunStatus `json:"status,omitempty"`
}

// PipelineRunList is a list of PipelineRuns.
// +kubebuilder:object:root=true
type PipelineRunList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PipelineRun `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &PipelineRun{}, &PipelineRunList{})
}
