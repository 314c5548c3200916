// Package eventlistener implements the EventListener controller: an
// EventListener becomes a Deployment and a Service running the listener,
// under a service account granted exactly what its triggers need. The
// objects are built by the pure internal/listener package and written with
// server-side apply; this package reads the cluster and keeps status.
package eventlistener

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/freshness"
	"github.com/windlass-dev/windlass/internal/listener"
)

// Options configure the controller.
type Options struct {
	// Image runs the listeners (--eventlistener-image). Without it no
	// Deployment is made and listeners report DeployFailed.
	Image string
	// Workers is the number of EventListeners reconciled at once.
	Workers int
}

// Reconciler drives EventListeners.
type Reconciler struct {
	client.Client
	// APIReader reads what the cache does not hold: a named service account
	// (only the listeners' own are cached), and, when a listener goes, the
	// RBAC objects to delete (authoritative, so none is left behind).
	APIReader client.Reader
	Recorder  events.EventRecorder
	Opts      Options

	// fresh skips reconciles of a cached version our own write replaced.
	fresh freshness.Tracker
}

// FieldOwner is the server-side apply field manager of everything the controller writes.
const FieldOwner = "windlass-eventlistener-controller"

// recheck is how often a listener waiting for something the controller does
// not watch (a named service account, a namespace) looks again.
const recheck = 30 * time.Second

// SetupWithManager registers the controller. Triggers, bindings and
// templates re-enqueue the listeners of their namespace, so a reference that
// was missing is noticed when its object appears.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	inNamespace := handler.EnqueueRequestsFromMapFunc(r.listenersIn)
	return ctrl.NewControllerManagedBy(mgr).
		Named("eventlistener").
		For(&triggersv1.EventListener{}).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&triggersv1.Trigger{}, inNamespace).
		Watches(&triggersv1.TriggerBinding{}, inNamespace).
		Watches(&triggersv1.TriggerTemplate{}, inNamespace).
		Watches(&triggersv1.ClusterTriggerBinding{}, handler.EnqueueRequestsFromMapFunc(r.listenersIn)).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Opts.Workers, 1)}).
		Complete(r)
}

// listenersIn maps an object to the listeners of its namespace (of every
// namespace for a cluster-scoped one).
func (r *Reconciler) listenersIn(ctx context.Context, obj client.Object) []reconcile.Request {
	list := &triggersv1.EventListenerList{}
	if err := r.List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing EventListeners to requeue", "namespace", obj.GetNamespace())
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}

// +kubebuilder:rbac:groups=triggers.windlass.dev,resources=eventlisteners,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=triggers.windlass.dev,resources=eventlisteners/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=triggers.windlass.dev,resources=eventlisteners/finalizers,verbs=update
// +kubebuilder:rbac:groups=triggers.windlass.dev,resources=triggers;triggerbindings;triggertemplates;clustertriggerbindings;clusterinterceptors,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings;clusterrolebindings,verbs=get;list;watch;create;update;patch;delete
// RBAC lets the controller grant only what it holds itself: the listeners'
// Roles give create on runs, get on named Secrets and Events.
// +kubebuilder:rbac:groups=windlass.dev,resources=pipelineruns;taskruns,verbs=get;create
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile makes what serves one EventListener and stores its status once, at the end.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	el := &triggersv1.EventListener{}
	if err := r.Get(ctx, req.NamespacedName, el); err != nil {
		if apierrors.IsNotFound(err) {
			r.fresh.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.fresh.Stale(req.NamespacedName, el.ResourceVersion) {
		return ctrl.Result{}, nil // our last write's own event reconciles it again
	}
	if !el.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, el)
	}
	if !controllerutil.ContainsFinalizer(el, listener.Finalizer) {
		// Before any ClusterRoleBinding exists: only the finalizer deletes it.
		if done, err := r.patchFinalizer(ctx, el, true); err != nil || !done {
			return ctrl.Result{}, err
		}
	}
	before := el.DeepCopy()
	defer func() {
		if retErr == nil {
			el.Status.ObservedGeneration = el.Generation
		}
		if equality.Semantic.DeepEqual(before.Status, el.Status) {
			return
		}
		// Computed from a possibly stale cache read: the resourceVersion guard
		// drops it rather than overwrite a newer status; that newer version's
		// event reconciles the listener again.
		err := r.Status().Patch(ctx, el, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return
		}
		if err != nil {
			retErr = kerrors.NewAggregate([]error{retErr, fmt.Errorf("writing status: %w", err)})
			return
		}
		r.fresh.Wrote(req.NamespacedName, before.ResourceVersion, el.ResourceVersion)
		r.recordTransition(ctx, before, el)
	}()
	return r.reconcile(ctx, el)
}

func (r *Reconciler) reconcile(ctx context.Context, el *triggersv1.EventListener) (ctrl.Result, error) {
	var res ctrl.Result
	selected, selectorProblem, err := r.selectedTriggers(ctx, el)
	if err != nil {
		return res, err
	}
	a, err := listener.Analyze(el, selected, &lookup{ctx: ctx, c: r.Client, ns: el.Namespace})
	if err != nil {
		return res, fmt.Errorf("reading the triggers' references: %w", err)
	}
	if selectorProblem != "" {
		a.Problems = append(a.Problems, selectorProblem)
	}
	state := listener.State{Analysis: a, NoImage: r.Opts.Image == ""}
	if name := el.Spec.ServiceAccountName; name != "" {
		err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: el.Namespace, Name: name}, &corev1.ServiceAccount{})
		switch {
		case apierrors.IsNotFound(err):
			// Service accounts are not watched (the cache holds only the
			// listeners' own): look again in a while.
			state.MissingServiceAccount, res.RequeueAfter = name, recheck
		case err != nil:
			return res, fmt.Errorf("getting service account %s (spec.serviceAccountName): %w", name, err)
		}
	}
	d := listener.Build(el, a, listener.Config{Image: r.Opts.Image})
	out, err := r.applyAll(ctx, el, d)
	if apierrors.IsForbidden(err) {
		// The controller's own RBAC lacks something (it can grant only what it
		// holds): an operator's problem, retried, but shown on the listener too.
		meta.SetStatusCondition(&el.Status.Conditions, metav1.Condition{
			Type: triggersv1.ConditionReady, Status: metav1.ConditionFalse, Reason: triggersv1.ReasonDeployFailed,
			Message: "the controller may not do this: " + err.Error(), ObservedGeneration: el.Generation,
		})
	}
	if err != nil {
		return res, err
	}
	if out.missingNamespaces {
		res.RequeueAfter = recheck
	}
	a.Problems = append(a.Problems, out.problems...)
	state.Blocked, state.Deployment = out.blocked, out.deployment
	if err := r.prune(ctx, el, d); err != nil {
		return res, err
	}
	el.Status.Configuration.GeneratedResourceName = listener.GeneratedName(el)
	el.Status.Address = &triggersv1.Addressable{URL: listener.Address(el)}
	meta.SetStatusCondition(&el.Status.Conditions, listener.Ready(el, state))
	return res, nil
}

// selectedTriggers are the Triggers of the listener's namespace its
// labelSelector chooses; a selector that does not parse is a problem to report.
func (r *Reconciler) selectedTriggers(ctx context.Context, el *triggersv1.EventListener) ([]triggersv1.Trigger, string, error) {
	sel, problem := listener.TriggerSelector(el)
	if sel == nil {
		return nil, problem, nil
	}
	list := &triggersv1.TriggerList{}
	if err := r.List(ctx, list, client.InNamespace(el.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, "", fmt.Errorf("listing Triggers for spec.labelSelector: %w", err)
	}
	return list.Items, "", nil
}

// patchFinalizer adds or removes the listener's finalizer. done is false when
// the cached listener was stale: the newer version's event comes next.
func (r *Reconciler) patchFinalizer(ctx context.Context, el *triggersv1.EventListener, add bool) (done bool, err error) {
	oldRV := el.ResourceVersion
	patch := client.MergeFromWithOptions(el.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if add {
		controllerutil.AddFinalizer(el, listener.Finalizer)
	} else {
		controllerutil.RemoveFinalizer(el, listener.Finalizer)
	}
	err = r.Patch(ctx, el, patch)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("updating finalizer %s: %w", listener.Finalizer, err)
	}
	r.fresh.Wrote(client.ObjectKeyFromObject(el), oldRV, el.ResourceVersion)
	return true, nil
}

func readyCondition(el *triggersv1.EventListener) *metav1.Condition {
	return meta.FindStatusCondition(el.Status.Conditions, triggersv1.ConditionReady)
}

// recordTransition logs and emits an Event when Ready changed status or reason.
func (r *Reconciler) recordTransition(ctx context.Context, before, after *triggersv1.EventListener) {
	b, a := readyCondition(before), readyCondition(after)
	if a == nil || (b != nil && b.Status == a.Status && b.Reason == a.Reason) {
		return
	}
	log := ctrl.LoggerFrom(ctx)
	typ := corev1.EventTypeNormal
	if a.Status == metav1.ConditionTrue {
		log.Info("EventListener is ready", "reason", a.Reason, "message", a.Message)
	} else {
		log.Info("EventListener is not ready", "reason", a.Reason, "message", a.Message)
		if a.Reason != triggersv1.ReasonDeploying {
			typ = corev1.EventTypeWarning
		}
	}
	if r.Recorder != nil {
		r.Recorder.Eventf(after, nil, typ, a.Reason, "Reconcile", "%s", a.Message)
	}
}
