// Command controller runs the Windlass controller manager.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/internal/version"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "controller:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	opts := manager.Defaults()
	opts.BindFlags(fs)
	zapOpts := zap.Options{} // production: JSON lines, info level
	zapOpts.BindFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "windlass controller", version.Version)
		return nil
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	ctx := ctrl.SetupSignalHandler()
	if err := manager.WaitForAPIServer(ctx, cfg, log); err != nil {
		return err
	}
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		return err
	}
	log.Info("Starting manager", "version", version.Version, "leaderElect", opts.LeaderElect, "qps", opts.QPS, "burst", opts.Burst)
	return mgr.Start(ctx)
}
