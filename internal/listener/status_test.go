package listener

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

func deployment(replicas int32, generation, observed int64, available, ready int32, conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "el-gh", Generation: generation}}
	d.Spec.Replicas = ptr.To(replicas)
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: observed, AvailableReplicas: available, ReadyReplicas: ready, Conditions: conds}
	return d
}

func TestReady(t *testing.T) {
	el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "gh", Namespace: "ci", Generation: 4}}
	up := deployment(2, 3, 3, 1, 1)
	problems := &Analysis{Problems: []string{`triggers[0] (push): TriggerTemplate "build" not found`}}
	ungranted := &Analysis{Ungranted: []schema.GroupKind{{Kind: "ConfigMap"}}}
	tests := []struct {
		name    string
		state   State
		status  metav1.ConditionStatus
		reason  string
		message string
	}{
		{name: "no Deployment yet", state: State{}, status: metav1.ConditionFalse, reason: triggersv1.ReasonDeploying,
			message: "waiting for the Deployment to be created"},
		{name: "new spec not observed", state: State{Deployment: deployment(1, 2, 1, 1, 1)}, status: metav1.ConditionFalse, reason: triggersv1.ReasonDeploying,
			message: "Deployment el-gh: waiting for its rollout to start (1/1 replicas ready)"},
		{name: "no replica available", state: State{Deployment: deployment(2, 1, 1, 0, 0)}, status: metav1.ConditionFalse, reason: triggersv1.ReasonDeploying,
			message: "Deployment el-gh: 0/2 replicas ready"},
		{name: "one replica available", state: State{Deployment: up}, status: metav1.ConditionTrue, reason: triggersv1.ReasonReady,
			message: "Deployment el-gh: 1/2 replicas ready"},
		{name: "scaled to zero", state: State{Deployment: deployment(0, 1, 1, 0, 0)}, status: metav1.ConditionFalse, reason: triggersv1.ReasonDeploying,
			message: "Deployment el-gh is scaled to 0"},
		{name: "progress deadline exceeded", state: State{Deployment: deployment(1, 1, 1, 0, 0, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "el-gh-1" has timed out progressing.`,
		})}, status: metav1.ConditionFalse, reason: triggersv1.ReasonDeployFailed,
			message: `Deployment el-gh: ProgressDeadlineExceeded: ReplicaSet "el-gh-1" has timed out progressing.`},
		{name: "pods cannot be created", state: State{Deployment: deployment(1, 1, 1, 0, 0, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: `serviceaccount "bot" not found`,
		})}, status: metav1.ConditionFalse, reason: triggersv1.ReasonDeployFailed,
			message: `Deployment el-gh: FailedCreate: serviceaccount "bot" not found`},
		{name: "invalid triggers, the rest served", state: State{Deployment: up, Analysis: problems}, status: metav1.ConditionFalse, reason: triggersv1.ReasonInvalidTriggers,
			message: `triggers[0] (push): TriggerTemplate "build" not found; Deployment el-gh: 1/2 replicas ready`},
		{name: "missing account outranks invalid triggers", state: State{Deployment: up, Analysis: problems, MissingServiceAccount: "bot"}, status: metav1.ConditionFalse,
			reason:  triggersv1.ReasonServiceAccountNotFound,
			message: `service account "bot" (spec.serviceAccountName) not found: create it, or leave the field empty for a dedicated account`},
		{name: "no image outranks everything", state: State{NoImage: true, MissingServiceAccount: "bot", Analysis: problems}, status: metav1.ConditionFalse,
			reason: triggersv1.ReasonDeployFailed, message: NoImageMessage},
		{name: "refused object", state: State{Blocked: []string{"ClusterRoleBinding x already serves EventListener a-b/c: rename this listener"}, Deployment: up},
			status: metav1.ConditionFalse, reason: triggersv1.ReasonDeployFailed, message: "ClusterRoleBinding x already serves EventListener a-b/c: rename this listener"},
		{name: "ungranted kinds are noted on a ready listener", state: State{Deployment: up, Analysis: ungranted}, status: metav1.ConditionTrue, reason: triggersv1.ReasonReady,
			message: "Deployment el-gh: 1/2 replicas ready; kind ConfigMap (group core) is not granted: give service account el-gh permission to create it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Ready(el, tt.state)
			if c.Type != triggersv1.ConditionReady || c.Status != tt.status || c.Reason != tt.reason || c.Message != tt.message || c.ObservedGeneration != 4 {
				t.Fatalf("got %s/%s/%s %q (generation %d)\nwant %s/%s %q", c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration, tt.status, tt.reason, tt.message)
			}
		})
	}
}
