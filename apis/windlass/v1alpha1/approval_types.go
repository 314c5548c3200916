package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApprovalKind is the kind a pipeline task's taskRef names to be an approval
// gate: taskRef {apiVersion: windlass.dev/v1alpha1, kind: Approval}.
const ApprovalKind = "Approval"

// ApprovalDecisionValue is what an approver decided.
// +kubebuilder:validation:Enum=Approved;Rejected
type ApprovalDecisionValue string

// The decisions an approver can make.
const (
	ApprovalApproved ApprovalDecisionValue = "Approved"
	ApprovalRejected ApprovalDecisionValue = "Rejected"
)

// ApprovalDecision is one approver's word. The API server's admission policy
// (config/admission) accepts a new one only from the user it names, only from
// a listed approver (or a member of a listed group), and only while the
// Approval is undecided.
type ApprovalDecision struct {
	// user who decides: must be the user who adds the decision.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	User string `json:"user"`
	// decision: Approved or Rejected.
	// +required
	Decision ApprovalDecisionValue `json:"decision"`
	// comment says why.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Comment string `json:"comment,omitempty"`
	// time the approver says they decided (informative: the status records
	// when the controller saw it).
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// ApprovalSpec is who may decide what, and the decisions made. Everything but
// decisions is fixed at creation; decisions are append-only.
// +kubebuilder:validation:XValidation:rule="self.approvers == oldSelf.approvers && self.pipelineRun == oldSelf.pipelineRun && self.pipelineTask == oldSelf.pipelineTask",message="approvers, pipelineRun and pipelineTask are immutable"
// +kubebuilder:validation:XValidation:rule="has(self.message) == has(oldSelf.message) && (!has(self.message) || self.message == oldSelf.message) && has(self.timeout) == has(oldSelf.timeout) && (!has(self.timeout) || self.timeout == oldSelf.timeout)",message="message and timeout are immutable"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.decisions) || (has(self.decisions) && self.decisions.size() >= oldSelf.decisions.size() && oldSelf.decisions.all(d, d in self.decisions))",message="decisions are append-only: a decision made cannot be changed or removed"
type ApprovalSpec struct {
	// approvers who may decide: user names, and groups as group:NAME.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=atomic
	// +required
	Approvers []string `json:"approvers"`
	// message tells the approvers what they decide.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Message string `json:"message,omitempty"`
	// pipelineRun the gate belongs to.
	// +kubebuilder:validation:MaxLength=253
	// +required
	PipelineRun string `json:"pipelineRun"`
	// pipelineTask is the gate's task in the pipeline.
	// +kubebuilder:validation:MaxLength=253
	// +required
	PipelineTask string `json:"pipelineTask"`
	// timeout: without a decision by then the gate fails with ApprovalTimedOut.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// decisions, in the order they were made; the first decides. Approvers
	// append to it (kubectl patch --type=json, add /spec/decisions/-).
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:default={}
	// +listType=atomic
	// +optional
	Decisions []ApprovalDecision `json:"decisions,omitempty"`
}

// ApprovalStatus is the gate's outcome: the audit trail of who decided what, when.
type ApprovalStatus struct {
	// conditions hold Succeeded: Unknown (AwaitingApproval) until a decision,
	// then True (Approved) or False (Rejected, ApprovalTimedOut, Cancelled).
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// decision taken: Approved or Rejected (empty on timeout or cancel).
	// +optional
	Decision ApprovalDecisionValue `json:"decision,omitempty"`
	// decidedBy is the user whose decision decided.
	// +optional
	DecidedBy string `json:"decidedBy,omitempty"`
	// comment of the deciding decision.
	// +optional
	Comment string `json:"comment,omitempty"`
	// startTime is when the gate opened.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// completionTime is when the controller saw the decision, the timeout or the cancel.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// Approval is a gate in a PipelineRun that a person opens or closes. The
// PipelineRun controller creates it for a pipeline task whose taskRef is
// {apiVersion: windlass.dev/v1alpha1, kind: Approval}.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=windlass
// +kubebuilder:printcolumn:name="Decision",type=string,JSONPath=`.status.decision`
// +kubebuilder:printcolumn:name="DecidedBy",type=string,JSONPath=`.status.decidedBy`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Succeeded")].reason`
// +kubebuilder:printcolumn:name="Approvers",type=string,JSONPath=`.spec.approvers`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Approval struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// spec is who may decide, and the decisions.
	// +required
	Spec ApprovalSpec `json:"spec"`
	// status is the outcome.
	// +optional
	Status ApprovalStatus `json:"status,omitempty"`
}

// ApprovalList is a list of Approvals.
// +kubebuilder:object:root=true
type ApprovalList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Approval `json:"items"`
}

func init() {
	knownTypes = append(knownTypes, &Approval{}, &ApprovalList{})
}
