package view

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/dag"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

// StepLog is the last lines of a step, shown for a failed step.
type StepLog struct {
	Task, Step string
	Lines      []string
}

// Described is a PipelineRun with what describe shows of it.
type Described struct {
	Run       *windlassv1.PipelineRun
	TaskRuns  []windlassv1.TaskRun  // the run's TaskRuns
	Approvals []windlassv1.Approval // the run's approval gates
	Logs      []StepLog             // the failed steps' last lines
}

// TaskOrder is the order of a pipeline's tasks: tasks so that each comes
// after those it waits for (runAfter and result references; declaration
// order among free ones), then finally.
func TaskOrder(spec *windlassv1.PipelineSpec) []string {
	if spec == nil {
		return nil
	}
	var nodes []string
	deps := map[string][]string{}
	inTasks := map[string]bool{}
	for _, pt := range spec.Tasks {
		inTasks[pt.Name] = true
	}
	for i := range spec.Tasks {
		pt := &spec.Tasks[i]
		nodes = append(nodes, pt.Name)
		for _, p := range pt.RunAfter {
			if inTasks[p] && p != pt.Name {
				deps[pt.Name] = append(deps[pt.Name], p)
			}
		}
		for _, r := range pipeline.ResultRefs(pt) {
			if r.Section == "tasks" && inTasks[r.Task] && r.Task != pt.Name {
				deps[pt.Name] = append(deps[pt.Name], r.Task)
			}
		}
	}
	out := nodes
	if g, err := dag.Build(nodes, deps); err == nil {
		out = g.Order()
	}
	for _, pt := range spec.Finally {
		out = append(out, pt.Name)
	}
	return out
}

// FailedStep is the step that failed a TaskRun: the first one that ended
// with a non-zero exit code (not one skipped after it).
func FailedStep(tr *windlassv1.TaskRun) (windlassv1.StepState, bool) {
	for _, s := range tr.Status.Steps {
		if t := s.Terminated; t != nil && t.ExitCode != 0 && t.Reason != "Skipped" {
			return s, true
		}
	}
	return windlassv1.StepState{}, false
}

// DescribePipelineRun writes a run on one screen.
func DescribePipelineRun(w io.Writer, d Described, now time.Time) error {
	pr := d.Run
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	pipelineName := "(inline pipelineSpec)"
	if pr.Spec.PipelineRef != nil {
		pipelineName = pr.Spec.PipelineRef.Name
	}
	fmt.Fprintf(tw, "Name:\t%s\nNamespace:\t%s\nPipeline:\t%s\n", pr.Name, pr.Namespace, pipelineName)
	header(tw, pr.Status.Conditions, pr.CreationTimestamp, pr.Status.StartTime, pr.Status.CompletionTime, now)
	if pr.Spec.Status != "" {
		fmt.Fprintf(tw, "Requested:\t%s %s\n", pr.Spec.Status, pr.Spec.StatusMessage)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	namedValues(w, "Params", pr.Spec.Params)
	results := make([]windlassv1.Param, len(pr.Status.Results))
	for i, r := range pr.Status.Results {
		results[i] = windlassv1.Param(r)
	}
	namedValues(w, "Results", results)

	byTask := map[string][]*windlassv1.TaskRun{}
	for i := range d.TaskRuns {
		tr := &d.TaskRuns[i]
		byTask[tr.Labels[pipeline.LabelPipelineTask]] = append(byTask[tr.Labels[pipeline.LabelPipelineTask]], tr)
	}
	gates := map[string]*windlassv1.Approval{}
	for i := range d.Approvals {
		gates[d.Approvals[i].Spec.PipelineTask] = &d.Approvals[i]
	}
	skipped := map[string]string{}
	for _, s := range pr.Status.SkippedTasks {
		skipped[s.Name] = s.Reason
	}
	order := TaskOrder(pr.Status.PipelineSpec)
	if order == nil {
		order = TaskOrder(pr.Spec.PipelineSpec)
	}
	if order == nil { // not resolved (yet): the tasks that ran
		for _, tr := range d.TaskRuns {
			if t := tr.Labels[pipeline.LabelPipelineTask]; len(byTask[t]) > 0 && !slices.Contains(order, t) {
				order = append(order, t)
			}
		}
	}
	fmt.Fprintln(w, "\nTasks")
	tt := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tt, "  NAME\tSTATUS\tDURATION\tREASON")
	for _, name := range order {
		switch {
		case gates[name] != nil:
			gateRow(tt, name, gates[name], now)
		case len(byTask[name]) > 0:
			for _, tr := range byTask[name] {
				label := name
				if len(byTask[name]) > 1 {
					label = name + " (" + tr.Name + ")"
				}
				taskRows(tt, label, tr, now)
			}
		case skipped[name] != "":
			fmt.Fprintf(tt, "  %s\tSkipped\t-\t%s\n", name, skipped[name])
		default:
			fmt.Fprintf(tt, "  %s\tNot started\t-\t-\n", name)
		}
	}
	if err := tt.Flush(); err != nil {
		return err
	}
	if len(pr.Status.SkippedTasks) > 0 {
		fmt.Fprintln(w, "\nSkipped tasks")
		st := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		for _, s := range pr.Status.SkippedTasks {
			fmt.Fprintf(st, "  %s\t%s\t%s\n", s.Name, s.Reason, oneLine(s.Message))
		}
		st.Flush()
	}
	return failedLogs(w, d.Logs)
}

// DescribeTaskRun writes a TaskRun on one screen.
func DescribeTaskRun(w io.Writer, tr *windlassv1.TaskRun, logs []StepLog, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\nNamespace:\t%s\nTask:\t%s\n", tr.Name, tr.Namespace, taskOf(tr))
	if pr := tr.Labels[pipeline.LabelPipelineRun]; pr != "" {
		fmt.Fprintf(tw, "PipelineRun:\t%s (task %s)\n", pr, tr.Labels[pipeline.LabelPipelineTask])
	}
	if tr.Status.PodName != "" {
		fmt.Fprintf(tw, "Pod:\t%s\n", tr.Status.PodName)
	}
	header(tw, tr.Status.Conditions, tr.CreationTimestamp, tr.Status.StartTime, tr.Status.CompletionTime, now)
	if err := tw.Flush(); err != nil {
		return err
	}
	namedValues(w, "Params", tr.Spec.Params)
	results := make([]windlassv1.Param, len(tr.Status.Results))
	for i, r := range tr.Status.Results {
		results[i] = windlassv1.Param{Name: r.Name, Value: r.Value}
	}
	namedValues(w, "Results", results)
	fmt.Fprintln(w, "\nSteps")
	tt := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tt, "  NAME\tSTATUS\tDURATION\tREASON")
	for _, s := range tr.Status.Steps {
		stepRow(tt, "  "+s.Name, s, now)
	}
	if err := tt.Flush(); err != nil {
		return err
	}
	return failedLogs(w, logs)
}

func header(w io.Writer, conds []metav1.Condition, created metav1.Time, start, end *metav1.Time, now time.Time) {
	status := Status(conds)
	if c := Succeeded(conds); c != nil {
		status += " (" + c.Reason + ")"
		if c.Message != "" {
			defer fmt.Fprintf(w, "Message:\t%s\n", oneLine(c.Message))
		}
	}
	fmt.Fprintf(w, "Status:\t%s\n", status)
	fmt.Fprintf(w, "Created:\t%s ago\n", Age(created, now))
	fmt.Fprintf(w, "Duration:\t%s\n", Duration(start, end, now))
}

// namedValues prints a section of names and values (params, results).
func namedValues(w io.Writer, title string, ps []windlassv1.Param) {
	fmt.Fprintln(w, "\n"+title)
	if len(ps) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, p := range ps {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, ParamText(p.Value))
	}
	tw.Flush()
}

func taskRows(w io.Writer, label string, tr *windlassv1.TaskRun, now time.Time) {
	reason := Reason(tr.Status.Conditions)
	if c := Succeeded(tr.Status.Conditions); c != nil && c.Status == metav1.ConditionFalse && c.Message != "" {
		reason += ": " + oneLine(c.Message)
	}
	fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", label, Status(tr.Status.Conditions), Duration(tr.Status.StartTime, tr.Status.CompletionTime, now), reason)
	for _, s := range tr.Status.Steps {
		stepRow(w, "    └ "+s.Name, s, now)
	}
}

func stepRow(w io.Writer, label string, s windlassv1.StepState, now time.Time) {
	status, dur, reason := "Pending", "-", "-"
	switch {
	case s.Terminated != nil:
		t := s.Terminated
		status = t.Reason
		if status == "" {
			status = "Terminated"
		}
		if t.Reason != "Skipped" {
			dur = Duration(&t.StartedAt, &t.FinishedAt, now)
			reason = fmt.Sprintf("exit code %d", t.ExitCode)
		}
		if t.Message != "" && t.ExitCode != 0 {
			reason += ": " + oneLine(t.Message)
		}
	case s.Running != nil:
		status = "Running"
		dur = Duration(&s.Running.StartedAt, nil, now)
	case s.Waiting != nil:
		status, reason = "Waiting", waitingReason(s.Waiting)
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", label, status, dur, reason)
}

func waitingReason(wt *corev1.ContainerStateWaiting) string {
	if wt.Reason == "" {
		return "-"
	}
	if wt.Message != "" {
		return wt.Reason + ": " + oneLine(wt.Message)
	}
	return wt.Reason
}

func gateRow(w io.Writer, name string, a *windlassv1.Approval, now time.Time) {
	reason := Reason(a.Status.Conditions)
	switch {
	case a.Status.DecidedBy != "":
		reason += " by " + a.Status.DecidedBy
		if a.Status.Comment != "" {
			reason += ": " + oneLine(a.Status.Comment)
		}
	case Status(a.Status.Conditions) != "Succeeded" && Status(a.Status.Conditions) != "Failed":
		reason += " (approvers: " + strings.Join(a.Spec.Approvers, ", ") + ")"
	}
	fmt.Fprintf(w, "  %s [approval]\t%s\t%s\t%s\n", name, Status(a.Status.Conditions), Duration(a.Status.StartTime, a.Status.CompletionTime, now), reason)
}

func failedLogs(w io.Writer, logs []StepLog) error {
	for _, l := range logs {
		fmt.Fprintf(w, "\nLast lines of failed step %s:%s\n", l.Task, l.Step)
		if len(l.Lines) == 0 {
			fmt.Fprintln(w, "  (no output)")
		}
		for _, line := range l.Lines {
			fmt.Fprintf(w, "  | %s\n", line)
		}
	}
	return nil
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}
