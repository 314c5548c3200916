// Command entrypoint wraps every step of a TaskRun's pod. It reaches the step
// containers read-only through an image volume and runs as:
//
//	entrypoint [flags] -- COMMAND [ARGS...]
//
// See internal/entrypoint for what it does.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/entrypoint"
	"github.com/windlass-dev/windlass/internal/version"
)

func main() {
	code, err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "windlass entrypoint:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	inv, err := contract.ParseArgs(args, stderr)
	if err != nil {
		return 2, err
	}
	if inv.Version {
		fmt.Fprintln(stdout, "windlass entrypoint", version.Version)
		return 0, nil
	}
	if inv.CopyTo != "" {
		return copySelf(inv.CopyTo)
	}
	step := inv.Step
	if err := step.ReadEnv(os.Getenv); err != nil {
		return 2, err
	}
	// The script and the credentials are the entrypoint's, not the step's;
	// $WINDLASS_MESSAGE_FILE stays set: the step writes it.
	for _, env := range []string{contract.EnvScript, contract.EnvCredentials} {
		if err := os.Unsetenv(env); err != nil {
			return 1, err
		}
	}
	if step.Script == "" && len(step.Command) == 0 {
		return 2, errors.New("nothing to run: give a command after -- or a script in $" + contract.EnvScript)
	}
	return entrypoint.Run(ctx, step, stdout, stderr)
}

// copySelf copies the running binary to dst, for runtimes without image volumes.
func copySelf(dst string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	data, err := os.ReadFile(self)
	if err != nil {
		return 1, err
	}
	if err := os.WriteFile(dst+".tmp", data, 0o755); err != nil {
		return 1, err
	}
	if err := os.Rename(dst+".tmp", dst); err != nil {
		return 1, err
	}
	return 0, nil
}
