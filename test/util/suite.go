package util

import (
	"context"
	"fmt"
	"os"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/manager"
)

// TestEntrypointImage stands in for the entrypoint image in suites whose
// pods never run (there is no kubelet).
const TestEntrypointImage = "registry.example/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111"

// Suite is a real API server with Windlass's controllers running on it.
type Suite struct {
	// Config is the API server's admin config; Client uses it, with the
	// project's scheme and a rate limit no test reaches.
	Config *rest.Config
	Client client.Client
}

// RunSuite is a TestMain: it starts envtest and the manager with the
// production defaults, panic recovery off (a panicking reconcile fails
// the suite) and what tune sets, runs the tests, stops everything and
// exits with their code. ready gets the suite before the tests run.
func RunSuite(m *testing.M, tune func(*manager.Options), ready func(Suite)) {
	os.Exit(runSuite(m, tune, ready))
}

func runSuite(m *testing.M, tune func(*manager.Options), ready func(Suite)) int {
	env, cfg, err := StartEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	opts := manager.Defaults()
	opts.RecoverPanic = false
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.EntrypointImage = TestEntrypointImage
	if tune != nil {
		tune(&opts)
	}
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme, err := manager.NewScheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 1000, 2000
	c, err := client.New(fast, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	ready(Suite{Config: cfg, Client: c})
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}
