package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/cli/view"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// lister is one kind `windlass list` shows.
type lister struct {
	names []string // the argument and its aliases
	gvk   schema.GroupVersionKind
	list  func() client.ObjectList
	rows  func(l client.ObjectList, e *env) (view.Table, []view.Object)
}

func listers() []lister {
	w := windlassv1.GroupVersion
	return []lister{
		{[]string{"pipelineruns", "pipelinerun", "pr"}, w.WithKind("PipelineRun"), func() client.ObjectList { return &windlassv1.PipelineRunList{} },
			func(l client.ObjectList, e *env) (view.Table, []view.Object) {
				items := l.(*windlassv1.PipelineRunList).Items
				return view.PipelineRuns(items, e.now()), objects(items)
			}},
		{[]string{"taskruns", "taskrun", "tr"}, w.WithKind("TaskRun"), func() client.ObjectList { return &windlassv1.TaskRunList{} },
			func(l client.ObjectList, e *env) (view.Table, []view.Object) {
				items := l.(*windlassv1.TaskRunList).Items
				return view.TaskRuns(items, e.now()), objects(items)
			}},
		{[]string{"pipelines", "pipeline", "p"}, w.WithKind("Pipeline"), func() client.ObjectList { return &windlassv1.PipelineList{} },
			func(l client.ObjectList, e *env) (view.Table, []view.Object) {
				items := l.(*windlassv1.PipelineList).Items
				return view.Pipelines(items, e.now()), objects(items)
			}},
		{[]string{"tasks", "task", "t"}, w.WithKind("Task"), func() client.ObjectList { return &windlassv1.TaskList{} },
			func(l client.ObjectList, e *env) (view.Table, []view.Object) {
				items := l.(*windlassv1.TaskList).Items
				return view.Tasks(items, e.now()), objects(items)
			}},
		{[]string{"eventlisteners", "eventlistener", "el"}, triggersv1.GroupVersion.WithKind("EventListener"), func() client.ObjectList { return &triggersv1.EventListenerList{} },
			func(l client.ObjectList, e *env) (view.Table, []view.Object) {
				items := l.(*triggersv1.EventListenerList).Items
				return view.EventListeners(items, e.now()), objects(items)
			}},
	}
}

// objects points at each item, for printing.
func objects[T any, P interface {
	*T
	view.Object
}](items []T) []view.Object {
	out := make([]view.Object, len(items))
	for i := range items {
		out[i] = P(&items[i])
	}
	return out
}

func (e *env) listCmd() *cobra.Command {
	var output string
	var kinds []string
	for _, l := range listers() {
		kinds = append(kinds, l.names[0])
	}
	cmd := &cobra.Command{
		Use:       "list (" + strings.Join(kinds, "|") + ")",
		Aliases:   []string{"ls"},
		Short:     "List runs, definitions or event listeners of the namespace",
		Long:      "List the namespace's " + strings.Join(kinds, ", ") + " (or pr, tr, p, t, el): runs newest first,\nwith their age, duration, status and reason.",
		ValidArgs: kinds,
		Args:      args(1, "what to list: "+strings.Join(kinds, ", ")),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := view.CheckFormat(output, view.FormatYAML, view.FormatJSON, view.FormatName); err != nil {
				return exit.WithCode(exit.Usage, err)
			}
			for _, l := range listers() {
				for _, n := range l.names {
					if n == a[0] {
						return e.list(cmd.Context(), l, output)
					}
				}
			}
			return exit.UsageError("cannot list %q: want one of %s", a[0], strings.Join(kinds, ", "))
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "yaml, json or name (default: a table)")
	return cmd
}

func (e *env) list(ctx context.Context, l lister, output string) error {
	c, err := e.clients()
	if err != nil {
		return err
	}
	list := l.list()
	if err := c.crc.List(ctx, list, client.InNamespace(c.ns)); err != nil {
		return err
	}
	table, objs := l.rows(list, e)
	if output != "" {
		return view.PrintObjects(e.out, output, l.gvk, objs)
	}
	if len(objs) == 0 {
		_, err := e.errOut.Write([]byte("No " + l.names[0] + " in namespace " + c.ns + ".\n"))
		return err
	}
	return table.Write(e.out)
}

func (e *env) describeCmd() *cobra.Command {
	var output string
	var lines int64
	cmd := &cobra.Command{
		Use:   "describe RUN",
		Short: "Describe a PipelineRun or TaskRun on one screen",
		Long: `Describe a run: its params and results, each task and step with status, duration,
reason and message, the tasks skipped and why, and the last lines of the step that failed.`,
		RunE: func(cmd *cobra.Command, a []string) error {
			ctx := cmd.Context()
			if err := view.CheckFormat(output, view.FormatYAML, view.FormatJSON); err != nil {
				return exit.WithCode(exit.Usage, err)
			}
			r, err := e.lookupRun(ctx, a[0])
			if err != nil {
				return err
			}
			obj, _, err := e.get(ctx, r)
			if err != nil {
				return err
			}
			if output != "" {
				return view.PrintObjects(e.out, output, r.gvk(), []view.Object{obj})
			}
			if tr, ok := obj.(*windlassv1.TaskRun); ok {
				return view.DescribeTaskRun(e.out, tr, e.failedLogs(ctx, []windlassv1.TaskRun{*tr}, lines), e.now())
			}
			pr := obj.(*windlassv1.PipelineRun)
			d := view.Described{Run: pr}
			if d.TaskRuns, err = e.childTaskRuns(ctx, r.ns, r.name); err != nil {
				return err
			}
			c, _ := e.clients()
			gates := &windlassv1.ApprovalList{}
			if err := c.crc.List(ctx, gates, client.InNamespace(r.ns)); err != nil {
				return err
			}
			for _, g := range gates.Items {
				if g.Spec.PipelineRun == pr.Name {
					d.Approvals = append(d.Approvals, g)
				}
			}
			sortTaskRuns(d.TaskRuns, view.TaskOrder(pr.Status.PipelineSpec))
			d.Logs = e.failedLogs(ctx, d.TaskRuns, lines)
			return view.DescribePipelineRun(e.out, d, e.now())
		},
	}
	e.runArg(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "", "yaml or json: the run itself")
	cmd.Flags().Int64Var(&lines, "lines", 15, "how many last lines of a failed step to show")
	return cmd
}

// failedLogs reads the last lines of each failed step.
func (e *env) failedLogs(ctx context.Context, trs []windlassv1.TaskRun, lines int64) []view.StepLog {
	c, err := e.clients()
	if err != nil {
		return nil
	}
	var out []view.StepLog
	for i := range trs {
		tr := &trs[i]
		step, ok := view.FailedStep(tr)
		if !ok {
			continue
		}
		l := view.StepLog{Task: laneName(tr), Step: step.Name}
		data, err := c.kube.CoreV1().Pods(tr.Namespace).GetLogs(podspec.PodName(tr.Name), &corev1.PodLogOptions{Container: step.Container, TailLines: &lines}).DoRaw(ctx)
		if err != nil {
			l.Lines = []string{"(its log cannot be read: " + err.Error() + ")"}
		} else if s := strings.TrimRight(string(data), "\n"); s != "" {
			l.Lines = strings.Split(s, "\n")
		}
		out = append(out, l)
	}
	return out
}
