// Package taskrun implements the TaskRun controller: it resolves the Task,
// binds params and substitutes references, creates the run's pod, and turns
// the pod's container states into the run's status.
package taskrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/freshness"
	"github.com/windlass-dev/windlass/controllers/runstatus"
	"github.com/windlass-dev/windlass/controllers/taskref"
	"github.com/windlass-dev/windlass/internal/failure"
	"github.com/windlass-dev/windlass/internal/podspec"
	"github.com/windlass-dev/windlass/internal/resolve"
)

// Options configure the controller.
type Options struct {
	Pod podspec.Config
	// DefaultTimeout applies to runs without spec.timeout (0: none).
	DefaultTimeout time.Duration
	// TaskNotFoundTimeout is how long a run waits for its Task to appear.
	TaskNotFoundTimeout time.Duration
	// Workers is the number of TaskRuns reconciled at once.
	Workers int
	// ProgressInterval is the least time between two writes of a running
	// run's step states (default 1s).
	ProgressInterval time.Duration
	// Resolvers are what taskRef resolvers may use (cluster namespaces, bundles).
	Resolvers taskref.Options
	// TransientTimeout bounds how long, from its start, a run retries what
	// is not its spec's fault (a registry that does not answer, a service
	// account not created yet) before it fails with a reason naming it.
	TransientTimeout time.Duration
	// ImagePullTimeout bounds how long, from its pod's start, a run waits
	// out transient image pull failures (the kubelet's back-off); a
	// definitive one (not found, refused, a bad name) fails it at once.
	ImagePullTimeout time.Duration
}

func (r *Reconciler) progressInterval() time.Duration {
	if r.Opts.ProgressInterval > 0 {
		return r.Opts.ProgressInterval
	}
	return time.Second
}

// ImageLookup tells what an image runs by default, for steps without a command.
type ImageLookup interface {
	Config(ctx context.Context, image, namespace string, pullSecrets []string) (podspec.ImageConfig, error)
}

// Reconciler drives TaskRuns.
type Reconciler struct {
	client.Client
	// APIReader reads service accounts and Secrets uncached, for credentials.
	APIReader client.Reader
	Kube      kubernetes.Interface // pod logs, for results framed into the log
	Recorder  events.EventRecorder
	Clock     clock.Clock
	Images    ImageLookup
	Opts      Options

	// lastProgress remembers when a running run's step states were last written.
	lastProgress sync.Map
	// fresh skips reconciles of a cached version our own write replaced.
	fresh freshness.Tracker
	// created remembers pods made but not cached yet (set up by SetupWithManager).
	created *freshness.Expectations
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Clock == nil {
		r.Clock = clock.RealClock{}
	}
	r.created = freshness.NewExpectations(freshness.ExpectationTTL, r.Clock.Now)
	return ctrl.NewControllerManagedBy(mgr).
		Named("taskrun").
		// TaskRuns waiting for their pod go first (see runHandler).
		WatchesRawSource(source.Kind(mgr.GetCache(), &windlassv1.TaskRun{}, runHandler())).
		Watches(&corev1.Pod{}, handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &windlassv1.TaskRun{}, handler.OnlyControllerOwner())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Opts.Workers, 1)}).
		Complete(r)
}

// +kubebuilder:rbac:groups=windlass.dev,resources=taskruns,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=windlass.dev,resources=taskruns/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=windlass.dev,resources=tasks,verbs=get;list;watch
// +kubebuilder:rbac:groups=windlass.dev,resources=stepactions,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods/log,verbs=get
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;create
// +kubebuilder:rbac:groups="",resources=serviceaccounts;secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconcile moves one TaskRun forward and persists its status once, at the end.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, retErr error) {
	tr := &windlassv1.TaskRun{}
	if err := r.Get(ctx, req.NamespacedName, tr); err != nil {
		if apierrors.IsNotFound(err) {
			r.fresh.Forget(req.NamespacedName)
			r.created.Forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.fresh.Stale(req.NamespacedName, tr.ResourceVersion) {
		return ctrl.Result{}, nil // our last write's own event reconciles it again
	}
	if !tr.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the pod is owned by the run: garbage collection removes it
	}
	if isDone(tr) {
		r.created.Forget(req.NamespacedName)
		return ctrl.Result{}, r.cleanupPod(ctx, tr)
	}
	before := tr.DeepCopy()
	defer func() {
		if retErr == nil {
			tr.Status.ObservedGeneration = tr.Generation
		}
		if equality.Semantic.DeepEqual(before.Status, tr.Status) {
			return // nothing to write: spare the API server a no-op patch
		}
		// The patch carries the resourceVersion it was computed from: a reconcile
		// that read a stale TaskRun from the cache (right after our own write)
		// must not overwrite a newer status. Its conflict is dropped: the newer
		// version's event reconciles the run again.
		err := r.Status().Patch(ctx, tr, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return
		}
		if err != nil {
			retErr = kerrors.NewAggregate([]error{retErr, err})
			return
		}
		r.fresh.Wrote(req.NamespacedName, before.ResourceVersion, tr.ResourceVersion)
		r.transitions().Transition(ctx, tr, state(before), state(tr))
		// A pod is stopped only once the run's final status is stored, so a
		// reconcile on stale data can never mistake it for a vanished pod.
		if isDone(tr) {
			retErr = kerrors.NewAggregate([]error{retErr, r.cleanupPod(ctx, tr)})
		}
	}()
	return r.reconcile(ctx, tr)
}

func (r *Reconciler) reconcile(ctx context.Context, tr *windlassv1.TaskRun) (ctrl.Result, error) {
	now := r.Clock.Now()
	if tr.Status.StartTime == nil {
		t := metav1.NewTime(now.Truncate(time.Second)) // what the API stores anyway
		tr.Status.StartTime = &t
		setCondition(tr, metav1.ConditionUnknown, windlassv1.ReasonPending, "The run is starting.")
	}
	pod, err := r.getPod(ctx, tr)
	if err != nil {
		return ctrl.Result{}, err
	}
	if r.created.Unseen(client.ObjectKeyFromObject(tr), func(name string) bool { return pod != nil && pod.Name == name }) {
		// We made the pod moments ago and the cache has not shown it yet: its
		// create event reconciles the run again (the requeue is a safety net).
		return ctrl.Result{RequeueAfter: freshness.ExpectationTTL}, nil
	}

	// Cancel and timeout stop the pod, whatever state it is in.
	if tr.Spec.Status == windlassv1.TaskRunSpecStatusCancelled {
		r.stop(tr, pod, windlassv1.ReasonCancelled, "Cancelled", cancelMessage(tr))
		return ctrl.Result{}, nil
	}
	timeout := r.timeout(tr)
	requeue := ctrl.Result{}
	if timeout > 0 {
		// startTime is stored with one-second precision (cut, never rounded up);
		// the second added here makes a timeout fire up to 1 s late, never early.
		left := tr.Status.StartTime.Add(timeout + time.Second).Sub(now)
		if left <= 0 {
			r.stop(tr, pod, windlassv1.ReasonTimedOut, "TimeoutExceeded", fmt.Sprintf("The run exceeded its timeout of %s", timeout))
			return ctrl.Result{}, nil
		}
		requeue.RequeueAfter = left
	}

	spec, taskName, err := r.resolveTask(ctx, tr)
	if err != nil {
		return r.refError(ctx, tr, err)
	}

	if pod == nil && tr.Status.PodName != "" && r.APIReader != nil {
		// The pod cache may not have seen a pod we just created: ask the API
		// server before calling it deleted.
		live := &corev1.Pod{}
		err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: tr.Namespace, Name: tr.Status.PodName}, live)
		if err == nil {
			return ctrl.Result{RequeueAfter: 100 * time.Millisecond}, nil
		}
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("getting pod %s: %w", tr.Status.PodName, err)
		}
	}
	if pod == nil {
		if tr.Status.PodName != "" {
			markStopped(tr, "PodDeleted", now)
			finish(tr, now, false, windlassv1.ReasonPodDeleted, fmt.Sprintf("The pod %s was deleted before the run finished.", tr.Status.PodName))
			return ctrl.Result{}, nil
		}
		res, err := r.createPod(ctx, tr, spec, taskName)
		if err != nil || res.RequeueAfter > 0 {
			return res, err
		}
		return requeue, nil
	}

	prevSteps, prevSidecars, prevReason := tr.Status.Steps, tr.Status.Sidecars, condition(tr).Reason
	states := stepStates(tr, spec, pod)
	out := podOutcome(spec, pod, states)
	if !out.done && out.waiting != "" {
		// The kubelet backs off and pulls again, the scheduler tries again
		// when the claim comes: wait, up to the deadline.
		reason, limit, flag := windlassv1.ReasonImagePullFailed, r.Opts.ImagePullTimeout, "--image-pull-timeout"
		if out.waitReason != "" {
			reason, limit, flag = out.waitReason, r.Opts.TransientTimeout, "--transient-error-timeout"
		}
		since := pod.CreationTimestamp.Time
		if pod.Status.StartTime != nil {
			since = pod.Status.StartTime.Time
		}
		// Both times are stored cut to the second: the second added makes
		// the wait end up to 1 s late, never early (as the run's timeout).
		deadline := since.Add(limit + time.Second)
		if !now.Before(deadline) {
			r.stop(tr, pod, reason, reason, fmt.Sprintf("%s; still failing after %s (%s)", out.waiting, limit, flag))
			return ctrl.Result{}, nil
		}
		setCondition(tr, metav1.ConditionUnknown, windlassv1.ReasonPending, out.waiting+"; "+failure.Deadline(deadline))
		return ctrl.Result{RequeueAfter: min(deadline.Sub(now)+10*time.Millisecond, time.Minute)}, nil
	}
	if !out.done {
		if len(pod.Status.ContainerStatuses) > 0 && anyStarted(pod) {
			setCondition(tr, metav1.ConditionUnknown, windlassv1.ReasonRunning, "Steps are running.")
		}
		// Step states of a running run are written at most once per
		// ProgressInterval (default a second): a
		// write per container change would compete with the kubelet for the
		// node's CPU while it starts the step containers.
		if condition(tr).Reason == prevReason {
			if last, ok := r.lastProgress.Load(tr.UID); ok {
				if wait := r.progressInterval() - now.Sub(last.(time.Time)); wait > 0 {
					tr.Status.Steps, tr.Status.Sidecars = prevSteps, prevSidecars
					return ctrl.Result{RequeueAfter: wait}, nil
				}
			}
		}
		r.lastProgress.Store(tr.UID, now)
		return requeue, nil
	}
	r.lastProgress.Delete(tr.UID)
	if out.reason != windlassv1.ReasonSucceeded {
		if stopsPod[out.reason] || out.reason == windlassv1.ReasonPodDeleted || out.reason == windlassv1.ReasonPodEvicted {
			markStopped(tr, out.reason, now)
		}
		finish(tr, now, false, out.reason, out.message)
		return ctrl.Result{}, nil
	}
	raw := out.results
	if out.resultsInLog {
		if raw, err = r.readLogResults(ctx, pod, spec); err != nil {
			return ctrl.Result{}, err
		}
	}
	results, err := typedResults(spec, raw)
	if err != nil {
		finish(tr, now, false, windlassv1.ReasonFailed, err.Error())
		return ctrl.Result{}, nil
	}
	tr.Status.Results = results
	finish(tr, now, true, windlassv1.ReasonSucceeded, out.message)
	return ctrl.Result{}, nil
}

func anyStarted(pod *corev1.Pod) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running != nil || cs.State.Terminated != nil {
			return true
		}
	}
	return false
}

func cancelMessage(tr *windlassv1.TaskRun) string {
	if tr.Spec.StatusMessage != "" {
		return "The run was cancelled: " + tr.Spec.StatusMessage
	}
	return "The run was cancelled"
}

func (r *Reconciler) timeout(tr *windlassv1.TaskRun) time.Duration {
	if tr.Spec.Timeout != nil {
		return tr.Spec.Timeout.Duration
	}
	return r.Opts.DefaultTimeout
}

// stopsPod lists the final reasons whose pod may still be running and is
// deleted once the status is stored.
var stopsPod = map[string]bool{
	windlassv1.ReasonCancelled: true, windlassv1.ReasonTimedOut: true, windlassv1.ReasonImagePullFailed: true,
	windlassv1.ReasonUnschedulable: true, windlassv1.ReasonCreateContainerErr: true,
}

// stop records the steps' states and finishes the run; the pod is deleted
// after the status is stored (cleanupPod).
func (r *Reconciler) stop(tr *windlassv1.TaskRun, pod *corev1.Pod, reason, stepReason, message string) {
	now := r.Clock.Now()
	if spec := tr.Status.TaskSpec; spec != nil && pod != nil {
		stepStates(tr, spec, pod)
	}
	// A run that never got its image has no step that ran; its message names the container.
	if step := runningStep(tr); step != "" && reason != windlassv1.ReasonImagePullFailed {
		message += fmt.Sprintf(" (while %s was running)", step)
	}
	markStopped(tr, stepReason, now)
	finish(tr, now, false, reason, message+".")
}

// cleanupPod deletes the pod of a run that was stopped before its steps ended.
func (r *Reconciler) cleanupPod(ctx context.Context, tr *windlassv1.TaskRun) error {
	c := condition(tr)
	if c == nil || !stopsPod[c.Reason] {
		return nil
	}
	pod, err := r.getPod(ctx, tr)
	if err != nil || pod == nil || !pod.DeletionTimestamp.IsZero() {
		return err
	}
	return r.deletePod(ctx, pod)
}

func (r *Reconciler) getPod(ctx context.Context, tr *windlassv1.TaskRun) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := r.Get(ctx, client.ObjectKey{Namespace: tr.Namespace, Name: podspec.PodName(tr.Name)}, pod)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("getting pod: %w", err)
	}
	if !metav1.IsControlledBy(pod, tr) {
		return nil, fmt.Errorf("pod %s exists but does not belong to this TaskRun", pod.Name)
	}
	return pod, nil
}

func (r *Reconciler) deletePod(ctx context.Context, pod *corev1.Pod) error {
	err := r.Delete(ctx, pod, client.GracePeriodSeconds(0), client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting pod %s: %w", pod.Name, err)
	}
	return nil
}

// resolveTask returns the spec the run executes: the one recorded in its
// status if any (a later edit of the Task does not change a started run),
// else the referenced (in its namespace or through a resolver) or
// embedded one, which it records with where it came from.
func (r *Reconciler) resolveTask(ctx context.Context, tr *windlassv1.TaskRun) (*windlassv1.TaskSpec, string, error) {
	taskName := ""
	if ref := tr.Spec.TaskRef; ref != nil {
		taskName = ref.Name
		if t, err := taskref.Parse(ref, tr.Namespace, r.Opts.Resolvers.Namespaces); err == nil {
			taskName = t.Name
		}
	}
	if tr.Status.TaskSpec != nil {
		return tr.Status.TaskSpec, taskName, nil
	}
	var spec *windlassv1.TaskSpec
	if tr.Spec.TaskSpec != nil {
		spec = tr.Spec.TaskSpec.DeepCopy()
	} else {
		task, src, err := taskref.Get(ctx, r.Client, tr.Spec.TaskRef, tr.Namespace, r.Opts.Resolvers)
		if err != nil {
			return nil, "", err
		}
		spec = task.Spec.DeepCopy()
		if src != nil {
			tr.Status.Provenance = &windlassv1.Provenance{RefSource: src}
		}
	}
	tr.Status.TaskSpec = spec
	return spec, taskName, nil
}

// refError handles an error finding what the run references (its Task,
// its steps' StepActions): a bad reference fails the run; a missing object
// keeps it waiting (reason TaskNotFound, the message naming what is
// missing) until TaskNotFoundTimeout from its creation, then fails it;
// anything else is retried.
func (r *Reconciler) refError(ctx context.Context, tr *windlassv1.TaskRun, err error) (ctrl.Result, error) {
	now := r.Clock.Now()
	if taskref.IsPermanent(err) {
		finish(tr, now, false, windlassv1.ReasonInvalidSpec, err.Error())
		return ctrl.Result{}, nil
	}
	if taskref.IsNotFound(err) {
		if now.Sub(tr.CreationTimestamp.Time) > r.Opts.TaskNotFoundTimeout {
			finish(tr, now, false, windlassv1.ReasonTaskNotFound, err.Error())
			return ctrl.Result{}, nil
		}
		setCondition(tr, metav1.ConditionUnknown, windlassv1.ReasonTaskNotFound, err.Error()+"; waiting for it to be created")
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	return r.retry(ctx, tr, err)
}

// createPod binds params, substitutes, builds and creates the pod (and the
// claims of volumeClaimTemplate workspaces). User errors finish the run.
func (r *Reconciler) createPod(ctx context.Context, tr *windlassv1.TaskRun, spec *windlassv1.TaskSpec, taskName string) (ctrl.Result, error) {
	now := r.Clock.Now()
	invalid := func(err error) (ctrl.Result, error) {
		finish(tr, now, false, windlassv1.ReasonInvalidSpec, err.Error())
		return ctrl.Result{}, nil
	}
	actions, err := taskref.GetStepActions(ctx, r.Client, spec, tr.Namespace)
	if err != nil {
		return r.refError(ctx, tr, err)
	}
	// An embedded spec takes the params it does not declare (Tekton's
	// propagated params); a referenced Task ignores them, with a warning.
	prep, err := podspec.Prepare(tr, spec, taskName, actions)
	if err != nil {
		return invalid(err)
	}
	final := prep.Final
	// The outcome is judged from the pinned spec: it records the onError
	// policy each step got, which a $(params...) reference chose, and the
	// StepActions as they were inlined (as Tekton records them; a retry
	// of this preparation reads them no more).
	if pinned := tr.Status.TaskSpec; pinned != nil && len(pinned.Steps) == len(final.Steps) {
		for i := range final.Steps {
			if pinned.Steps[i].Ref != nil {
				pinned.Steps[i] = *prep.Inlined.Steps[i].DeepCopy()
			}
			pinned.Steps[i].OnError = final.Steps[i].OnError
		}
	}
	images, err := r.lookupImages(ctx, tr, final)
	if err != nil {
		return r.retry(ctx, tr, err)
	}
	creds, err := r.credentials(ctx, tr)
	if err != nil {
		return r.retry(ctx, tr, err)
	}
	level, err := r.podSecurityLevel(ctx, tr.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	pod, err := podspec.Build(podspec.Input{Run: tr, Spec: final, TaskName: taskName, Images: images, Credentials: creds, PodSecurity: level}, r.Opts.Pod)
	if perr := (*podspec.PolicyError)(nil); errors.As(err, &perr) {
		finish(tr, now, false, windlassv1.ReasonPodSecurity, err.Error())
		return ctrl.Result{}, nil
	}
	if err != nil {
		return invalid(err)
	}
	claim := func(b windlassv1.WorkspaceBinding) string { return podspec.BindingClaim(tr.Name, b) }
	if err := runstatus.CreateClaims(ctx, r.Client, tr, windlassv1.GroupVersion.WithKind("TaskRun"), tr.Spec.Workspaces, claim); err != nil {
		return ctrl.Result{}, err
	}
	start := r.Clock.Now()
	err = r.Create(ctx, pod)
	switch {
	case apierrors.IsAlreadyExists(err):
		// Made by an earlier attempt whose status write was lost: adopt it.
	case apierrors.IsInvalid(err) || apierrors.IsForbidden(err) && !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		finish(tr, now, false, windlassv1.ReasonPodCreationFailed, fmt.Sprintf("The pod could not be created: %v", err))
		return ctrl.Result{}, nil
	case err != nil && (apierrors.IsRequestEntityTooLargeError(err) || strings.Contains(err.Error(), "request is too large")):
		// The API server's or etcd's size limit: params substituted into
		// scripts or args make the pod too big. Retrying cannot help.
		finish(tr, now, false, windlassv1.ReasonPodCreationFailed, fmt.Sprintf(
			"The pod could not be created: it is too large (%v); pass big values through a workspace, not spec.params", err))
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("creating pod: %w", err)
	default:
		podCreationSeconds.Observe(r.Clock.Since(start).Seconds())
		ctrl.LoggerFrom(ctx).V(1).Info("created pod", "pod", pod.Name)
		r.created.Created(client.ObjectKeyFromObject(tr), pod.Name)
		// Once, with the pod: not on a retry of the preparation above.
		if msg := resolve.UnusedMessage("Task", taskName, spec.Params, prep.Params.Unused); msg != "" && r.Recorder != nil {
			r.Recorder.Eventf(tr, nil, corev1.EventTypeWarning, "UnusedParams", "Bind", "%s", msg)
		}
	}
	tr.Status.PodName = pod.Name
	setCondition(tr, metav1.ConditionUnknown, windlassv1.ReasonPending, "The pod is starting.")
	return ctrl.Result{}, nil
}

// podSecurityLevel is the Pod Security Standard the namespace enforces, read
// from the cache (the namespaces' metadata only), or from the API server
// when the cache has not seen a namespace made moments ago.
func (r *Reconciler) podSecurityLevel(ctx context.Context, namespace string) (string, error) {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	key := client.ObjectKey{Name: namespace}
	err := r.Get(ctx, key, ns)
	if apierrors.IsNotFound(err) && r.APIReader != nil {
		err = r.APIReader.Get(ctx, key, ns)
	}
	if err != nil {
		return "", fmt.Errorf("getting namespace %s: %w", namespace, err)
	}
	return ns.Labels[podspec.LabelPodSecurityEnforce], nil
}

// lookupImages asks the registry what each command-less step's image runs.
func (r *Reconciler) lookupImages(ctx context.Context, tr *windlassv1.TaskRun, spec *windlassv1.TaskSpec) (map[string]podspec.ImageConfig, error) {
	out := map[string]podspec.ImageConfig{}
	var secrets []string
	if pt := tr.Spec.PodTemplate; pt != nil {
		for _, s := range pt.ImagePullSecrets {
			secrets = append(secrets, s.Name)
		}
	}
	for _, si := range podspec.ImageEntrypointNeeded(spec) {
		i, img := si.Step, si.Image
		if _, ok := out[img]; ok {
			continue
		}
		if r.Images == nil {
			return nil, failure.Terminal(windlassv1.ReasonInvalidSpec, fmt.Errorf("spec.steps[%d]: no command, and no registry lookup is configured", i))
		}
		cfg, err := r.Images.Config(ctx, img, tr.Namespace, secrets)
		if err != nil {
			err = fmt.Errorf("spec.steps[%d]: the step has no command and the entrypoint of image %s cannot be looked up: %w", i, img, err)
			return nil, failure.Registry(err, windlassv1.ReasonInvalidSpec, windlassv1.ReasonRegistryUnavailable)
		}
		out[img] = cfg
	}
	return out, nil
}

// retry handles an error met while preparing the run. A terminal one
// (failure.Terminal, or any error not classified: the spec's, named by its
// message) ends the run with its reason. A transient one keeps the run
// waiting, its condition saying what failed and until when it retries, with
// a backoff that grows with the time already spent; at the deadline
// (TransientTimeout from the run's start) the run fails with its reason.
// Errors of the API server itself are returned, for controller-runtime's
// rate-limited retry: the status could not be written anyway.
func (r *Reconciler) retry(ctx context.Context, tr *windlassv1.TaskRun, err error) (ctrl.Result, error) {
	now := r.Clock.Now()
	e, ok := failure.As(err)
	switch {
	case !ok && isAPIError(err):
		return ctrl.Result{}, err
	case !ok:
		e = &failure.Error{Reason: windlassv1.ReasonInvalidSpec, Err: err}
	}
	log := ctrl.LoggerFrom(ctx)
	if !e.Transient {
		log.Info("the run's spec cannot run", "reason", e.Reason, "error", err.Error())
		finish(tr, now, false, e.Reason, err.Error())
		return ctrl.Result{}, nil
	}
	next := failure.Retry(err, now, tr.Status.StartTime.Time, r.Opts.TransientTimeout)
	if next.Expired {
		log.Info("giving up on a transient error at the deadline", "reason", e.Reason, "error", err.Error(), "after", r.Opts.TransientTimeout)
		finish(tr, now, false, e.Reason, next.Message)
		return ctrl.Result{}, nil
	}
	log.Info("retrying a transient error", "reason", e.Reason, "message", next.Message, "in", next.Wait)
	setCondition(tr, metav1.ConditionUnknown, e.Reason, next.Message)
	return ctrl.Result{RequeueAfter: next.Wait}, nil
}

// isAPIError reports whether err came from the Kubernetes API server (or
// not reaching it), rather than from the run's spec.
func isAPIError(err error) bool {
	var status apierrors.APIStatus
	var netErr net.Error
	return errors.As(err, &status) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
