// Package cli wires the windlass commands (cobra) to the cluster; what they
// print and parse lives in the pure packages under internal/cli.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/version"
)

// env is what every command shares: the flags, the output and the clients.
type env struct {
	kube   kubeFlags
	out    io.Writer
	errOut io.Writer
	color  bool
	now    func() time.Time
	c      *clients
}

// Main runs the CLI with args (args[0] is the program) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{out: stdout, errOut: stderr, color: isTerminal(stdout), now: time.Now}
	root := e.root(filepath.Base(args[0]) == "kubectl-windlass")
	root.SetArgs(args[1:])
	root.SetOut(stdout)
	root.SetErr(stderr)
	_, err := root.ExecuteContextC(ctx)
	if err != nil && (strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "required flag")) {
		err = exit.WithCode(exit.Usage, err)
	}
	if err != nil && errors.Is(err, context.Canceled) {
		err = exit.WithCode(exit.Failed, errors.New("interrupted"))
	}
	if err != nil && !exit.Quiet(err) {
		fmt.Fprintln(stderr, "Error:", err)
		if exit.Code(err) == exit.Usage {
			fmt.Fprintln(stderr, "See 'windlass --help' (or the command's --help) for usage.")
		}
	}
	return exit.Code(err)
}

func (e *env) root(plugin bool) *cobra.Command {
	root := &cobra.Command{
		Use:   "windlass",
		Short: "Start, follow and inspect Windlass Pipelines and Tasks",
		Long: `windlass starts Pipelines and Tasks, follows their logs across pods, waits for,
describes, cancels, reruns and approves runs.

Exit codes: 0 success, 1 the run (or the command) failed, 2 usage or validation
error, 3 timed out. Colours are used only when stdout is a terminal (and NO_COLOR
is not set).`,
		Version:       version.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	if plugin {
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl windlass"}
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exit.WithCode(exit.Usage, err) })
	e.kube.bind(root)
	root.AddCommand(e.startCmd(), e.logsCmd(), e.waitCmd(), e.cancelCmd(), e.rerunCmd(),
		e.approveCmd(true), e.approveCmd(false), e.listCmd(), e.describeCmd(), e.lintCmd(), e.importCmd())
	e.completions(root)
	return root
}

// isTerminal reports whether w is a terminal that takes colours.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(f.Fd()))
}

// args checks a command's positional arguments, a usage error otherwise.
func args(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) != n {
			return exit.UsageError("%s takes %s (got %d arguments)", cmd.CommandPath(), what, len(a))
		}
		return nil
	}
}
