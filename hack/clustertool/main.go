// Command clustertool is the Go half of the hack/ scripts for the local cluster:
// a local OCI registry, an image builder that needs no Docker engine, and a CRI
// client that removes every pod sandbox before containerd stops.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "clustertool:", err)
		os.Exit(1)
	}
}

const usage = `usage: clustertool COMMAND [flags]

commands:
  registry   serve an OCI registry whose blobs and manifests survive restarts
  image      build an image from files and directories and push it
  cri-clean  stop and remove every pod sandbox through the CRI
  cri-ready  succeed once the runtime serves the CRI v1 API
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "registry":
		return runRegistry(ctx, args[1:], stderr)
	case "image":
		return runImage(ctx, args[1:], stdout)
	case "cri-clean":
		return runCRIClean(ctx, args[1:], stdout)
	case "cri-ready":
		return runCRIReady(ctx, args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
