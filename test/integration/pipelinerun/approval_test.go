package pipelinerun

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

// The approval gate on a real API server: the policy of config/admission
// (installed by util.StartEnv) checks who decides, with users impersonated as
// kubectl --as would; RBAC lets every one of them patch Approvals, so what
// refuses them is the policy.

var approverRole sync.Once

// approvers binds the release's approver ClusterRole (config/rbac) in ns to
// the users and groups the tests act as, listed or not.
func approvers(t *testing.T, ns string) {
	t.Helper()
	approverRole.Do(func() {
		data, err := os.ReadFile(filepath.Join(util.RepoRoot(), "config", "rbac", "approver_role.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		role := &rbacv1.ClusterRole{}
		if err := yaml.UnmarshalStrict(data, role); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Create(context.Background(), role); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	})
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "approvers", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "approver"},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"},
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory"},
			{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "ops"},
		},
	}
	if err := k8s.Create(context.Background(), binding); err != nil {
		t.Fatal(err)
	}
}

func as(t *testing.T, user string, groups ...string) client.Client {
	t.Helper()
	c, err := util.ClientAs(cfg, user, groups...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// decide appends a decision as `kubectl patch --type=json` with
// [{"op": "add", "path": "/spec/decisions/-", "value": ...}] does.
func decide(c client.Client, ns, name, user string, d windlassv1.ApprovalDecisionValue, comment string) error {
	patch, _ := json.Marshal([]map[string]any{{"op": "add", "path": "/spec/decisions/-",
		"value": windlassv1.ApprovalDecision{User: user, Decision: d, Comment: comment}}})
	a := &windlassv1.Approval{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	return c.Patch(context.Background(), a, client.RawPatch(types.JSONPatchType, patch))
}

// refused checks that err is the API server refusing with a message containing want.
func refused(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want refused with %q", what, want)
	}
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) && !apierrors.IsConflict(err) || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %v; want refused with %q", what, err, want)
	}
}

func getGate(t *testing.T, ns, name string) *windlassv1.Approval {
	t.Helper()
	a := &windlassv1.Approval{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// waitGate waits until the gate's Succeeded condition has reason.
func waitGate(t *testing.T, ns, name, reason string) *windlassv1.Approval {
	t.Helper()
	var a *windlassv1.Approval
	poll(t, "Approval "+name+": "+reason, func(ctx context.Context) bool {
		a = &windlassv1.Approval{}
		if k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, a) != nil {
			return false
		}
		c := meta.FindStatusCondition(a.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Reason == reason
	})
	return a
}

const gated = `
metadata: {name: release}
spec:
  params: [{name: approvers, type: array, default: [alice, "group:ops"]}]
  tasks:
  - {name: build, taskSpec: {steps: [{image: busybox, script: "true"}]}}
  - name: gate
    runAfter: [build]
    taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
    params:
    - {name: approvers, value: "$(params.approvers[*])"}
    - {name: message, value: "ship $(context.pipelineRun.name) to prod?"}
  - name: deploy
    when: [{input: "$(tasks.gate.results.decision)", operator: in, values: [Approved]}]
    params: [{name: by, value: "$(tasks.gate.results.decidedBy)"}]
    taskSpec: {params: [{name: by}], steps: [{image: busybox, script: "true"}]}
`

func TestApprovalGateChecksWhoDecides(t *testing.T) {
	ns := namespace(t)
	approvers(t, ns)
	apply(t, ns, &windlassv1.Pipeline{}, gated)
	apply(t, ns, &windlassv1.PipelineRun{}, "metadata: {name: run}\nspec: {pipelineRef: {name: release}}")
	finish(t, ns, "run-build", true)
	gate := waitGate(t, ns, "run-gate", windlassv1.ReasonAwaitingApproval)
	if ref := metav1.GetControllerOf(gate); ref == nil || ref.Kind != "PipelineRun" || ref.Name != "run" ||
		strings.Join(gate.Spec.Approvers, ",") != "alice,group:ops" || gate.Spec.Message != "ship run to prod?" ||
		gate.Spec.PipelineRun != "run" || gate.Spec.PipelineTask != "gate" || gate.Status.StartTime == nil || gate.Spec.Timeout.Duration > time.Hour || gate.Spec.Timeout.Duration < 59*time.Minute {
		t.Fatalf("gate = %+v", gate)
	}
	poll(t, "the run says what it waits for", func(context.Context) bool {
		c := cond(getRun(t, ns, "run"))
		return strings.Contains(c.Message, "waiting: task gate (Approval run-gate: AwaitingApproval: waiting for a decision by alice, group:ops: ship run to prod?)")
	})

	refused(t, "an unlisted user", decide(as(t, "mallory"), ns, "run-gate", "mallory", windlassv1.ApprovalApproved, ""),
		"user mallory may not decide Approval run-gate: the approvers are alice, group:ops")
	refused(t, "a listed user in another's name", decide(as(t, "alice"), ns, "run-gate", "bob", windlassv1.ApprovalApproved, ""),
		"a decision must name the user who adds it: you are alice but the decision names bob")
	created := &windlassv1.Approval{ObjectMeta: metav1.ObjectMeta{Name: "forged", Namespace: ns},
		Spec: windlassv1.ApprovalSpec{Approvers: []string{"alice"}, PipelineRun: "run", PipelineTask: "gate",
			Decisions: []windlassv1.ApprovalDecision{{User: "alice", Decision: windlassv1.ApprovalApproved}}}}
	refused(t, "a creation with a decision", k8s.Create(context.Background(), created),
		"Approval forged must be created without decisions: the approvers (alice) add them")
	if a := getGate(t, ns, "run-gate"); len(a.Spec.Decisions) != 0 {
		t.Fatalf("refused decisions were stored: %+v", a.Spec.Decisions)
	}

	// carol is not listed by name, but is in group ops.
	if err := decide(as(t, "carol", "ops"), ns, "run-gate", "carol", windlassv1.ApprovalApproved, "checked the canary"); err != nil {
		t.Fatalf("a member of a listed group: %v", err)
	}
	deploy := waitTaskRun(t, ns, "run-deploy")
	if p := deploy.Spec.Params; len(p) != 1 || p[0].Value.StringVal != "carol" {
		t.Fatalf("deploy params = %+v, want by=carol", p)
	}
	gate = waitGate(t, ns, "run-gate", windlassv1.ReasonApproved)
	if gate.Status.Decision != windlassv1.ApprovalApproved || gate.Status.DecidedBy != "carol" || gate.Status.Comment != "checked the canary" ||
		gate.Status.CompletionTime == nil || gate.Status.Conditions[0].Message != "approved by carol: checked the canary" {
		t.Fatalf("gate status = %+v", gate.Status)
	}

	refused(t, "a decision on a decided gate", decide(as(t, "alice"), ns, "run-gate", "alice", windlassv1.ApprovalRejected, "too late"),
		"Approval run-gate is already decided: Approved by carol; it takes no more decisions")
	// Not even the admin, whom the policy lets through (no decision added), can change or remove a decision: the CRD's rules.
	change := func(ops string) error {
		return k8s.Patch(context.Background(), getGate(t, ns, "run-gate"), client.RawPatch(types.JSONPatchType, []byte(ops)))
	}
	refused(t, "a changed decision", change(`[{"op": "replace", "path": "/spec/decisions/0/decision", "value": "Rejected"}]`),
		"decisions are append-only: a decision made cannot be changed or removed")
	refused(t, "a removed decision", change(`[{"op": "remove", "path": "/spec/decisions/0"}]`),
		"decisions are append-only")
	refused(t, "changed approvers", change(`[{"op": "add", "path": "/spec/approvers/-", "value": "mallory"}]`),
		"approvers, pipelineRun and pipelineTask are immutable")

	finish(t, ns, "run-deploy", true)
	pr := waitDone(t, ns, "run", metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	var kinds []string
	for _, c := range pr.Status.ChildReferences {
		kinds = append(kinds, c.Kind+"/"+c.Name)
	}
	if got := strings.Join(kinds, " "); got != "TaskRun/run-build Approval/run-gate TaskRun/run-deploy" {
		t.Fatalf("childReferences = %s", got)
	}
}

func TestApprovalGateRejected(t *testing.T) {
	ns := namespace(t)
	approvers(t, ns)
	apply(t, ns, &windlassv1.Pipeline{}, gated)
	apply(t, ns, &windlassv1.PipelineRun{}, "metadata: {name: run}\nspec: {pipelineRef: {name: release}}")
	finish(t, ns, "run-build", true)
	waitGate(t, ns, "run-gate", windlassv1.ReasonAwaitingApproval)
	if err := decide(as(t, "alice"), ns, "run-gate", "alice", windlassv1.ApprovalRejected, "not on a Friday"); err != nil {
		t.Fatal(err)
	}
	pr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonFailed)
	if c := cond(pr); !strings.Contains(c.Message, "gate (Approval run-gate: Rejected: rejected by alice: not on a Friday)") {
		t.Fatalf("message = %q", c.Message)
	}
	if got := taskRuns(t, ns); len(got) != 1 {
		t.Fatalf("a task ran after the rejection: %v", got)
	}
}

func TestApprovalGateTimesOut(t *testing.T) {
	ns := namespace(t)
	approvers(t, ns)
	apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: run}
spec:
  pipelineSpec:
    tasks:
    - name: gate
      timeout: 2s
      taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
      params: [{name: approvers, value: [alice]}]
`)
	gate := waitGate(t, ns, "run-gate", windlassv1.ReasonApprovalTimedOut)
	if gate.Spec.Timeout.Duration.String() != "2s" || gate.Status.Decision != "" || gate.Status.CompletionTime == nil ||
		gate.Status.Conditions[0].Message != "no decision within 2s (approvers: alice)" {
		t.Fatalf("gate = %+v", gate)
	}
	if d := gate.Status.CompletionTime.Sub(gate.CreationTimestamp.Time); d < 2e9 {
		t.Fatalf("timed out after %s, before its 2s", d)
	}
	pr := waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonFailed)
	if c := cond(pr); !strings.Contains(c.Message, "Approval run-gate: ApprovalTimedOut: no decision within 2s") {
		t.Fatalf("message = %q", c.Message)
	}
	refused(t, "a decision after the timeout", decide(as(t, "alice"), ns, "run-gate", "alice", windlassv1.ApprovalApproved, ""),
		"Approval run-gate is already decided: ApprovalTimedOut; it takes no more decisions")
}

func TestApprovalGateCancelled(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.Pipeline{}, gated)
	apply(t, ns, &windlassv1.PipelineRun{}, "metadata: {name: run}\nspec: {pipelineRef: {name: release}}")
	finish(t, ns, "run-build", true)
	waitGate(t, ns, "run-gate", windlassv1.ReasonAwaitingApproval)
	updateRun(t, ns, "run", func(pr *windlassv1.PipelineRun) { pr.Spec.Status = windlassv1.PipelineRunCancelled })
	gate := waitGate(t, ns, "run-gate", windlassv1.ReasonCancelled)
	if gate.Status.Conditions[0].Message != "the PipelineRun was cancelled" || gate.Status.CompletionTime == nil {
		t.Fatalf("gate = %+v", gate.Status)
	}
	waitDone(t, ns, "run", metav1.ConditionFalse, windlassv1.ReasonCancelled)
}

func TestInvalidApprovalTasks(t *testing.T) {
	const ref = "taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}"
	tests := []struct{ name, task, want string }{
		{"matrix", ref + `, params: [{name: approvers, value: [a]}], matrix: {params: [{name: env, value: [dev, prod]}]}`,
			"spec.pipelineSpec.tasks[0] (gate).matrix: an approval gate runs once, it takes no matrix"},
		{"retries", ref + `, params: [{name: approvers, value: [a]}], retries: 1`,
			"spec.pipelineSpec.tasks[0] (gate).retries: an approval gate is decided once, it takes no retries"},
		{"workspaces", ref + `, params: [{name: approvers, value: [a]}], workspaces: [{name: src}]`,
			"spec.pipelineSpec.tasks[0] (gate).workspaces: an approval gate runs no pod, it takes no workspaces"},
		{"unknown param", ref + `, params: [{name: approvers, value: [a]}, {name: quorum, value: "2"}]`,
			"spec.pipelineSpec.tasks[0] (gate).params[1] (quorum): an approval gate takes the params approvers and message only"},
		{"no approvers", ref + `, params: [{name: message, value: hi}]`,
			"spec.pipelineSpec.tasks[0] (gate).params: param approvers is required"},
		{"an approver resolves to nothing", ref + `, params: [{name: approvers, value: [alice, "$(params.lead)"]}]`,
			"pipeline task gate: params approvers[1]: an approver is empty"},
	}
	ns := namespace(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "invalid-" + string(rune('a'+i))
			apply(t, ns, &windlassv1.PipelineRun{}, `
metadata: {name: `+name+`}
spec:
  pipelineSpec:
    params: [{name: lead, default: ""}]
    workspaces: [{name: src, optional: true}]
    tasks:
    - {name: gate, `+tt.task+`}
`)
			pr := waitDone(t, ns, name, metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
			if c := cond(pr); !strings.Contains(c.Message, tt.want) {
				t.Fatalf("message = %q, want %q", c.Message, tt.want)
			}
		})
	}
}

func TestTaskRunNamingApprovalIsInvalid(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: gate}
spec:
  taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
  params: [{name: approvers, value: [alice]}]
`)
	poll(t, "TaskRun gate InvalidSpec", func(ctx context.Context) bool {
		tr := &windlassv1.TaskRun{}
		if k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "gate"}, tr) != nil {
			return false
		}
		c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Status == metav1.ConditionFalse && c.Reason == windlassv1.ReasonInvalidSpec &&
			strings.Contains(c.Message, "taskRef kind Approval: an approval gate runs only as a pipeline task")
	})
	list := &windlassv1.ApprovalList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil || len(list.Items) != 0 {
		t.Fatalf("approvals = %v, %v; want none", list.Items, err)
	}
}
