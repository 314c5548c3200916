// Command eventlistener is the webhook sink of one EventListener. It receives
// an event, runs each trigger's interceptors, bindings and template, creates
// the objects, and answers only then, with what it did: 201 naming every
// created object, 200 when nothing matched or the event was already handled,
// 4xx/5xx naming what was wrong. The same event never creates twice: object
// names derive from the event's identity, so a redelivery, a sender's retry
// or a second replica finds the objects already there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/version"
)

func main() {
	if err := run(ctrl.SetupSignalHandler(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "eventlistener:", err)
		os.Exit(1)
	}
}

// options are the sink's flags.
type options struct {
	name, namespace string
	port            int
	metricsPort     int
	maxBodyBytes    int64
	requestTimeout  time.Duration
	secretTTL       time.Duration
	qps             float64
	burst           int
}

func (o *options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.name, "name", "", "name of the EventListener this sink serves (required)")
	fs.StringVar(&o.namespace, "namespace", "", "namespace of the EventListener (required)")
	fs.IntVar(&o.port, "port", 8080, "port of the webhook endpoint and the /healthz and /readyz probes")
	fs.IntVar(&o.metricsPort, "metrics-port", 9000, "port of the Prometheus /metrics endpoint (0 disables it)")
	fs.Int64Var(&o.maxBodyBytes, "max-body-bytes", 1<<20, "a request body larger than this is answered 413")
	fs.DurationVar(&o.requestTimeout, "request-timeout", 30*time.Second, "how long one event may take to process")
	fs.DurationVar(&o.secretTTL, "secret-ttl", 30*time.Second, "how long a Secret read for an interceptor is reused")
	fs.Float64Var(&o.qps, "kube-api-qps", 200, "queries per second to the Kubernetes API")
	fs.IntVar(&o.burst, "kube-api-burst", 400, "burst of queries to the Kubernetes API")
}

func (o *options) validate() error {
	switch {
	case o.name == "":
		return errors.New("--name is required")
	case o.namespace == "":
		return errors.New("--namespace is required")
	case o.port < 1 || o.port > 65535:
		return fmt.Errorf("--port must be 1-65535, got %d", o.port)
	case o.metricsPort < 0 || o.metricsPort > 65535:
		return fmt.Errorf("--metrics-port must be 0-65535, got %d", o.metricsPort)
	case o.maxBodyBytes < 1:
		return fmt.Errorf("--max-body-bytes must be positive, got %d", o.maxBodyBytes)
	case o.requestTimeout <= 0:
		return fmt.Errorf("--request-timeout must be positive, got %s", o.requestTimeout)
	}
	return nil
}

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, windlassv1.AddToScheme, triggersv1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eventlistener", flag.ContinueOnError)
	var o options
	o.bind(fs)
	zapOpts := zap.Options{} // production: JSON lines, info level
	zapOpts.BindFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "windlass eventlistener", version.Version)
		return nil
	}
	if err := o.validate(); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("eventlistener").WithValues("eventListener", o.namespace+"/"+o.name)

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = float32(o.qps), o.burst
	cfg.UserAgent = "windlass-eventlistener"
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	// The namespaces whose Triggers this sink serves decide what it caches; a
	// change of the EventListener's namespaceSelector restarts the sink.
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	var el triggersv1.EventListener
	if err := direct.Get(ctx, client.ObjectKey{Namespace: o.namespace, Name: o.name}, &el); err != nil {
		return fmt.Errorf("reading EventListener %s/%s: %w", o.namespace, o.name, err)
	}
	scope := watchScope(&el)
	metricsAddr := "0"
	if o.metricsPort > 0 {
		metricsAddr = ":" + strconv.Itoa(o.metricsPort)
	}
	cacheOpts := cache.Options{}
	if !scope.all {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range scope.namespaces {
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOpts,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	s := &sink{
		name: o.name, namespace: o.namespace, scope: scope,
		objects:        mgr.GetCache(),
		writer:         mgr.GetClient(),
		reader:         mgr.GetAPIReader(),
		secrets:        newSecretCache(mgr.GetAPIReader(), o.secretTTL),
		recorder:       mgr.GetEventRecorder("windlass-eventlistener"),
		external:       &http.Client{Timeout: 10 * time.Second},
		maxBodyBytes:   o.maxBodyBytes,
		requestTimeout: o.requestTimeout,
		log:            log,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var restartReason atomic.Pointer[string]
	if err := s.startInformers(ctx, mgr.GetCache(), func(reason string) {
		if restartReason.CompareAndSwap(nil, &reason) {
			log.Info("Restarting", "reason", reason)
			cancel()
		}
	}); err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              ":" + strconv.Itoa(o.port),
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      o.requestTimeout + 15*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		}
	})); err != nil {
		return err
	}
	log.Info("Starting", "version", version.Version, "port", o.port, "namespaces", scope.String(), "maxBodyBytes", o.maxBodyBytes)
	err = mgr.Start(ctx)
	if r := restartReason.Load(); r != nil {
		return fmt.Errorf("restarting: %s", *r)
	}
	return err
}
