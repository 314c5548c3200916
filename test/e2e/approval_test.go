//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

// approveAs appends a decision the way an approver's
// `kubectl --as USER patch approval NAME --type=json -p '[{"op":"add","path":"/spec/decisions/-","value":{...}}]'` does.
func approveAs(t *testing.T, user string, groups []string, ns, name string, d windlassv1.ApprovalDecisionValue, comment string) error {
	t.Helper()
	c, err := util.ClientAs(admin, user, groups...)
	if err != nil {
		t.Fatal(err)
	}
	patch, _ := json.Marshal([]map[string]any{{"op": "add", "path": "/spec/decisions/-",
		"value": windlassv1.ApprovalDecision{User: user, Decision: d, Comment: comment, Time: &metav1.Time{Time: time.Now()}}}})
	a := &windlassv1.Approval{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	return c.Patch(context.Background(), a, client.RawPatch(types.JSONPatchType, patch))
}

func waitApproval(t *testing.T, ns, name, reason string, timeout time.Duration) *windlassv1.Approval {
	t.Helper()
	a := &windlassv1.Approval{}
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, a) != nil {
			return false, nil
		}
		c := meta.FindStatusCondition(a.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Reason == reason, nil
	})
	if err != nil {
		t.Fatalf("Approval %s/%s never %s: %+v", ns, name, reason, a.Status)
	}
	return a
}

// TestApprovalGateOnTheCluster: the release's admission policy and approver
// role on the real API server. A gate between two tasks refuses an unlisted
// user, takes a listed user's approval (impersonated, as their kubectl would
// be), and the next task runs with decidedBy; another run's gate times out.
func TestApprovalGateOnTheCluster(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	bindApprovers(t, ns, "alice", "mallory")
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: gated}
spec:
  params: [{name: timeout, default: 1h}]
  tasks:
  - name: build
    taskSpec:
      results: [{name: digest}]
      steps: [{name: build, image: SHELL, script: 'echo -n sha256:feed > $(results.digest.path)'}]
  - name: approve
    runAfter: [build]
    taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
    params:
    - {name: approvers, value: [alice, "group:release-managers"]}
    - {name: message, value: "deploy $(tasks.build.results.digest) to prod?"}
  - name: deploy
    params: [{name: by, value: $(tasks.approve.results.decidedBy)}, {name: digest, value: $(tasks.build.results.digest)}]
    taskSpec:
      params: [{name: by}, {name: digest}]
      results: [{name: out}]
      steps: [{name: deploy, image: SHELL, script: 'echo -n "$(params.digest) approved by $(params.by)" > $(results.out.path)'}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: approved}
spec: {pipelineRef: {name: gated}}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: unattended}
spec:
  pipelineSpec:
    tasks:
    - name: approve
      timeout: 3s
      taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
      params: [{name: approvers, value: [alice]}]
`)
	gate := waitApproval(t, ns, "approved-approve", windlassv1.ReasonAwaitingApproval, 2*time.Minute)
	if gate.Spec.Message != "deploy sha256:feed to prod?" {
		t.Fatalf("gate message = %q", gate.Spec.Message)
	}

	err := approveAs(t, "mallory", nil, ns, "approved-approve", windlassv1.ApprovalApproved, "")
	if err == nil || !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) ||
		!strings.Contains(err.Error(), "user mallory may not decide Approval approved-approve: the approvers are alice, group:release-managers") {
		t.Fatalf("an unlisted user: %v; want the release's policy to refuse, naming the approvers", err)
	}
	if err := approveAs(t, "alice", nil, ns, "approved-approve", windlassv1.ApprovalApproved, "ship it"); err != nil {
		t.Fatalf("a listed user: %v", err)
	}
	pr := waitPipelineDone(t, ns, "approved", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if got := resultOf(t, getTaskRun(t, ns, "approved-deploy"), "out").StringVal; got != "sha256:feed approved by alice" {
		t.Fatalf("deploy saw %q", got)
	}
	gate = waitApproval(t, ns, "approved-approve", windlassv1.ReasonApproved, 10*time.Second)
	if gate.Status.DecidedBy != "alice" || gate.Status.Comment != "ship it" || gate.Status.CompletionTime == nil {
		t.Fatalf("audit trail = %+v", gate.Status)
	}
	if n := len(pr.Status.ChildReferences); n != 3 || pr.Status.ChildReferences[1].Kind != "Approval" {
		t.Fatalf("childReferences = %+v", pr.Status.ChildReferences)
	}

	waitApproval(t, ns, "unattended-approve", windlassv1.ReasonApprovalTimedOut, time.Minute)
	late := waitPipelineDone(t, ns, "unattended", metav1.ConditionFalse, windlassv1.ReasonFailed, 30*time.Second)
	if c := prCondition(late); !strings.Contains(c.Message, "ApprovalTimedOut: no decision within 3s") {
		t.Fatalf("timed-out run: %q", c.Message)
	}
	err = approveAs(t, "alice", nil, ns, "unattended-approve", windlassv1.ApprovalApproved, "")
	if err == nil || !strings.Contains(err.Error(), "is already decided: ApprovalTimedOut") {
		t.Fatalf("a decision after the timeout: %v", err)
	}
}

// bindApprovers lets users patch Approvals in ns (the release's role):
// only the admission policy tells a listed approver from another.
func bindApprovers(t *testing.T, ns string, users ...string) {
	t.Helper()
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "approvers", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "windlass-approver"},
	}
	for _, u := range users {
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u})
	}
	if err := crc.Create(context.Background(), binding); err != nil {
		t.Fatal(err)
	}
}
