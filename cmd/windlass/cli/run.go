package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/cli/view"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

const (
	kindPipelineRun = "PipelineRun"
	kindTaskRun     = "TaskRun"
)

// run names a PipelineRun or a TaskRun.
type run struct {
	kind, ns, name string
}

func (r run) gvk() schema.GroupVersionKind { return windlassv1.GroupVersion.WithKind(r.kind) }

func (r run) String() string { return strings.ToLower(r.kind) + "/" + r.name }

// lookupRun finds the run NAME: a PipelineRun, else a TaskRun.
func (e *env) lookupRun(ctx context.Context, name string) (run, error) {
	c, err := e.clients()
	if err != nil {
		return run{}, err
	}
	key := client.ObjectKey{Namespace: c.ns, Name: name}
	err = c.crc.Get(ctx, key, &windlassv1.PipelineRun{})
	if err == nil {
		return run{kind: kindPipelineRun, ns: c.ns, name: name}, nil
	}
	if !apierrors.IsNotFound(err) {
		return run{}, err
	}
	if err = c.crc.Get(ctx, key, &windlassv1.TaskRun{}); err == nil {
		return run{kind: kindTaskRun, ns: c.ns, name: name}, nil
	}
	if apierrors.IsNotFound(err) {
		return run{}, fmt.Errorf("there is no PipelineRun or TaskRun %q in namespace %s", name, c.ns)
	}
	return run{}, err
}

// get reads the run.
func (e *env) get(ctx context.Context, r run) (view.Object, []metav1.Condition, error) {
	c, err := e.clients()
	if err != nil {
		return nil, nil, err
	}
	key := client.ObjectKey{Namespace: r.ns, Name: r.name}
	if r.kind == kindPipelineRun {
		pr := &windlassv1.PipelineRun{}
		err := c.crc.Get(ctx, key, pr)
		return pr, pr.Status.Conditions, err
	}
	tr := &windlassv1.TaskRun{}
	err = c.crc.Get(ctx, key, tr)
	return tr, tr.Status.Conditions, err
}

// childTaskRuns lists a PipelineRun's TaskRuns.
func (e *env) childTaskRuns(ctx context.Context, ns, pr string) ([]windlassv1.TaskRun, error) {
	c, err := e.clients()
	if err != nil {
		return nil, err
	}
	list := &windlassv1.TaskRunList{}
	err = c.crc.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{pipeline.LabelPipelineRun: pr})
	return list.Items, err
}

// outcome tells whether a run has ended and, if so, the quiet exit error
// its outcome is (nil when it succeeded).
func outcome(conds []metav1.Condition) (bool, error) {
	code, done := exit.Outcome(view.Succeeded(conds))
	if !done || code == exit.OK {
		return done, nil
	}
	return true, &exit.Error{Code: code}
}

// runArg completes and checks the one RUN argument.
func (e *env) runArg(cmd *cobra.Command) {
	cmd.Args = args(1, "the name of a PipelineRun or TaskRun")
	cmd.ValidArgsFunction = e.complete(map[string]bool{"pipelinerun": true, "taskrun": true})
}

func (e *env) waitCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait RUN",
		Short: "Wait for a PipelineRun or TaskRun to end, with a progress line",
		Long: `Wait for a run to end, showing its progress on stderr, and exit with its outcome:
0 succeeded, 1 failed or cancelled, 3 timed out (the run's own timeout, or --timeout).`,
		RunE: func(cmd *cobra.Command, a []string) error {
			r, err := e.lookupRun(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			return e.waitRun(cmd.Context(), r, timeout)
		},
	}
	e.runArg(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long with exit code 3 (default: no limit)")
	return cmd
}

// waitRun polls the run until it ends, printing its progress to stderr: one
// line rewritten in place on a terminal, a line per change otherwise.
func (e *env) waitRun(ctx context.Context, r run, timeout time.Duration) error {
	var expired <-chan time.Time // the requests keep their own context: --timeout ends only the waiting
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	tty := isTerminal(e.errOut)
	last := ""
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		obj, conds, err := e.get(ctx, r)
		if err != nil {
			return err
		}
		if err == nil {
			state, dur, final := e.progress(ctx, r, obj, conds)
			switch {
			case tty:
				fmt.Fprintf(e.errOut, "\r\x1b[K%s, %s", state, dur)
				if final {
					fmt.Fprintln(e.errOut)
				}
			case state != last || final:
				fmt.Fprintf(e.errOut, "%s, %s\n", state, dur)
			}
			last = state
			if done, out := outcome(conds); done {
				return out
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-expired:
			if tty {
				fmt.Fprintln(e.errOut)
			}
			return exit.WithCode(exit.TimedOut, fmt.Errorf("%s still runs after %s", r, timeout))
		case <-tick.C:
		}
	}
}

// progress is the one-line state of a run and how long it has run; final
// when it has ended.
func (e *env) progress(ctx context.Context, r run, obj view.Object, conds []metav1.Condition) (state, dur string, final bool) {
	status := view.Status(conds)
	reason := view.Reason(conds)
	_, final = exit.Outcome(view.Succeeded(conds))
	var start, end *metav1.Time
	detail := ""
	switch o := obj.(type) {
	case *windlassv1.PipelineRun:
		start, end = o.Status.StartTime, o.Status.CompletionTime
		total := 0
		if o.Status.PipelineSpec != nil {
			total = len(o.Status.PipelineSpec.Tasks) + len(o.Status.PipelineSpec.Finally)
		}
		done, running := 0, []string{}
		if trs, err := e.childTaskRuns(ctx, r.ns, r.name); err == nil {
			for _, tr := range trs {
				if _, ok := exit.Outcome(view.Succeeded(tr.Status.Conditions)); ok {
					done++
				} else {
					running = append(running, tr.Labels[pipeline.LabelPipelineTask])
				}
			}
		}
		done += len(o.Status.SkippedTasks)
		if total > 0 {
			detail = fmt.Sprintf(" %d/%d tasks done", done, total)
			if len(running) > 0 && !final {
				detail += ", running: " + strings.Join(running, ", ")
			}
		}
	case *windlassv1.TaskRun:
		start, end = o.Status.StartTime, o.Status.CompletionTime
		for i, s := range o.Status.Steps {
			if s.Running != nil && !final {
				detail = fmt.Sprintf(" step %d/%d: %s", i+1, len(o.Status.Steps), s.Name)
			}
		}
	}
	state = fmt.Sprintf("%s: %s (%s)%s", r, status, reason, detail)
	dur = view.Duration(start, end, e.now())
	if c := view.Succeeded(conds); final && c != nil && c.Message != "" && c.Status == metav1.ConditionFalse {
		dur += ": " + c.Message
	}
	return state, dur, final
}
