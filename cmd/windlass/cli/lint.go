package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/lint"
)

func (e *env) lintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint FILE|DIR...",
		Short: "Validate Windlass YAML offline, as the API server and the controller would",
		Long: `lint checks Tasks, TaskRuns, Pipelines, PipelineRuns (and the triggers kinds)
without a cluster: against the CRDs' schemas (unknown and required fields, values,
rules) and with the controller's own checks (params, workspaces, references, the
graph, when expressions, the pod it would build). A TaskRun or Pipeline that
names a Task among the files is checked against it. Directories are searched
for *.yaml and *.yml. Each error is printed as FILE:LINE: FIELD: MESSAGE; the
exit code is 2 when there is one.`,
		Args: func(cmd *cobra.Command, a []string) error {
			if len(a) == 0 {
				return exit.UsageError("%s takes files or directories", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, paths []string) error {
			probs, err := lint.Paths(cmd.Context(), paths)
			if err != nil {
				return exit.WithCode(exit.Usage, err)
			}
			for _, p := range probs {
				fmt.Fprintln(e.out, p)
			}
			if len(probs) > 0 {
				fmt.Fprintf(e.errOut, "%d problem(s)\n", len(probs))
				return &exit.Error{Code: exit.Usage}
			}
			return nil
		},
	}
}
