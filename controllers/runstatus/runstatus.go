// Package runstatus holds what the TaskRun and PipelineRun controllers do
// alike with a run: read and set its Succeeded condition, make the claims
// of its volumeClaimTemplate workspaces, and record a transition of its
// condition (a log line, an Event, the duration metric).
package runstatus

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Condition is the Succeeded condition among conds, or nil.
func Condition(conds []metav1.Condition) *metav1.Condition {
	return meta.FindStatusCondition(conds, windlassv1.ConditionSucceeded)
}

// Done reports whether conds hold a final Succeeded condition.
func Done(conds []metav1.Condition) bool {
	c := Condition(conds)
	return c != nil && c.Status != metav1.ConditionUnknown
}

// Set sets the Succeeded condition, observed at generation.
func Set(conds *[]metav1.Condition, generation int64, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: windlassv1.ConditionSucceeded, Status: status, Reason: reason, Message: message,
		ObservedGeneration: generation,
	})
}

// State is what a transition compares of a run, before and after a reconcile.
type State struct {
	Conditions            []metav1.Condition
	StartTime, Completion *metav1.Time
}

// Recorder records the transitions of one kind of run.
type Recorder struct {
	Events events.EventRecorder // nil: no Events
	// Duration observes a finished run's seconds by status and reason.
	Duration *prometheus.HistogramVec
}

// Transition records that obj moved from before to after, if its condition
// changed status or reason: one log line (info; a failure's reason and
// message too: they never hold secret values, the entrypoint masks them),
// an Event when the run starts or ends, and its duration when it ends.
func (r Recorder) Transition(ctx context.Context, obj client.Object, before, after State) {
	b, a := Condition(before.Conditions), Condition(after.Conditions)
	if a == nil || (b != nil && b.Status == a.Status && b.Reason == a.Reason) {
		return
	}
	log := ctrl.LoggerFrom(ctx)
	switch a.Status {
	case metav1.ConditionTrue:
		log.Info("run succeeded", "reason", a.Reason, "duration", duration(after))
	case metav1.ConditionFalse:
		log.Info("run failed", "reason", a.Reason, "message", a.Message, "duration", duration(after))
	default:
		log.V(1).Info("run progressed", "reason", a.Reason, "message", a.Message)
	}
	if a.Status != metav1.ConditionUnknown && after.StartTime != nil && after.Completion != nil && r.Duration != nil {
		r.Duration.WithLabelValues(string(a.Status), a.Reason).Observe(after.Completion.Sub(after.StartTime.Time).Seconds())
	}
	if r.Events == nil {
		return
	}
	switch {
	case a.Status == metav1.ConditionTrue:
		r.Events.Eventf(obj, nil, corev1.EventTypeNormal, a.Reason, "Finish", "%s", a.Message)
	case a.Status == metav1.ConditionFalse:
		r.Events.Eventf(obj, nil, corev1.EventTypeWarning, a.Reason, "Finish", "%s", a.Message)
	case before.StartTime == nil && after.StartTime != nil:
		r.Events.Eventf(obj, nil, corev1.EventTypeNormal, "Started", "Start", "The run started.")
	}
}

func duration(s State) string {
	if s.StartTime == nil || s.Completion == nil {
		return ""
	}
	return s.Completion.Sub(s.StartTime.Time).String()
}

// CreateClaims makes a PVC named claimName(binding) for each workspace
// bound by volumeClaimTemplate, owned by the run (kind gvk) so it goes with
// it. A claim that exists already (an earlier attempt's) is kept.
func CreateClaims(ctx context.Context, c client.Client, owner client.Object, gvk schema.GroupVersionKind,
	bindings []windlassv1.WorkspaceBinding, claimName func(windlassv1.WorkspaceBinding) string) error {
	for _, b := range bindings {
		if b.VolumeClaimTemplate == nil {
			continue
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{
				Name: claimName(b), Namespace: owner.GetNamespace(),
				Labels: b.VolumeClaimTemplate.Labels, Annotations: b.VolumeClaimTemplate.Annotations,
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, gvk)},
			},
			Spec: *b.VolumeClaimTemplate.Spec.DeepCopy(),
		}
		if err := c.Create(ctx, pvc); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating claim %s for workspace %q: %w", pvc.Name, b.Name, err)
		}
	}
	return nil
}
