// Package approval holds the rules of the built-in approval gate: a pipeline
// task whose taskRef is {apiVersion: windlass.dev/v1alpha1, kind: Approval}.
// The PipelineRun controller runs it itself. The engine (internal/pipeline)
// plans it as it plans any task, as a TaskRun; FromTaskRun turns that planned
// TaskRun into the Approval to create, Evaluate decides the Approval from its
// decisions and its timeout, and AsTaskRun shows it back to the engine as a
// TaskRun, so that the graph, results, when expressions and finally work
// unchanged. Who may decide is checked by the API server (config/admission),
// not here: a decision in spec.decisions was vouched for by it.
package approval

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

// The gate's params and results.
const (
	ParamApprovers = "approvers"
	ParamMessage   = "message"

	ResultDecidedBy = "decidedBy"
	ResultDecision  = "decision"
	ResultComment   = "comment"

	// GroupPrefix marks an approver that is a group: group:NAME.
	GroupPrefix = "group:"
)

// DefaultTimeout is a gate's timeout when its pipeline task sets none.
const DefaultTimeout = time.Hour

// maxMessage bounds the message a condition repeats.
const maxMessage = 512

// IsApproval tells whether a taskRef names the approval gate (by its kind;
// Check makes sure the apiVersion goes with it).
func IsApproval(ref *windlassv1.TaskRef) bool {
	return ref != nil && ref.Kind == windlassv1.ApprovalKind
}

// TaskSpec is the gate seen as a Task: its params and the results later tasks
// may use, so that a reference to a result it does not have is caught.
func TaskSpec() *windlassv1.TaskSpec {
	return &windlassv1.TaskSpec{
		Description: "An approval gate: waits for a listed approver's decision.",
		Params: []windlassv1.ParamSpec{
			{Name: ParamApprovers, Type: windlassv1.ParamTypeArray},
			{Name: ParamMessage, Type: windlassv1.ParamTypeString, Default: windlassv1.NewString("")},
		},
		Results: []windlassv1.TaskResult{
			{Name: ResultDecidedBy, Type: windlassv1.ParamTypeString},
			{Name: ResultDecision, Type: windlassv1.ParamTypeString},
			{Name: ResultComment, Type: windlassv1.ParamTypeString},
		},
	}
}

// Check refuses approval tasks the gate cannot run. Its error names the
// field, as the run's InvalidSpec message.
func Check(spec *windlassv1.PipelineSpec) error {
	for _, sec := range []struct {
		name  string
		tasks []windlassv1.PipelineTask
	}{{"tasks", spec.Tasks}, {"finally", spec.Finally}} {
		for i := range sec.tasks {
			pt := &sec.tasks[i]
			if pt.TaskRef == nil || (pt.TaskRef.APIVersion == "" && !IsApproval(pt.TaskRef)) {
				continue
			}
			if err := checkTask(fmt.Sprintf("spec.pipelineSpec.%s[%d] (%s)", sec.name, i, pt.Name), pt); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkTask(field string, pt *windlassv1.PipelineTask) error {
	ref := pt.TaskRef
	want := windlassv1.GroupVersion.String()
	switch {
	case ref.APIVersion != want || ref.Kind != windlassv1.ApprovalKind:
		return fmt.Errorf("%s.taskRef: apiVersion %q kind %q: the only custom task is apiVersion %s kind %s", field, ref.APIVersion, ref.Kind, want, windlassv1.ApprovalKind)
	case ref.Name != "" || ref.Resolver != "" || len(ref.Params) > 0:
		return fmt.Errorf("%s.taskRef: an Approval taskRef takes only apiVersion and kind", field)
	case pt.Matrix != nil:
		return fmt.Errorf("%s.matrix: an approval gate runs once, it takes no matrix", field)
	case pt.Retries > 0:
		return fmt.Errorf("%s.retries: an approval gate is decided once, it takes no retries", field)
	case len(pt.Workspaces) > 0:
		return fmt.Errorf("%s.workspaces: an approval gate runs no pod, it takes no workspaces", field)
	}
	var approvers *windlassv1.Param
	for j := range pt.Params {
		p := &pt.Params[j]
		pf := fmt.Sprintf("%s.params[%d] (%s)", field, j, p.Name)
		switch p.Name {
		case ParamApprovers:
			approvers = p
			if err := checkApproversValue(pf, p.Value); err != nil {
				return err
			}
		case ParamMessage:
			if p.Value.Type != windlassv1.ParamTypeString && p.Value.Type != "" {
				return fmt.Errorf("%s: the message is a string", pf)
			}
		default:
			return fmt.Errorf("%s: an approval gate takes the params %s and %s only", pf, ParamApprovers, ParamMessage)
		}
	}
	if approvers == nil {
		return fmt.Errorf("%s.params: param %s is required: the users and group:NAME groups who may decide", field, ParamApprovers)
	}
	return nil
}

// checkApproversValue takes an array, or a $(params.x[*]) reference to one.
// Entries that are references are checked once resolved (FromTaskRun).
func checkApproversValue(field string, v windlassv1.ParamValue) error {
	if v.Type != windlassv1.ParamTypeArray {
		s := strings.TrimSpace(v.StringVal)
		if strings.HasPrefix(s, "$(") && strings.HasSuffix(s, "[*])") {
			return nil
		}
		return fmt.Errorf("%s: approvers is an array of users and group:NAME groups", field)
	}
	if len(v.ArrayVal) == 0 {
		return fmt.Errorf("%s: approvers is empty: name at least one user or group:NAME", field)
	}
	for k, a := range v.ArrayVal {
		if strings.Contains(a, "$(") {
			continue
		}
		if err := checkApprover(a); err != nil {
			return fmt.Errorf("%s[%d]: %w", field, k, err)
		}
	}
	return nil
}

func checkApprover(a string) error {
	switch {
	case strings.TrimSpace(a) == "":
		return fmt.Errorf("an approver is empty")
	case a != strings.TrimSpace(a):
		return fmt.Errorf("approver %q has leading or trailing spaces", a)
	case a == GroupPrefix:
		return fmt.Errorf("approver %q names no group (group:NAME)", a)
	case len(a) > 253:
		return fmt.Errorf("approver %q is longer than 253 characters", a)
	}
	return nil
}

// Name is the Approval of a run's gate task: the name its TaskRun would have,
// so that a restarted controller finds it again.
func Name(run, task string) string { return pipeline.TaskRunName(run, task, -1, 0) }

// FromTaskRun turns the TaskRun the engine planned for a gate (params
// resolved, timeout bounded by the run's) into the Approval to create: the
// same name, labels and owner. Its error is the user's (an approver that
// resolved to nothing) and names the param.
func FromTaskRun(tr *windlassv1.TaskRun) (*windlassv1.Approval, error) {
	task := tr.Labels[pipeline.LabelPipelineTask]
	run := ""
	if ref := metav1.GetControllerOfNoCopy(tr); ref != nil {
		run = ref.Name
	}
	a := &windlassv1.Approval{
		ObjectMeta: metav1.ObjectMeta{
			Name: tr.Name, Namespace: tr.Namespace,
			Labels: maps.Clone(tr.Labels), OwnerReferences: append([]metav1.OwnerReference(nil), tr.OwnerReferences...),
		},
		Spec: windlassv1.ApprovalSpec{PipelineRun: run, PipelineTask: task},
	}
	field := fmt.Sprintf("pipeline task %s: params", task)
	found := false
	for _, p := range tr.Spec.Params {
		switch p.Name {
		case ParamApprovers:
			found = true
			if p.Value.Type != windlassv1.ParamTypeArray {
				return nil, fmt.Errorf("%s %s: resolved to a %s, want an array", field, p.Name, orString(p.Value.Type))
			}
			for i, v := range p.Value.ArrayVal {
				if err := checkApprover(v); err != nil {
					return nil, fmt.Errorf("%s %s[%d]: %w", field, p.Name, i, err)
				}
				a.Spec.Approvers = append(a.Spec.Approvers, v)
			}
		case ParamMessage:
			a.Spec.Message = p.Value.StringVal
		}
	}
	switch {
	case !found:
		return nil, fmt.Errorf("%s: param %s is required", field, ParamApprovers)
	case len(a.Spec.Approvers) == 0:
		return nil, fmt.Errorf("%s %s: resolved to an empty list: name at least one user or group:NAME", field, ParamApprovers)
	case len(a.Spec.Approvers) > 64:
		return nil, fmt.Errorf("%s %s: %d approvers, at most 64", field, ParamApprovers, len(a.Spec.Approvers))
	case len(a.Spec.Message) > 4096:
		return nil, fmt.Errorf("%s %s: %d characters, at most 4096", field, ParamMessage, len(a.Spec.Message))
	}
	timeout := DefaultTimeout
	if tr.Spec.Timeout != nil && tr.Spec.Timeout.Duration > 0 {
		timeout = tr.Spec.Timeout.Duration
	}
	a.Spec.Timeout = &metav1.Duration{Duration: timeout}
	return a, nil
}

func orString(t windlassv1.ParamType) windlassv1.ParamType {
	if t == "" {
		return windlassv1.ParamTypeString
	}
	return t
}

// Timeout is how long the gate waits for a decision.
func Timeout(a *windlassv1.Approval) time.Duration {
	if a.Spec.Timeout != nil && a.Spec.Timeout.Duration > 0 {
		return a.Spec.Timeout.Duration
	}
	return DefaultTimeout
}

// Done tells whether the gate is decided (or timed out, or cancelled).
func Done(a *windlassv1.Approval) bool {
	c := meta.FindStatusCondition(a.Status.Conditions, windlassv1.ConditionSucceeded)
	return c != nil && c.Status != metav1.ConditionUnknown
}

// Evaluate writes the gate's status from its decisions and its timeout, as
// of now. The first decision decides; without one, the gate times out at
// its start plus its timeout. It returns how long until that deadline while
// the gate is open (0 once it is done). A decided gate is left as it is.
func Evaluate(a *windlassv1.Approval, now time.Time) time.Duration {
	st := &a.Status
	if st.StartTime == nil {
		start := a.CreationTimestamp
		if start.IsZero() {
			start = metav1.NewTime(now.Truncate(time.Second))
		}
		st.StartTime = &start
	}
	if Done(a) {
		return 0
	}
	if len(a.Spec.Decisions) > 0 {
		d := a.Spec.Decisions[0]
		st.Decision, st.DecidedBy, st.Comment = d.Decision, d.User, d.Comment
		complete(a, now)
		msg := strings.ToLower(string(d.Decision)) + " by " + d.User
		if d.Comment != "" {
			msg += ": " + d.Comment
		}
		if d.Decision == windlassv1.ApprovalApproved {
			set(a, now, metav1.ConditionTrue, windlassv1.ReasonApproved, msg)
		} else {
			set(a, now, metav1.ConditionFalse, windlassv1.ReasonRejected, msg)
		}
		return 0
	}
	// startTime is stored with one-second precision (cut, never rounded up):
	// the second added makes the timeout fire up to 1 s late, never early.
	deadline := st.StartTime.Add(Timeout(a) + time.Second)
	if !now.Before(deadline) {
		complete(a, now)
		set(a, now, metav1.ConditionFalse, windlassv1.ReasonApprovalTimedOut,
			fmt.Sprintf("no decision within %s (approvers: %s)", Timeout(a), strings.Join(a.Spec.Approvers, ", ")))
		return 0
	}
	msg := "waiting for a decision by " + strings.Join(a.Spec.Approvers, ", ")
	if a.Spec.Message != "" {
		msg += ": " + a.Spec.Message
	}
	set(a, now, metav1.ConditionUnknown, windlassv1.ReasonAwaitingApproval, msg)
	return deadline.Sub(now)
}

// Cancel closes an open gate as Cancelled; it tells whether it did.
func Cancel(a *windlassv1.Approval, msg string, now time.Time) bool {
	if Done(a) {
		return false
	}
	if a.Status.StartTime == nil {
		Evaluate(a, now) // sets the start; a decision made meanwhile wins
		if Done(a) {
			return true
		}
	}
	complete(a, now)
	set(a, now, metav1.ConditionFalse, windlassv1.ReasonCancelled, msg)
	return true
}

// AsTaskRun is the gate as the engine sees a task's TaskRun: its name,
// labels and owner, its Succeeded condition, and once decided its results
// decidedBy, decision and comment.
func AsTaskRun(a *windlassv1.Approval) *windlassv1.TaskRun {
	tr := &windlassv1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: a.Name, Namespace: a.Namespace, UID: a.UID, CreationTimestamp: a.CreationTimestamp,
			Labels: maps.Clone(a.Labels), OwnerReferences: append([]metav1.OwnerReference(nil), a.OwnerReferences...),
		},
		Spec: windlassv1.TaskRunSpec{
			TaskRef: &windlassv1.TaskRef{APIVersion: windlassv1.GroupVersion.String(), Kind: windlassv1.ApprovalKind},
			Params: []windlassv1.Param{
				{Name: ParamApprovers, Value: *windlassv1.NewArray(a.Spec.Approvers...)},
				{Name: ParamMessage, Value: *windlassv1.NewString(a.Spec.Message)},
			},
			Timeout: a.Spec.Timeout.DeepCopy(),
		},
		Status: windlassv1.TaskRunStatus{
			Conditions: append([]metav1.Condition(nil), a.Status.Conditions...),
			StartTime:  a.Status.StartTime.DeepCopy(), CompletionTime: a.Status.CompletionTime.DeepCopy(),
		},
	}
	if a.Status.Decision != "" {
		for _, r := range []struct{ name, value string }{
			{ResultDecidedBy, a.Status.DecidedBy}, {ResultDecision, string(a.Status.Decision)}, {ResultComment, a.Status.Comment},
		} {
			tr.Status.Results = append(tr.Status.Results, windlassv1.TaskRunResult{
				Name: r.name, Type: windlassv1.ParamTypeString, Value: *windlassv1.NewString(r.value),
			})
		}
	}
	return tr
}

func complete(a *windlassv1.Approval, now time.Time) {
	t := metav1.NewTime(now)
	a.Status.CompletionTime = &t
}

func set(a *windlassv1.Approval, now time.Time, status metav1.ConditionStatus, reason, msg string) {
	if r := []rune(msg); len(r) > maxMessage {
		msg = string(r[:maxMessage-1]) + "…"
	}
	meta.SetStatusCondition(&a.Status.Conditions, metav1.Condition{
		Type: windlassv1.ConditionSucceeded, Status: status, Reason: reason, Message: msg, ObservedGeneration: a.Generation,
		LastTransitionTime: metav1.NewTime(now),
	})
}
