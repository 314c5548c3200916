package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PipelineTaskOnError says what a failed pipeline task does to its run.
// +kubebuilder:validation:Enum=continue;stopAndFail
type PipelineTaskOnError string

// What a pipeline task's failure does.
const (
	// PipelineTaskContinue records the failure and lets the run go on (and succeed).
	PipelineTaskContinue PipelineTaskOnError = "continue"
	// PipelineTaskStopAndFail stops scheduling new tasks and fails the run (the default).
	PipelineTaskStopAndFail PipelineTaskOnError = "stopAndFail"
)

// WhenOperator compares a when expression's input with its values.
// +kubebuilder:validation:Enum=in;notin
type WhenOperator string

// The operators of a when expression.
const (
	WhenIn    WhenOperator = "in"
	WhenNotIn WhenOperator = "notin"
)

// WhenExpression guards a pipeline task: the task runs only when every
// expression holds. Either input/operator/values, or cel.
// +kubebuilder:validation:XValidation:rule="has(self.cel) != (has(self.input) || has(self.operator) || has(self.values))",message="set either cel, or input, operator and values"
// +kubebuilder:validation:XValidation:rule="has(self.cel) || (has(self.operator) && has(self.values))",message="input needs an operator and values"
type WhenExpression struct {
	// input is the value compared, usually a $(params.x) or $(tasks.t.results.r) reference.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Input string `json:"input,omitempty"`
	// operator is in or notin.
	// +optional
	Operator WhenOperator `json:"operator,omitempty"`
	// values the input is compared with.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Values []string `json:"values,omitempty"`
	// cel is a CEL expression that must evaluate to a boolean, after substitution.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	CEL string `json:"cel,omitempty"`
}

// IncludeParams adds one named combination (or extra params to matching
// combinations) to a matrix.
type IncludeParams struct {
	// name of the combination.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`
	// params of the combination: string values.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +required
	Params []Param `json:"params"`
}

// Matrix fans a pipeline task out into one TaskRun per combination of its
// array params' values, plus the include entries.
// +kubebuilder:validation:XValidation:rule="has(self.params) || has(self.include)",message="a matrix needs params or include"
type Matrix struct {
	// params with array values; every combination of their items is one TaskRun.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Params []Param `json:"params,omitempty"`
	// include adds combinations, or params to the combinations they match.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Include []IncludeParams `json:"include,omitempty"`
}

// WorkspacePipelineTaskBinding passes a pipeline workspace to a task's workspace.
type WorkspacePipelineTaskBinding struct {
	// name of the task's workspace.
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// workspace is the pipeline workspace bound to it; defaults to name.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Workspace string `json:"workspace,omitempty"`
	// subPath gives the task only this directory of the workspace.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && self != '..' && !self.startsWith('../') && !self.endsWith('/..') && !self.contains('/../')",message="subPath must be relative and must not contain '..'"
	// +optional
	SubPath string `json:"subPath,omitempty"`
}

// PipelineTaskMetadata is the labels and annotations of the TaskRun and pod
// of a task spec embedded in a pipeline task.
type PipelineTaskMetadata struct {
	// labels added to the TaskRun and its pod.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// annotations added to the TaskRun and its pod.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// PipelineTask is one node of the graph: a Task with its inputs.
// +kubebuilder:validation:XValidation:rule="has(self.taskRef) != has(self.taskSpec)",message="exactly one of taskRef or taskSpec must be set"
type PipelineTask struct {
	// name of the task in the pipeline, referenced by runAfter and $(tasks.<name>...).
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// displayName is a name for people.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	DisplayName string `json:"displayName,omitempty"`
	// description of the task's role in the pipeline.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// taskRef names the Task to run (or use taskSpec).
	// +optional
	TaskRef *TaskRef `json:"taskRef,omitempty"`
	// taskSpec embeds the Task to run (or use taskRef), with the labels and
	// annotations of its TaskRun and pod in its metadata.
	// +optional
	TaskSpec *TaskSpec `json:"taskSpec,omitempty"`
	// params bind values to the Task's params; they may reference pipeline
	// params, other tasks' results and the run's context.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []Param `json:"params,omitempty"`
	// workspaces pass pipeline workspaces to the Task's workspaces.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Workspaces []WorkspacePipelineTaskBinding `json:"workspaces,omitempty"`
	// runAfter names tasks that must finish before this one starts.
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	// +optional
	RunAfter []string `json:"runAfter,omitempty"`
	// retries: how many times a failed TaskRun is tried again, each in a new pod.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=20
	// +optional
	Retries int32 `json:"retries,omitempty"`
	// timeout of each TaskRun of this task.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// when guards the task: it runs only when every expression holds.
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +optional
	When []WhenExpression `json:"when,omitempty"`
	// matrix fans the task out into one TaskRun per combination.
	// +optional
	Matrix *Matrix `json:"matrix,omitempty"`
	// onError: continue lets the run go on past this task's failure; stopAndFail (default) fails it.
	// +optional
	OnError PipelineTaskOnError `json:"onError,omitempty"`
}

// PipelineWorkspaceDeclaration declares a workspace the pipeline's tasks share.
type PipelineWorkspaceDeclaration struct {
	// name of the workspace.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=63
	// +required
	Name string `json:"name"`
	// description of the workspace.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// optional workspaces may be left unbound by a run.
	// +optional
	Optional bool `json:"optional,omitempty"`
}

// PipelineResult is a value the pipeline publishes, taken from its tasks' results.
type PipelineResult struct {
	// name of the result.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// type of the value: string (default), array or object.
	// +optional
	Type ParamType `json:"type,omitempty"`
	// description of the result.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// value: usually $(tasks.t.results.r) or $(finally.t.results.r).
	// +required
	Value ParamValue `json:"value"`
}

// PipelineSpec is a graph of tasks, its params, workspaces and results.
// +kubebuilder:validation:XValidation:rule="!has(self.finally) || self.finally.all(f, !self.tasks.exists(t, t.name == f.name))",message="a task name may appear in tasks or finally, not both"
// +kubebuilder:validation:XValidation:rule="self.tasks.all(t, !has(t.runAfter) || t.runAfter.all(a, a != t.name && self.tasks.exists(u, u.name == a)))",message="runAfter must name other tasks of tasks (not finally, not the task itself)"
// +kubebuilder:validation:XValidation:rule="!has(self.finally) || self.finally.all(f, !has(f.runAfter))",message="finally tasks cannot use runAfter: they all run once tasks are done"
type PipelineSpec struct {
	// description of the pipeline.
	// +kubebuilder:validation:MaxLength=8192
	// +optional
	Description string `json:"description,omitempty"`
	// displayName is a name for people (shown, not used).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	DisplayName string `json:"displayName,omitempty"`
	// params the pipeline accepts.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=128
	// +optional
	Params []ParamSpec `json:"params,omitempty"`
	// workspaces the pipeline's tasks share.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Workspaces []PipelineWorkspaceDeclaration `json:"workspaces,omitempty"`
	// results the pipeline publishes.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Results []PipelineResult `json:"results,omitempty"`
	// tasks form the graph: each starts once what it needs is done. At most
	// 32, so the API server can afford to check every runAfter reference (a
	// matrix fans one task out to many TaskRuns).
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +required
	Tasks []PipelineTask `json:"tasks"`
	// finally tasks run once tasks are done, whatever their outcome.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Finally []PipelineTask `json:"finally,omitempty"`
}

// Pipeline is a reusable graph of Tasks; a PipelineRun runs it.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=pl,categories=windlass
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Pipeline struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// spec is the pipeline's definition.
	// +required
	Spec PipelineSpec `json:"spec"`
}

// PipelineList is a list of Pipelines.
// +kubebuilder:object:root=true
type PipelineList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Pipeline `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &Pipeline{}, &PipelineList{})
}
