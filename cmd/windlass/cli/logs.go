package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/cli/logmux"
	"github.com/windlass-dev/windlass/internal/cli/view"
	"github.com/windlass-dev/windlass/internal/pipeline"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// pollEvery is how often a followed run is looked at for new pods and
// started containers (the lines themselves stream as they are written).
const pollEvery = 200 * time.Millisecond

type logOptions struct {
	follow bool
	tasks  []string
	step   string
}

func (e *env) logsCmd() *cobra.Command {
	var o logOptions
	var last bool
	cmd := &cobra.Command{
		Use:   "logs RUN | logs --last [PIPELINE]",
		Short: "Show the logs of a PipelineRun (all its tasks) or TaskRun",
		Long: `Show the logs of a PipelineRun across all its TaskRuns, each line prefixed with
[task:step]: a finished run's tasks one after another in the pipeline's order; with
-f a running run is followed, each pod's streams starting as soon as it exists, tasks
that run at the same time interleaved line by line, until the run ends. RUN may also
be a TaskRun. --last picks the newest PipelineRun (of PIPELINE, when given).`,
		Args: func(cmd *cobra.Command, a []string) error {
			if last && len(a) > 1 || !last && len(a) != 1 {
				return exit.UsageError("logs takes RUN, or --last with an optional PIPELINE")
			}
			return nil
		},
		ValidArgsFunction: e.complete(map[string]bool{"pipelinerun": true, "taskrun": true}),
		RunE: func(cmd *cobra.Command, a []string) error {
			ctx := cmd.Context()
			var r run
			var err error
			if last {
				r, err = e.lastRun(ctx, a)
			} else {
				r, err = e.lookupRun(ctx, a[0])
			}
			if err != nil {
				return err
			}
			return e.streamLogs(ctx, r, o)
		},
	}
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "follow the run until it ends")
	cmd.Flags().StringArrayVar(&o.tasks, "task", nil, "only this pipeline task (repeatable)")
	cmd.Flags().StringVar(&o.step, "step", "", "only this step")
	cmd.Flags().BoolVar(&last, "last", false, "the newest PipelineRun (of the pipeline named, if any)")
	return cmd
}

// lastRun is the newest PipelineRun, of the pipeline a[0] when given.
func (e *env) lastRun(ctx context.Context, a []string) (run, error) {
	c, err := e.clients()
	if err != nil {
		return run{}, err
	}
	list := &windlassv1.PipelineRunList{}
	if err := c.crc.List(ctx, list, client.InNamespace(c.ns)); err != nil {
		return run{}, err
	}
	var newest *windlassv1.PipelineRun
	for i := range list.Items {
		pr := &list.Items[i]
		if len(a) == 1 && (pr.Spec.PipelineRef == nil || pr.Spec.PipelineRef.Name != a[0]) {
			continue
		}
		if newest == nil || pr.CreationTimestamp.After(newest.CreationTimestamp.Time) {
			newest = pr
		}
	}
	if newest == nil {
		return run{}, fmt.Errorf("there is no PipelineRun %sin namespace %s", map[bool]string{true: "of pipeline " + strings.Join(a, "") + " ", false: ""}[len(a) == 1], c.ns)
	}
	return run{kind: kindPipelineRun, ns: c.ns, name: newest.Name}, nil
}

// followToEnd follows the run's logs to its end and returns its outcome.
func (e *env) followToEnd(ctx context.Context, r run, o logOptions) error {
	if err := e.streamLogs(ctx, r, o); err != nil {
		return err
	}
	for {
		obj, conds, err := e.get(ctx, r)
		if err != nil {
			return err
		}
		if done, out := outcome(conds); done {
			state, dur, _ := e.progress(ctx, r, obj, conds)
			fmt.Fprintf(e.errOut, "%s, %s\n", state, dur)
			return out
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// streamLogs writes the run's logs through the multiplexer: once, in the
// pipeline's order, when the run has ended or o.follow is off; else as the
// pods appear, until the run ends.
func (e *env) streamLogs(ctx context.Context, r run, o logOptions) error {
	_, conds, err := e.get(ctx, r)
	if err != nil {
		return err
	}
	_, done := exit.Outcome(view.Succeeded(conds))
	follow := o.follow && !done
	mux := logmux.New(e.out, logmux.Options{Color: e.color, Sequential: !follow})
	lanes := make(chan logmux.Lane)
	muxErr := make(chan error, 1)
	go func() { muxErr <- mux.Run(ctx, lanes) }()
	err = e.feed(ctx, r, follow, o, lanes)
	close(lanes)
	return errors.Join(err, <-muxErr)
}

// feed sends a lane for each TaskRun of the run as soon as its pod exists.
func (e *env) feed(ctx context.Context, r run, follow bool, o logOptions, lanes chan<- logmux.Lane) error {
	c, err := e.clients()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for {
		obj, conds, err := e.get(ctx, r)
		if err != nil {
			return err
		}
		_, runDone := exit.Outcome(view.Succeeded(conds))
		var trs []windlassv1.TaskRun
		if pr, ok := obj.(*windlassv1.PipelineRun); ok {
			if trs, err = e.childTaskRuns(ctx, r.ns, r.name); err != nil {
				return err
			}
			sortTaskRuns(trs, view.TaskOrder(pr.Status.PipelineSpec))
		} else {
			trs = []windlassv1.TaskRun{*obj.(*windlassv1.TaskRun)}
		}
		pending := false
		for i := range trs {
			tr := &trs[i]
			task := laneName(tr)
			if seen[tr.Name] || len(o.tasks) > 0 && !slices.Contains(o.tasks, tr.Labels[pipeline.LabelPipelineTask]) {
				continue
			}
			pod, err := c.kube.CoreV1().Pods(tr.Namespace).Get(ctx, podspec.PodName(tr.Name), metav1.GetOptions{})
			switch {
			case err == nil:
				seen[tr.Name] = true
				select {
				case lanes <- e.lane(task, tr, pod, follow, o.step):
				case <-ctx.Done():
					return ctx.Err()
				}
			case !apierrors.IsNotFound(err):
				return err
			default:
				_, trDone := exit.Outcome(view.Succeeded(tr.Status.Conditions))
				if trDone || !follow {
					seen[tr.Name] = true // it never had a pod, or it is gone
				} else {
					pending = true
				}
			}
		}
		if !follow || runDone && !pending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// sortTaskRuns orders TaskRuns by their task's place in the pipeline, then
// attempt, matrix index and name; tasks not in order last.
func sortTaskRuns(trs []windlassv1.TaskRun, order []string) {
	rank := map[string]int{}
	for i, n := range order {
		rank[n] = i
	}
	place := func(tr *windlassv1.TaskRun) int { // tasks not in order (unknown yet) go last
		if r, ok := rank[tr.Labels[pipeline.LabelPipelineTask]]; ok {
			return r
		}
		return len(order)
	}
	num := func(tr *windlassv1.TaskRun, label string) int {
		n, _ := strconv.Atoi(tr.Labels[label])
		return n
	}
	sort.SliceStable(trs, func(i, j int) bool {
		a, b := &trs[i], &trs[j]
		ra, rb := place(a), place(b)
		if ra != rb {
			return ra < rb
		}
		if x, y := num(a, pipeline.LabelAttempt), num(b, pipeline.LabelAttempt); x != y {
			return x < y
		}
		if x, y := num(a, pipeline.LabelMatrixIndex), num(b, pipeline.LabelMatrixIndex); x != y {
			return x < y
		}
		return a.Name < b.Name
	})
}

// laneName is how a TaskRun's lines are prefixed: its pipeline task, with
// the retry and matrix combination when there are several.
func laneName(tr *windlassv1.TaskRun) string {
	name := tr.Labels[pipeline.LabelPipelineTask]
	if name == "" {
		return tr.Name
	}
	if i, ok := tr.Labels[pipeline.LabelMatrixIndex]; ok {
		name += "[" + i + "]"
	}
	if a := tr.Labels[pipeline.LabelAttempt]; a != "" && a != "0" {
		name += "/retry" + a
	}
	return name
}

// lane is a TaskRun's steps: the pod's step containers, in order.
func (e *env) lane(task string, tr *windlassv1.TaskRun, pod *corev1.Pod, follow bool, onlyStep string) logmux.Lane {
	l := logmux.Lane{Task: task}
	for _, ctr := range pod.Spec.Containers {
		step, ok := strings.CutPrefix(ctr.Name, "step-")
		if !ok || onlyStep != "" && step != onlyStep {
			continue
		}
		l.Steps = append(l.Steps, logmux.Step{Name: step, Open: e.opener(tr, pod.Name, ctr.Name, follow)})
	}
	return l
}

// opener opens a step container's log: when following, once the container
// has started (nil if it never will), streamed until the container ends.
func (e *env) opener(tr *windlassv1.TaskRun, pod, container string, follow bool) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		c, err := e.clients()
		if err != nil {
			return nil, err
		}
		for {
			p, err := c.kube.CoreV1().Pods(tr.Namespace).Get(ctx, pod, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("pod %s is gone: its logs with it", pod)
			}
			if err != nil {
				return nil, err
			}
			if started(p, container) {
				break
			}
			if !follow || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil {
				return nil, nil // it never ran
			}
			cur := &windlassv1.TaskRun{}
			if err := c.crc.Get(ctx, client.ObjectKeyFromObject(tr), cur); err == nil {
				if _, done := exit.Outcome(view.Succeeded(cur.Status.Conditions)); done {
					return nil, nil
				}
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(pollEvery):
			}
		}
		return c.kube.CoreV1().Pods(tr.Namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: follow}).Stream(ctx)
	}
}

// started reports whether the container runs or has run.
func started(p *corev1.Pod, container string) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == container {
			return s.State.Running != nil || s.State.Terminated != nil
		}
	}
	return false
}
