package pipelinerun

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/approval"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

// Approval gates are run here, not by a TaskRun: the run's Approvals are
// decided (internal/approval), then shown to the engine as TaskRuns.

// +kubebuilder:rbac:groups=windlass.dev,resources=approvals,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=windlass.dev,resources=approvals/status,verbs=get;update;patch

// gates are the run's Approvals from the cache, those it controls only.
func (r *Reconciler) gates(ctx context.Context, pr *windlassv1.PipelineRun) ([]windlassv1.Approval, error) {
	list := &windlassv1.ApprovalList{}
	if err := r.List(ctx, list, client.InNamespace(pr.Namespace), client.MatchingFields{ownerIndex: pr.Name}); err != nil {
		return nil, err
	}
	out := list.Items[:0]
	for _, a := range list.Items {
		if ref := metav1.GetControllerOf(&a); ref != nil && ref.UID == pr.UID {
			out = append(out, a)
		}
	}
	return out, nil
}

// decideGates evaluates every open gate and stores what changed. It returns
// how long until the nearest gate's timeout, and settled=false when a write
// lost a race with a newer version of a gate (a decision just made): the run
// must then wait for that version rather than plan from a status not stored.
func (r *Reconciler) decideGates(ctx context.Context, gates []windlassv1.Approval, now time.Time) (next time.Duration, settled bool, err error) {
	for i := range gates {
		a := &gates[i]
		before := a.DeepCopy()
		if d := approval.Evaluate(a, now); d > 0 && (next == 0 || d < next) {
			next = d
		}
		if ok, err := r.writeGate(ctx, a, before); !ok || err != nil {
			return 0, false, err
		}
	}
	return next, true, nil
}

// writeGate stores a gate's status if it changed, guarded by its
// resourceVersion: it tells whether the status is now stored.
func (r *Reconciler) writeGate(ctx context.Context, a, before *windlassv1.Approval) (bool, error) {
	if equality.Semantic.DeepEqual(before.Status, a.Status) {
		return true, nil
	}
	err := r.Status().Patch(ctx, a, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("writing the status of Approval %s: %w", a.Name, err)
	}
	return true, nil
}

// cancelGate closes an open gate as Cancelled.
func (r *Reconciler) cancelGate(ctx context.Context, a *windlassv1.Approval, msg string, now time.Time) error {
	before := a.DeepCopy()
	if !approval.Cancel(a, msg, now) {
		return nil
	}
	ok, err := r.writeGate(ctx, a, before)
	if err == nil && !ok {
		err = fmt.Errorf("cancelling Approval %s: it changed meanwhile; trying again", a.Name)
	}
	return err
}

// toCreate turns what the engine planned into the objects to create: a
// TaskRun, or for a gate its Approval. A gate whose params resolved to
// something unusable makes the run invalid.
func toCreate(planned []*windlassv1.TaskRun) ([]client.Object, error) {
	out := make([]client.Object, 0, len(planned))
	for _, tr := range planned {
		if !approval.IsApproval(tr.Spec.TaskRef) {
			out = append(out, tr)
			continue
		}
		a, err := approval.FromTaskRun(tr)
		if err != nil {
			return nil, &pipeline.InvalidError{Err: err}
		}
		out = append(out, a)
	}
	return out, nil
}

// stop cancels a running child: a TaskRun through its spec, a gate here.
func (r *Reconciler) stop(ctx context.Context, tr *windlassv1.TaskRun, gates map[string]*windlassv1.Approval, msg string, now time.Time) error {
	if tr == nil {
		return nil
	}
	if a := gates[tr.Name]; a != nil {
		return r.cancelGate(ctx, a, msg, now)
	}
	return r.cancel(ctx, tr, msg)
}

func gatesByName(gates []windlassv1.Approval) map[string]*windlassv1.Approval {
	out := make(map[string]*windlassv1.Approval, len(gates))
	for i := range gates {
		out[gates[i].Name] = &gates[i]
	}
	return out
}

func kindOf(obj client.Object) string {
	if _, ok := obj.(*windlassv1.Approval); ok {
		return windlassv1.ApprovalKind
	}
	return "TaskRun"
}
