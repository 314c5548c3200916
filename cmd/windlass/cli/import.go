package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/cli/tektonimport"
)

func (e *env) importCmd() *cobra.Command {
	var dir string
	var check bool
	cmd := &cobra.Command{
		Use:   "import FILE|DIR... [-o DIR] [--check]",
		Short: "Convert Tekton Tasks, Pipelines, TaskRuns and PipelineRuns into Windlass YAML",
		Long: `import reads tekton.dev/v1 and v1beta1 Tasks, Pipelines, TaskRuns and
PipelineRuns (and v1beta1 and v1alpha1 StepActions), validates them with Tekton's
own validation, converts v1beta1 to v1 (v1alpha1 StepActions to v1beta1)
with Tekton's own conversion and writes them as windlass.dev/v1alpha1 objects
(tekton.dev/ labels and annotations renamed windlass.dev/; the annotations in
which Tekton's conversion keeps v1beta1-only fields are dropped, with a warning).
What Windlass does not support is reported per object and field, as 'windlass
lint' finds it. Without -o the YAML goes to stdout; with -o DIR each input file's
objects go to DIR under its name. --check writes nothing: a table of every
object and finding. The exit code is 2 when an object is invalid or unsupported.`,
		Args: func(cmd *cobra.Command, a []string) error {
			if len(a) == 0 {
				return exit.UsageError("%s takes files or directories", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, paths []string) error {
			results, err := tektonimport.Paths(cmd.Context(), paths)
			if err != nil {
				return exit.WithCode(exit.Usage, err)
			}
			if len(results) == 0 {
				return exit.UsageError("no Tekton Task, Pipeline, TaskRun or PipelineRun found")
			}
			if check {
				if err := tektonimport.Table(e.out, results); err != nil {
					return err
				}
			} else {
				tektonimport.Messages(e.errOut, results)
				if err := tektonimport.Write(e.out, dir, results); err != nil {
					return err
				}
			}
			clean := 0
			for i := range results {
				if results[i].Clean() {
					clean++
				}
			}
			if clean < len(results) {
				fmt.Fprintf(e.errOut, "%d of %d objects import cleanly\n", clean, len(results))
				return &exit.Error{Code: exit.Usage}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "output-dir", "o", "", "write the Windlass YAML into this directory")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; report as a table")
	return cmd
}
