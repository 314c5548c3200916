package listener

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

// NoImageMessage is the Ready message of a controller started without --eventlistener-image.
const NoImageMessage = "the controller has no --eventlistener-image"

// State is what the controller saw while reconciling a listener, for its Ready condition.
type State struct {
	// NoImage: the controller has no --eventlistener-image, so no Deployment.
	NoImage bool
	// MissingServiceAccount is spec.serviceAccountName when that account does not exist.
	MissingServiceAccount string
	// Blocked are objects the listener needs that something else holds, or a
	// Deployment or Service the API server refused, one sentence each.
	Blocked []string
	// Analysis of the triggers; Problems make the listener InvalidTriggers.
	Analysis *Analysis
	// Deployment is the listener's Deployment as last written (nil: none yet).
	Deployment *appsv1.Deployment
}

// Ready is the listener's Ready condition. The worst thing wins: no image or
// a refused object (DeployFailed), a missing account, missing trigger
// references (InvalidTriggers; the listener still serves the valid
// triggers), then the Deployment's own state. Kinds the listener's account
// is not granted are appended to any message.
func Ready(el *triggersv1.EventListener, s State) metav1.Condition {
	status, reason, msg := deploymentState(s.Deployment)
	switch {
	case s.NoImage:
		status, reason, msg = metav1.ConditionFalse, triggersv1.ReasonDeployFailed, NoImageMessage
	case len(s.Blocked) > 0:
		status, reason, msg = metav1.ConditionFalse, triggersv1.ReasonDeployFailed, strings.Join(s.Blocked, "; ")
	case s.MissingServiceAccount != "":
		status, reason = metav1.ConditionFalse, triggersv1.ReasonServiceAccountNotFound
		msg = fmt.Sprintf("service account %q (spec.serviceAccountName) not found: create it, or leave the field empty for a dedicated account", s.MissingServiceAccount)
	case s.Analysis != nil && len(s.Analysis.Problems) > 0:
		status, reason = metav1.ConditionFalse, triggersv1.ReasonInvalidTriggers
		msg = strings.Join(s.Analysis.Problems, "; ") + "; " + msg
	}
	if s.Analysis != nil {
		if u := UngrantedMessage(el, s.Analysis); u != "" {
			msg += "; " + u
		}
	}
	return metav1.Condition{
		Type: triggersv1.ConditionReady, Status: status, Reason: reason, Message: msg,
		ObservedGeneration: el.Generation,
	}
}

// deploymentState reads the Deployment's rollout: Ready with at least one
// available replica of its current generation, DeployFailed when it stopped
// progressing or cannot create pods, Deploying otherwise.
func deploymentState(d *appsv1.Deployment) (metav1.ConditionStatus, string, string) {
	if d == nil {
		return metav1.ConditionFalse, triggersv1.ReasonDeploying, "waiting for the Deployment to be created"
	}
	for _, c := range d.Status.Conditions {
		failed := (c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse) ||
			(c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue)
		if failed {
			return metav1.ConditionFalse, triggersv1.ReasonDeployFailed,
				fmt.Sprintf("Deployment %s: %s: %s", d.Name, c.Reason, c.Message)
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	switch {
	case d.Status.ObservedGeneration < d.Generation:
		return metav1.ConditionFalse, triggersv1.ReasonDeploying,
			fmt.Sprintf("Deployment %s: waiting for its rollout to start (%d/%d replicas ready)", d.Name, d.Status.ReadyReplicas, want)
	case want == 0:
		return metav1.ConditionFalse, triggersv1.ReasonDeploying, fmt.Sprintf("Deployment %s is scaled to 0", d.Name)
	case d.Status.AvailableReplicas >= 1:
		return metav1.ConditionTrue, triggersv1.ReasonReady,
			fmt.Sprintf("Deployment %s: %d/%d replicas ready", d.Name, d.Status.ReadyReplicas, want)
	default:
		return metav1.ConditionFalse, triggersv1.ReasonDeploying,
			fmt.Sprintf("Deployment %s: %d/%d replicas ready", d.Name, d.Status.ReadyReplicas, want)
	}
}
