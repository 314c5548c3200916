// Package corpus runs the bad-input corpus (testdata/*.yaml) against a real
// API server with the controllers: each malformed Task, TaskRun, Pipeline
// or PipelineRun is either refused by the API server with a message naming
// the field, or ended by the controller, within seconds, with a reason and
// a message naming the field. Panic recovery is off: a panicking reconcile
// fails the suite.
package corpus

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/test/util"
)

var k8s client.Client

// Short waits, so every case ends within seconds: a missing Task or
// Pipeline, a service account or registry that never comes.
const (
	notFoundTimeout  = 2 * time.Second
	transientTimeout = 3 * time.Second
	maxMatrix        = 8
)

func TestMain(m *testing.M) {
	env, cfg, err := util.StartEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts := manager.Defaults()
	opts.RecoverPanic = false
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.EntrypointImage = "registry.example/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	opts.TaskNotFoundTimeout, opts.TransientTimeout, opts.MaxMatrixCombinations = notFoundTimeout, transientTimeout, maxMatrix
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	scheme, _ := manager.NewScheme()
	// Every case polls at once: the client must not throttle them.
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 1000, 2000
	if k8s, err = client.New(fast, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	_ = env.Stop()
	os.Exit(code)
}
