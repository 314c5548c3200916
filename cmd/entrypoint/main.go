// Command entrypoint wraps every step of a TaskRun's pod. It reaches the step
// containers read-only through an image volume and runs as:
//
//	entrypoint [flags] -- COMMAND [ARGS...]
//
// See internal/entrypoint for what it does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/windlass-dev/windlass/internal/entrypoint"
	"github.com/windlass-dev/windlass/internal/version"
)

// ScriptEnv carries the step's script and CredsEnv the credentials to write
// (JSON); both are removed from the step's environment.
const (
	ScriptEnv = "WINDLASS_SCRIPT"
	CredsEnv  = "WINDLASS_CREDENTIALS"
)

func main() {
	code, err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "windlass entrypoint:", err)
	}
	os.Exit(code)
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("entrypoint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o entrypoint.Options
	var dirs, results, maskEnv, maskPaths listFlag
	fs.StringVar(&o.Step, "step", "", "the step's name")
	fs.StringVar(&o.WaitFile, "wait-file", "", "run after this file (skip after FILE.err) appears")
	fs.StringVar(&o.PostFile, "post-file", "", "write this file (FILE.err on failure) when done")
	fs.StringVar(&o.TerminationPath, "termination-path", "/dev/termination-log", "where the step's state goes")
	fs.IntVar(&o.TerminationBudget, "termination-budget", 4096, "bytes of termination message this container may use")
	fs.StringVar(&o.ScriptDir, "script-dir", "/windlass/run/scripts", "where the script is written")
	fs.BoolVar(&o.OnErrorContinue, "on-error-continue", false, "let the Task go on past a failure of this step")
	fs.DurationVar(&o.Timeout, "timeout", 0, "the step's timeout (0: none)")
	fs.StringVar(&o.ResultsDir, "results-dir", "/windlass/results", "directory of result files")
	fs.Var(&results, "result", "name of a result to collect (last step); repeatable")
	fs.IntVar(&o.MaxResultBytes, "max-result-bytes", 64<<10, "results larger than this in total fail the step")
	fs.Var(&dirs, "mkdir", "directory to create before running; repeatable")
	fs.Var(&maskEnv, "mask-env", "environment variable holding a Secret value, masked in the output; repeatable")
	fs.Var(&maskPaths, "mask-path", "file or directory of Secret values, masked in the output; repeatable")
	showVersion := fs.Bool("version", false, "print the version and exit")
	copyTo := fs.String("copy-to", "", "copy this binary to PATH and exit (the init-container fallback)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "windlass entrypoint", version.Version)
		return 0, nil
	}
	if *copyTo != "" {
		return copySelf(*copyTo)
	}
	o.Command, o.Dirs, o.Results, o.MaskEnv, o.MaskPaths = fs.Args(), dirs, results, maskEnv, maskPaths
	o.Script = os.Getenv(ScriptEnv)
	o.MessageFile = os.Getenv(entrypoint.MessageFileEnv) // stays set: the step writes it
	if creds := os.Getenv(CredsEnv); creds != "" {
		if err := json.Unmarshal([]byte(creds), &o.Credentials); err != nil {
			return 2, fmt.Errorf("$%s: %w", CredsEnv, err)
		}
		if o.Home = os.Getenv("HOME"); o.Home == "" {
			o.Home = "/windlass/home"
		}
	}
	for _, env := range []string{ScriptEnv, CredsEnv} {
		if err := os.Unsetenv(env); err != nil {
			return 1, err
		}
	}
	if o.Script == "" && len(o.Command) == 0 {
		return 2, errors.New("nothing to run: give a command after -- or a script in $" + ScriptEnv)
	}
	return entrypoint.Run(ctx, o, stdout, stderr)
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
