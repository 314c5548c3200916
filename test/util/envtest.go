// Package util holds helpers shared by the integration and e2e tiers.
package util

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// RepoRoot is the repository's top directory, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// StartEnv starts a real etcd and kube-apiserver from $KUBEBUILDER_ASSETS (the
// binaries `make k8s-bins` builds) with the project's CRDs and admission policies
// (config/admission) installed, the policies enforced. Integration
// tests fail, never skip, without them: run them with `make test-integration`.
func StartEnv() (*envtest.Environment, *rest.Config, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		return nil, nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the integration tier with 'make test-integration', which builds the Kubernetes binaries")
	}
	// The controllers' logs: errors only, unless WINDLASS_TEST_LOGS=1 asks
	// for every line (transitions, retries).
	level := zapcore.ErrorLevel
	if os.Getenv("WINDLASS_TEST_LOGS") == "1" {
		level = zapcore.DebugLevel
	}
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(level)))
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		// Start may fail after etcd and the API server are up (a CRD the API
		// server refuses): stop them, or they outlive the test binary.
		_ = env.Stop()
		return nil, nil, fmt.Errorf("starting envtest from %s: %w", assets, err)
	}
	if err := reapOnExit(assets, append(ChildPIDs("etcd"), ChildPIDs("kube-apiserver")...)); err != nil {
		_ = env.Stop()
		return nil, nil, err
	}
	if err := installAdmission(cfg); err != nil {
		_ = env.Stop()
		return nil, nil, err
	}
	return env, cfg, nil
}
