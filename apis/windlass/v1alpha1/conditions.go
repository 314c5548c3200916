package v1alpha1

// ConditionSucceeded summarises a run: Unknown while pending or running, True
// when it succeeded, False when it failed, timed out or was cancelled.
const ConditionSucceeded = "Succeeded"

// Reasons of the Succeeded condition. They are CamelCase and part of the API.
const (
	ReasonPending            = "Pending"              // Unknown: accepted, pod not started yet
	ReasonRunning            = "Running"              // Unknown: steps are running
	ReasonSucceeded          = "Succeeded"            // True
	ReasonFailed             = "Failed"               // False: a step failed
	ReasonTimedOut           = "TimedOut"             // False: the run's timeout passed
	ReasonCancelled          = "Cancelled"            // False: cancelled by the user
	ReasonInvalidSpec        = "InvalidSpec"          // False: the spec cannot run (bad reference, type mismatch)
	ReasonTaskNotFound       = "TaskNotFound"         // Unknown while waiting for the Task, then False
	ReasonResultsTooLarge    = "ResultsTooLarge"      // False: results exceed the transport limit
	ReasonPodCreationFailed  = "PodCreationFailed"    // False: the API server refused the pod
	ReasonImagePullFailed    = "ImagePullFailed"      // False: a step's image cannot be pulled
	ReasonPodDeleted         = "PodDeleted"           // False: the pod vanished from under the run
	ReasonPodEvicted         = "PodEvicted"           // False: the pod was evicted (Eviction API, node pressure, preemption)
	ReasonUnschedulable      = "Unschedulable"        // False: the pod cannot be scheduled
	ReasonStepTimedOut       = "StepTimedOut"         // False: a step exceeded its own timeout
	ReasonCreateContainerErr = "CreateContainerError" // False: the runtime could not create a step container
	ReasonPodSecurity        = "PodSecurity"          // False: a step asks for what the namespace's Pod Security Standard forbids
	// Unknown while a registry does not answer (it is retried with backoff),
	// then False at the run's transient-error deadline.
	ReasonRegistryUnavailable = "RegistryUnavailable"
	// Unknown while the git or HTTP server a resolver reads does not answer,
	// then False at the transient-error deadline.
	ReasonRemoteUnavailable = "RemoteUnavailable"
	// Unknown while the run's service account does not exist yet, then False
	// at the transient-error deadline.
	ReasonServiceAccountNotFound = "ServiceAccountNotFound"

	// PipelineRun reasons, besides Pending, Running, Succeeded, Failed, TimedOut, Cancelled and InvalidSpec.
	ReasonCompleted           = "Completed"           // True: succeeded, but some tasks were skipped
	ReasonStoppedRunFinally   = "StoppedRunFinally"   // Unknown while finally runs after a stop, then False
	ReasonPipelineRunPending  = "PipelineRunPending"  // Unknown: held by spec.status until released
	ReasonPipelineNotFound    = "PipelineNotFound"    // Unknown while waiting for the Pipeline, then False
	ReasonCancelledRunFinally = "CancelledRunFinally" // Unknown: cancelled, finally tasks running; then Cancelled

	// Approval reasons (an approval gate's Succeeded condition), besides Cancelled.
	ReasonAwaitingApproval = "AwaitingApproval" // Unknown: no decision yet
	ReasonApproved         = "Approved"         // True: an approver approved
	ReasonRejected         = "Rejected"         // False: an approver rejected
	ReasonApprovalTimedOut = "ApprovalTimedOut" // False: no decision within the gate's timeout
)
