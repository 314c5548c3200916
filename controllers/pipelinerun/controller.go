// Package pipelinerun implements the PipelineRun controller: it resolves the
// Pipeline, asks the pure engine (internal/pipeline) what to do given the
// run's TaskRuns, creates or cancels TaskRuns accordingly and stores the
// status. TaskRun names are deterministic, so a restart never duplicates one.
package pipelinerun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/freshness"
	"github.com/windlass-dev/windlass/controllers/runstatus"
	"github.com/windlass-dev/windlass/controllers/taskref"
	"github.com/windlass-dev/windlass/internal/approval"
	"github.com/windlass-dev/windlass/internal/failure"
	"github.com/windlass-dev/windlass/internal/pipeline"
	"github.com/windlass-dev/windlass/internal/resolve"
)

// Options configure the controller.
type Options struct {
	// DefaultTimeout applies to runs without timeouts.pipeline (0: none).
	DefaultTimeout time.Duration
	// NotFoundTimeout is how long a run waits for its Pipeline to appear.
	NotFoundTimeout time.Duration
	// Workers is the number of PipelineRuns reconciled at once.
	Workers int
	// MaxMatrix caps the TaskRuns one matrix may fan out to.
	MaxMatrix int
	// Resolvers are what taskRef and pipelineRef resolvers may use.
	Resolvers taskref.Options
	// TransientTimeout bounds how long, from its creation, a run retries a
	// resolver's server that does not answer before it fails.
	TransientTimeout time.Duration
}

// Reconciler drives PipelineRuns.
type Reconciler struct {
	client.Client
	Recorder events.EventRecorder
	Clock    clock.Clock
	Opts     Options

	// fresh skips reconciles of a cached version our own write replaced.
	fresh freshness.Tracker
	// created remembers TaskRuns made but not cached yet (set up by SetupWithManager).
	created *freshness.Expectations
}

// ownerIndex indexes TaskRuns and Approvals by the PipelineRun that controls them.
const ownerIndex = ".metadata.pipelineRunOwner"

// SetupWithManager registers the controller and its TaskRun index.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.created = freshness.NewExpectations(freshness.ExpectationTTL, r.Clock.Now)
	owner := func(o client.Object) []string {
		if ref := metav1.GetControllerOf(o); ref != nil && ref.Kind == "PipelineRun" && ref.APIVersion == windlassv1.GroupVersion.String() {
			return []string{ref.Name}
		}
		return nil
	}
	for _, obj := range []client.Object{&windlassv1.TaskRun{}, &windlassv1.Approval{}} {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, ownerIndex, owner); err != nil {
			return err
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&windlassv1.PipelineRun{}).
		Owns(&windlassv1.TaskRun{}).
		Owns(&windlassv1.Approval{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Opts.Workers, 1)}).
		Complete(r)
}

// +kubebuilder:rbac:groups=windlass.dev,resources=pipelineruns,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=windlass.dev,resources=pipelineruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=windlass.dev,resources=pipelines,verbs=get;list;watch
// +kubebuilder:rbac:groups=windlass.dev,resources=taskruns,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=windlass.dev,resources=tasks,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;create

// Reconcile moves one PipelineRun forward and stores its status once, at the end.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	pr := &windlassv1.PipelineRun{}
	if err := r.Get(ctx, req.NamespacedName, pr); err != nil {
		if apierrors.IsNotFound(err) {
			r.fresh.Forget(req.NamespacedName)
			r.created.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.fresh.Stale(req.NamespacedName, pr.ResourceVersion) {
		return ctrl.Result{}, nil // our last write's own event reconciles it again
	}
	if !pr.DeletionTimestamp.IsZero() || isDone(pr) {
		r.created.Forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	before := pr.DeepCopy()
	defer func() {
		if retErr == nil {
			pr.Status.ObservedGeneration = pr.Generation
		}
		if equality.Semantic.DeepEqual(before.Status, pr.Status) {
			return // nothing to write: spare the API server a no-op patch
		}
		// Computed from a possibly stale cache read: the resourceVersion guard
		// drops it rather than overwrite a newer status; that newer version's
		// event reconciles the run again.
		err := r.Status().Patch(ctx, pr, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return
		}
		if err != nil {
			retErr = kerrors.NewAggregate([]error{retErr, err})
			return
		}
		r.fresh.Wrote(req.NamespacedName, before.ResourceVersion, pr.ResourceVersion)
		runstatus.Recorder{Events: r.Recorder, Duration: pipelineRunDuration}.Transition(ctx, pr, state(before), state(pr))
	}()
	return r.reconcile(ctx, pr)
}

func (r *Reconciler) reconcile(ctx context.Context, pr *windlassv1.PipelineRun) (ctrl.Result, error) {
	now := r.Clock.Now()
	if pr.Status.StartTime == nil {
		switch pr.Spec.Status {
		case windlassv1.PipelineRunPending, windlassv1.PipelineRunCancelled, windlassv1.PipelineRunCancelledRunFinally:
			started, err := r.hasChildren(ctx, pr)
			if err != nil {
				return ctrl.Result{}, err
			}
			switch {
			case started:
				// The write that recorded the start was lost (it raced the
				// user's update, or the controller restarted): plan as usual,
				// so that TaskRuns already made are cancelled, not orphaned.
			case pr.Spec.Status == windlassv1.PipelineRunPending:
				setCondition(pr, metav1.ConditionUnknown, windlassv1.ReasonPipelineRunPending,
					"The run is pending: nothing is created until spec.status is cleared.")
				return ctrl.Result{}, nil
			default:
				finish(pr, now, windlassv1.ReasonCancelled, "The run was cancelled before it started.")
				return ctrl.Result{}, nil
			}
		}
		t := metav1.NewTime(now.Truncate(time.Second))
		pr.Status.StartTime = &t
		setCondition(pr, metav1.ConditionUnknown, windlassv1.ReasonRunning, "The run is starting.")
	}
	spec, name, err := r.pipelineSpec(ctx, pr)
	if err != nil {
		if taskref.IsNotFound(err) {
			if now.Sub(pr.CreationTimestamp.Time) > r.Opts.NotFoundTimeout {
				finish(pr, now, windlassv1.ReasonPipelineNotFound, err.Error())
				return ctrl.Result{}, nil
			}
			setCondition(pr, metav1.ConditionUnknown, windlassv1.ReasonPipelineNotFound, err.Error()+"; waiting for it to be created")
			return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
		}
		if taskref.IsPermanent(err) {
			finish(pr, now, windlassv1.ReasonInvalidSpec, err.Error())
			return ctrl.Result{}, nil
		}
		if e, ok := failure.As(err); ok && e.Transient {
			// A registry or git/http server that does not answer: retried up
			// to the transient deadline, saying so.
			next := failure.Retry(err, now, pr.CreationTimestamp.Time, r.Opts.TransientTimeout)
			if next.Expired {
				finish(pr, now, e.Reason, next.Message)
				return ctrl.Result{}, nil
			}
			setCondition(pr, metav1.ConditionUnknown, e.Reason, next.Message)
			return ctrl.Result{RequeueAfter: next.Wait}, nil
		}
		return ctrl.Result{}, err
	}
	taskSpecs, err := r.taskSpecs(ctx, pr.Namespace, spec)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := approval.Check(spec); err != nil {
		finish(pr, now, windlassv1.ReasonInvalidSpec, err.Error())
		return ctrl.Result{}, nil
	}
	resolved, err := pipeline.Resolve(pr, name, spec, taskSpecs)
	if err != nil {
		finish(pr, now, windlassv1.ReasonInvalidSpec, err.Error())
		return ctrl.Result{}, nil
	}
	pr.Status.PipelineSpec = spec
	claim := func(b windlassv1.WorkspaceBinding) string { return pipeline.BindingClaim(pr.Name, b) }
	if err := runstatus.CreateClaims(ctx, r.Client, pr, windlassv1.GroupVersion.WithKind("PipelineRun"), pr.Spec.Workspaces, claim); err != nil {
		return ctrl.Result{}, err
	}
	children, err := r.children(ctx, pr)
	if err != nil {
		return ctrl.Result{}, err
	}
	gates, err := r.gates(ctx, pr)
	if err != nil {
		return ctrl.Result{}, err
	}
	gateDeadline, settled, err := r.decideGates(ctx, gates, now)
	if err != nil || !settled {
		// A gate changed while it was decided: its event brings the newer version.
		return ctrl.Result{RequeueAfter: time.Second}, err
	}
	for i := range gates {
		children = append(children, *approval.AsTaskRun(&gates[i]))
	}
	if r.created.Unseen(client.ObjectKeyFromObject(pr), func(name string) bool {
		return slices.ContainsFunc(children, func(tr windlassv1.TaskRun) bool { return tr.Name == name })
	}) {
		// TaskRuns we made moments ago are not cached yet: planning now would
		// create them again. Their create events reconcile the run again (the
		// requeue is a safety net).
		return ctrl.Result{RequeueAfter: freshness.ExpectationTTL}, nil
	}
	out, err := pipeline.Plan(pipeline.Input{
		Run: pr, Resolved: resolved, Children: children, Now: now,
		Config: pipeline.Config{DefaultTimeout: r.Opts.DefaultTimeout, MaxMatrix: r.Opts.MaxMatrix},
	})
	var create []client.Object
	if err == nil {
		create, err = toCreate(out.Create)
	}
	openGates := gatesByName(gates)
	if errors.Is(err, pipeline.ErrInvalid) {
		var cancelErrs []error
		for i := range children {
			if !childDone(&children[i]) {
				cancelErrs = append(cancelErrs, r.stop(ctx, &children[i], openGates, "the PipelineRun is invalid", now))
			}
		}
		finish(pr, now, windlassv1.ReasonInvalidSpec, err.Error())
		return ctrl.Result{}, kerrors.NewAggregate(cancelErrs)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	first := len(children) == 0
	for _, obj := range create {
		err := r.Create(ctx, obj)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, fmt.Errorf("creating %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		if err == nil {
			ctrl.LoggerFrom(ctx).V(1).Info("created", "kind", kindOf(obj), "child", obj.GetName())
			r.created.Created(client.ObjectKeyFromObject(pr), obj.GetName())
			if first {
				first = false
				r.warnUnused(pr, name, resolved)
			}
		}
	}
	byName := map[string]*windlassv1.TaskRun{}
	for i := range children {
		byName[children[i].Name] = &children[i]
	}
	for _, c := range out.Cancel {
		ctrl.LoggerFrom(ctx).Info("stopping a child", "child", c.Name, "why", c.Message)
		if err := r.stop(ctx, byName[c.Name], openGates, c.Message, now); err != nil {
			return ctrl.Result{}, err
		}
	}
	pr.Status.ChildReferences = out.ChildReferences
	pr.Status.SkippedTasks = out.SkippedTasks
	if out.FinallyStarted && pr.Status.FinallyStartTime == nil {
		t := metav1.NewTime(now)
		pr.Status.FinallyStartTime = &t
	}
	if out.Done {
		pr.Status.Results = out.Results
		t := metav1.NewTime(now)
		pr.Status.CompletionTime = &t
	}
	setCondition(pr, out.Status, out.Reason, out.Message)
	requeue := out.RequeueAfter
	if gateDeadline > 0 && (requeue == 0 || gateDeadline < requeue) {
		requeue = gateDeadline
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// hasChildren tells whether the run made any TaskRun or approval gate: one
// in the cache, or one created moments ago that the cache has not shown yet.
func (r *Reconciler) hasChildren(ctx context.Context, pr *windlassv1.PipelineRun) (bool, error) {
	children, err := r.children(ctx, pr)
	if err != nil || len(children) > 0 {
		return len(children) > 0, err
	}
	gates, err := r.gates(ctx, pr)
	if err != nil || len(gates) > 0 {
		return len(gates) > 0, err
	}
	return r.created.Unseen(client.ObjectKeyFromObject(pr), func(string) bool { return false }), nil
}

// cancel asks a TaskRun to stop; its controller does the rest.
func (r *Reconciler) cancel(ctx context.Context, tr *windlassv1.TaskRun, msg string) error {
	if tr == nil || tr.Spec.Status == windlassv1.TaskRunSpecStatusCancelled {
		return nil
	}
	patch := client.MergeFrom(tr.DeepCopy())
	tr.Spec.Status, tr.Spec.StatusMessage = windlassv1.TaskRunSpecStatusCancelled, msg
	if err := r.Patch(ctx, tr, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cancelling TaskRun %s: %w", tr.Name, err)
	}
	return nil
}

// pipelineSpec is the pipeline the run runs: as stored when it started, else
// embedded, else read from the referenced Pipeline.
func (r *Reconciler) pipelineSpec(ctx context.Context, pr *windlassv1.PipelineRun) (*windlassv1.PipelineSpec, string, error) {
	name := pr.Name
	if ref := pr.Spec.PipelineRef; ref != nil {
		name = ref.Name
		if t, err := taskref.ParsePipeline(ref, pr.Namespace, r.Opts.Resolvers.Namespaces); err == nil && t.Name != "" {
			name = t.Name
		}
	}
	if pr.Status.PipelineSpec != nil {
		return pr.Status.PipelineSpec, name, nil
	}
	if pr.Spec.PipelineSpec != nil {
		return pr.Spec.PipelineSpec.DeepCopy(), name, nil
	}
	p, src, err := taskref.GetPipeline(ctx, r.Client, pr.Spec.PipelineRef, pr.Namespace, r.Opts.Resolvers)
	if err != nil {
		return nil, "", err
	}
	if src != nil {
		pr.Status.Provenance = &windlassv1.Provenance{RefSource: src}
		if name == "" {
			name = p.Name
		}
	}
	return &p.Spec, name, nil
}

// taskSpecs reads the referenced Tasks that exist, so result references can
// be checked; a missing Task or a bad reference is left to its TaskRun to report.
func (r *Reconciler) taskSpecs(ctx context.Context, ns string, spec *windlassv1.PipelineSpec) (map[string]*windlassv1.TaskSpec, error) {
	out := map[string]*windlassv1.TaskSpec{}
	for _, list := range [][]windlassv1.PipelineTask{spec.Tasks, spec.Finally} {
		for _, pt := range list {
			if pt.TaskRef == nil {
				continue
			}
			if approval.IsApproval(pt.TaskRef) {
				out[pt.Name] = approval.TaskSpec()
				continue
			}
			if taskref.IsRemote(pt.TaskRef) {
				continue // fetched once, by its TaskRun, which pins it: not on every reconcile of the run
			}
			t, _, err := taskref.Get(ctx, r.Client, pt.TaskRef, ns, r.Opts.Resolvers)
			switch {
			case err == nil:
				out[pt.Name] = &t.Spec
			case !taskref.IsNotFound(err) && !taskref.IsPermanent(err):
				return nil, err
			}
		}
	}
	return out, nil
}

// children are the run's TaskRuns from the cache, those it controls only.
func (r *Reconciler) children(ctx context.Context, pr *windlassv1.PipelineRun) ([]windlassv1.TaskRun, error) {
	list := &windlassv1.TaskRunList{}
	if err := r.List(ctx, list, client.InNamespace(pr.Namespace), client.MatchingFields{ownerIndex: pr.Name}); err != nil {
		return nil, err
	}
	out := list.Items[:0]
	for _, tr := range list.Items {
		if ref := metav1.GetControllerOf(&tr); ref != nil && ref.UID == pr.UID {
			out = append(out, tr)
		}
	}
	return out, nil
}

func childDone(tr *windlassv1.TaskRun) bool { return runstatus.Done(tr.Status.Conditions) }

func isDone(pr *windlassv1.PipelineRun) bool { return runstatus.Done(pr.Status.Conditions) }

func setCondition(pr *windlassv1.PipelineRun, status metav1.ConditionStatus, reason, message string) {
	runstatus.Set(&pr.Status.Conditions, pr.Generation, status, reason, message)
}

func state(pr *windlassv1.PipelineRun) runstatus.State {
	return runstatus.State{Conditions: pr.Status.Conditions, StartTime: pr.Status.StartTime, Completion: pr.Status.CompletionTime}
}

// finish ends a run that fails before or outside the engine.
func finish(pr *windlassv1.PipelineRun, now time.Time, reason, message string) {
	t := metav1.NewTime(now)
	pr.Status.CompletionTime = &t
	setCondition(pr, metav1.ConditionFalse, reason, message)
}

// warnUnused tells, once (with the run's first TaskRun), which of the run's
// params the referenced Pipeline ignores.
func (r *Reconciler) warnUnused(pr *windlassv1.PipelineRun, name string, res *pipeline.Resolved) {
	if msg := resolve.UnusedMessage("Pipeline", name, res.Spec.Params, res.Unused); msg != "" && r.Recorder != nil {
		r.Recorder.Eventf(pr, nil, corev1.EventTypeWarning, "UnusedParams", "Bind", "%s", msg)
	}
}
