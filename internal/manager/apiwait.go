package manager

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// WaitForAPIServer returns once the API server answers /readyz (it checks
// etcd too), polling with a backoff from 500ms to 5s, or with ctx's error.
// The manager cannot even be built without the API server (it maps the kinds
// it caches): a controller restarted while the API server is down (it lost
// its lease during a restart of the control plane) would otherwise exit at
// once, again and again, and its growing crash back-off would delay its
// return long after the API server is back.
func WaitForAPIServer(ctx context.Context, cfg *rest.Config, log logr.Logger) error {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = 5 * time.Second
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("building a client for the API server: %w", err)
	}
	start := time.Now()
	var last error
	b := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Steps: 1 << 30, Cap: 5 * time.Second}
	err = wait.ExponentialBackoffWithContext(ctx, b, func(ctx context.Context) (bool, error) {
		_, last = kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if last != nil {
			log.Info("waiting for the API server", "error", last.Error(), "waited", time.Since(start).Round(time.Millisecond).String())
		}
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("the API server did not answer (%w): %w", last, err)
	}
	return nil
}
