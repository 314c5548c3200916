// Command windlass is the Windlass CLI: it starts Pipelines and Tasks,
// follows their logs, waits for, describes, cancels, reruns and approves runs.
// Installed as kubectl-windlass it is also `kubectl windlass`.
package main

import (
	"os"

	"github.com/windlass-dev/windlass/cmd/windlass/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdout, os.Stderr))
}
