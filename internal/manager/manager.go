// Package manager assembles the Windlass controller manager: the client, the
// health and readiness probes, the Prometheus metrics endpoint and leader
// election. The reconcilers register themselves on the manager it returns.
package manager

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/eventlistener"
	"github.com/windlass-dev/windlass/controllers/pipelinerun"
	"github.com/windlass-dev/windlass/controllers/taskref"
	"github.com/windlass-dev/windlass/controllers/taskrun"
	"github.com/windlass-dev/windlass/internal/listener"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// LeaderElectionID names the Lease the replicas compete for.
const LeaderElectionID = "windlass-controller.windlass.dev"

// Options configure the manager. The zero value is not useful: start from Defaults.
type Options struct {
	// MetricsAddr is where Prometheus metrics are served ("0" disables them).
	MetricsAddr string
	// ProbeAddr is where /healthz and /readyz are served.
	ProbeAddr string
	// LeaderElect enables leader election, so only one replica reconciles.
	LeaderElect bool
	// LeaderElectionNamespace holds the Lease; empty means the pod's own namespace.
	LeaderElectionNamespace string
	// QPS and Burst bound the client's request rate to the API server. The
	// defaults are sized for throughput: client-go's 5/10 would throttle a CI engine.
	QPS   float64
	Burst int
	// GracefulShutdown bounds how long runnables get to stop.
	GracefulShutdown time.Duration

	// EntrypointImage is mounted into every step pod (an image volume).
	EntrypointImage string
	// ImageVolumeFallback copies the entrypoint with an init container instead.
	ImageVolumeFallback bool
	// DefaultTimeout of TaskRuns without spec.timeout (0: none).
	DefaultTimeout time.Duration
	// TaskNotFoundTimeout is how long a TaskRun waits for its Task.
	TaskNotFoundTimeout time.Duration
	// TransientTimeout bounds how long a run retries what is not its spec's
	// fault (a registry that does not answer, a service account not there yet).
	TransientTimeout time.Duration
	// ImagePullTimeout bounds how long a run waits out transient image pull failures.
	ImagePullTimeout time.Duration
	// RecoverPanic turns a panicking reconcile into an error (production);
	// tests turn it off, so a panic fails them.
	RecoverPanic bool
	// ClusterResolverNamespaces are the namespaces (besides a run's own) whose
	// Tasks runs may refer to with the cluster resolver.
	ClusterResolverNamespaces []string
	// TaskRunWorkers reconcile TaskRuns in parallel. A worker mostly waits on
	// the API server (a pod create, a status write), so many are cheap; with
	// few, a burst of new runs queues for its pods behind them.
	TaskRunWorkers int
	// MaxResultBytes bounds a TaskRun's results.
	MaxResultBytes int
	// ProgressInterval is the least time between two writes of a running TaskRun's step states.
	ProgressInterval time.Duration
	// PipelineRunWorkers reconcile PipelineRuns in parallel.
	PipelineRunWorkers int
	// MaxMatrixCombinations caps the TaskRuns one matrix fans out to.
	MaxMatrixCombinations int
	// InsecureRegistry allows plain-HTTP registries for entrypoint lookups.
	InsecureRegistry bool
	// EventListenerImage runs the EventListeners. Optional: without it,
	// listeners get no Deployment and report DeployFailed.
	EventListenerImage string
	// SkipControllerNameValidation lets a second manager be built in the same
	// process (controller names are unique per process): for tests only.
	SkipControllerNameValidation bool
}

// Defaults returns the options a production install runs with.
func Defaults() Options {
	return Options{
		MetricsAddr:      ":8080",
		ProbeAddr:        ":8081",
		QPS:              200,
		Burst:            400,
		GracefulShutdown: 30 * time.Second,

		DefaultTimeout:            time.Hour,
		TaskNotFoundTimeout:       time.Minute,
		TransientTimeout:          2 * time.Minute,
		ImagePullTimeout:          5 * time.Minute,
		RecoverPanic:              true,
		ClusterResolverNamespaces: []string{"windlass-catalog"},
		TaskRunWorkers:            64,
		MaxResultBytes:            64 << 10,

		ProgressInterval:      time.Second,
		PipelineRunWorkers:    16,
		MaxMatrixCombinations: 256,
	}
}

// BindFlags registers the options on fs, with the receiver's values as defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, `address of the Prometheus metrics endpoint ("0" disables it)`)
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of the /healthz and /readyz endpoints")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "elect a leader, so only one replica reconciles")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "namespace of the leader election Lease (default: the pod's namespace)")
	fs.Float64Var(&o.QPS, "kube-api-qps", o.QPS, "queries per second to the Kubernetes API")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "burst of queries to the Kubernetes API")
	fs.DurationVar(&o.GracefulShutdown, "graceful-shutdown-timeout", o.GracefulShutdown, "how long to wait for controllers to stop")
	fs.StringVar(&o.EntrypointImage, "entrypoint-image", o.EntrypointImage, "image holding /entrypoint, mounted into every step (required)")
	fs.BoolVar(&o.ImageVolumeFallback, "image-volume-fallback", o.ImageVolumeFallback, "copy the entrypoint with an init container, for runtimes without image volumes")
	fs.DurationVar(&o.DefaultTimeout, "default-timeout", o.DefaultTimeout, "timeout of TaskRuns that set none (0: none)")
	fs.DurationVar(&o.TaskNotFoundTimeout, "task-not-found-timeout", o.TaskNotFoundTimeout, "how long a TaskRun waits for its Task, and a PipelineRun for its Pipeline, to exist")
	fs.DurationVar(&o.TransientTimeout, "transient-error-timeout", o.TransientTimeout, "how long a TaskRun retries a registry that does not answer, or waits for its service account, before it fails")
	fs.DurationVar(&o.ImagePullTimeout, "image-pull-timeout", o.ImagePullTimeout, "how long a TaskRun waits out transient image pull failures (a definitive one fails it at once)")
	fs.Func("cluster-resolver-namespaces", `comma-separated namespaces (besides a run's own) whose Tasks the cluster resolver serves (default "`+
		strings.Join(o.ClusterResolverNamespaces, ",")+`"; "" for none)`, func(v string) error {
		o.ClusterResolverNamespaces = nil
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				o.ClusterResolverNamespaces = append(o.ClusterResolverNamespaces, n)
			}
		}
		return nil
	})
	fs.IntVar(&o.TaskRunWorkers, "taskrun-workers", o.TaskRunWorkers, "TaskRuns reconciled in parallel")
	fs.IntVar(&o.MaxResultBytes, "max-result-bytes", o.MaxResultBytes, "results larger than this fail a TaskRun with ResultsTooLarge")
	fs.DurationVar(&o.ProgressInterval, "progress-interval", o.ProgressInterval, "least time between two writes of a running TaskRun's step states")
	fs.IntVar(&o.PipelineRunWorkers, "pipelinerun-workers", o.PipelineRunWorkers, "PipelineRuns reconciled in parallel")
	fs.IntVar(&o.MaxMatrixCombinations, "max-matrix-combinations", o.MaxMatrixCombinations, "most TaskRuns one matrix may fan out to")
	fs.BoolVar(&o.InsecureRegistry, "insecure-registry", o.InsecureRegistry, "allow plain-HTTP registries when looking up image entrypoints")
	fs.StringVar(&o.EventListenerImage, "eventlistener-image", o.EventListenerImage, "image running the EventListeners (without it, listeners report DeployFailed)")
}

// Validate reports the first option that cannot work, naming its flag.
func (o Options) Validate() error {
	switch {
	case o.QPS <= 0:
		return fmt.Errorf("--kube-api-qps must be positive, got %v", o.QPS)
	case o.Burst < 1:
		return fmt.Errorf("--kube-api-burst must be at least 1, got %d", o.Burst)
	case o.ProbeAddr == "":
		return fmt.Errorf("--health-probe-bind-address must not be empty")
	case o.GracefulShutdown < 0:
		return fmt.Errorf("--graceful-shutdown-timeout must not be negative, got %s", o.GracefulShutdown)
	case o.EntrypointImage == "":
		return fmt.Errorf("--entrypoint-image is required")
	case o.DefaultTimeout < 0:
		return fmt.Errorf("--default-timeout must not be negative, got %s", o.DefaultTimeout)
	case o.TransientTimeout < 0:
		return fmt.Errorf("--transient-error-timeout must not be negative, got %s", o.TransientTimeout)
	case o.ImagePullTimeout < 0:
		return fmt.Errorf("--image-pull-timeout must not be negative, got %s", o.ImagePullTimeout)
	case o.TaskRunWorkers < 1:
		return fmt.Errorf("--taskrun-workers must be at least 1, got %d", o.TaskRunWorkers)
	case o.ProgressInterval < 0:
		return fmt.Errorf("--progress-interval must not be negative, got %s", o.ProgressInterval)
	case o.PipelineRunWorkers < 1:
		return fmt.Errorf("--pipelinerun-workers must be at least 1, got %d", o.PipelineRunWorkers)
	case o.MaxMatrixCombinations < 1:
		return fmt.Errorf("--max-matrix-combinations must be at least 1, got %d", o.MaxMatrixCombinations)
	case o.MaxResultBytes < 4096:
		return fmt.Errorf("--max-result-bytes must be at least 4096, got %d", o.MaxResultBytes)
	}
	return nil
}

// NewScheme returns the scheme with every type the manager reads or writes.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, windlassv1.AddToScheme, triggersv1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// listenerSelector selects what the EventListener controller makes.
var listenerSelector = labels.SelectorFromSet(labels.Set{listener.LabelManagedBy: listener.ManagedBy, listener.LabelComponent: listener.Component})

// New builds a manager for cfg. It does not start it.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	scheme, err := NewScheme()
	if err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = float32(o.QPS), o.Burst
	cfg.UserAgent = "windlass-controller"
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.ProbeAddr,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              LeaderElectionID,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       &o.GracefulShutdown,
		Controller:                    config.Controller{SkipNameValidation: &o.SkipControllerNameValidation, RecoverPanic: &o.RecoverPanic},
		// Only the pods Windlass made are cached, not every pod of the cluster;
		// likewise only the listeners' Deployments, Services, service accounts
		// and RBAC objects.
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}:                {Label: labels.SelectorFromSet(labels.Set{podspec.LabelManagedBy: podspec.ManagedBy})},
			&appsv1.Deployment{}:         {Label: listenerSelector},
			&corev1.Service{}:            {Label: listenerSelector},
			&corev1.ServiceAccount{}:     {Label: listenerSelector},
			&rbacv1.Role{}:               {Label: listenerSelector},
			&rbacv1.RoleBinding{}:        {Label: listenerSelector},
			&rbacv1.ClusterRoleBinding{}: {Label: listenerSelector},
		}},
		// A Secret read through the manager's client goes to the API server:
		// it never starts an informer holding every Secret of the cluster.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	// Ready once the informer caches have synced, so a rollout waits for a working replica.
	if err := mgr.AddReadyzCheck("caches", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return fmt.Errorf("informer caches not synced")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := setupControllers(mgr, cfg, o); err != nil {
		return nil, err
	}
	return mgr, nil
}

// eventListenerWorkers reconcile EventListeners in parallel: listeners change
// rarely, a few workers keep one slow API call from holding up the others.
const eventListenerWorkers = 4

// setupControllers registers every reconciler and its metrics on the manager.
func setupControllers(mgr ctrl.Manager, cfg *rest.Config, o Options) error {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	// Tasks by reference: the run's namespace, the cluster resolver's
	// namespaces, and OCI bundles pulled from their registries.
	resolvers := taskref.Options{Namespaces: o.ClusterResolverNamespaces, Bundles: &taskref.RegistryFetcher{Insecure: o.InsecureRegistry}, Remote: &taskref.Remote{}}
	tr := &taskrun.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Kube:      kube,
		Recorder:  mgr.GetEventRecorder("windlass-taskrun-controller"),
		Images:    &taskrun.RegistryLookup{Insecure: o.InsecureRegistry},
		Opts: taskrun.Options{
			Pod: podspec.Config{
				EntrypointImage: o.EntrypointImage, InitContainerFallback: o.ImageVolumeFallback, MaxResultBytes: o.MaxResultBytes,
			},
			DefaultTimeout: o.DefaultTimeout, TaskNotFoundTimeout: o.TaskNotFoundTimeout, Workers: o.TaskRunWorkers,
			ProgressInterval: o.ProgressInterval, Resolvers: resolvers,
			TransientTimeout: o.TransientTimeout, ImagePullTimeout: o.ImagePullTimeout,
		},
	}
	if err := tr.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TaskRun controller: %w", err)
	}
	pr := &pipelinerun.Reconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("windlass-pipelinerun-controller"),
		Opts: pipelinerun.Options{
			DefaultTimeout: o.DefaultTimeout, NotFoundTimeout: o.TaskNotFoundTimeout,
			Workers: o.PipelineRunWorkers, MaxMatrix: o.MaxMatrixCombinations,
			Resolvers: resolvers, TransientTimeout: o.TransientTimeout,
		},
	}
	if err := pr.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the PipelineRun controller: %w", err)
	}
	el := &eventlistener.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("windlass-eventlistener-controller"),
		Opts:      eventlistener.Options{Image: o.EventListenerImage, Workers: eventListenerWorkers},
	}
	if err := el.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the EventListener controller: %w", err)
	}
	for _, c := range []prometheus.Collector{taskrun.NewRunningCollector(mgr.GetClient()), pipelinerun.NewRunningCollector(mgr.GetClient())} {
		if err := metrics.Registry.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return err
			}
		}
	}
	return nil
}
