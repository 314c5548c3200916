package pipeline

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// Labels on the TaskRuns a PipelineRun creates; with the run's name they
// identify a TaskRun's task, attempt and matrix combination.
const (
	LabelPipelineRun  = "windlass.dev/pipelineRun"
	LabelPipeline     = "windlass.dev/pipeline"
	LabelPipelineTask = "windlass.dev/pipelineTask"
	LabelAttempt      = windlassv1.LabelAttempt
	LabelMatrixIndex  = "windlass.dev/matrixIndex"
)

// Reasons a task is skipped (SkippedTask.Reason).
const (
	SkipWhen          = "WhenExpressionsFalse"
	SkipParentSkipped = "ParentTasksSkipped"
	SkipResults       = "ResultsMissing"
	SkipStopping      = "PipelineRunStopping"
	SkipCancelled     = "PipelineRunCancelled"
	SkipTimedOut      = "PipelineRunTimedOut"
	SkipTasksTimedOut = "TasksTimedOut"
	SkipEmptyMatrix   = "EmptyMatrix"
)

// ReasonFailureIgnored is $(tasks.<name>.reason) of a task that failed
// under onError: continue (Tekton's word).
const ReasonFailureIgnored = "FailureIgnored"

// Config holds the controller's settings the engine needs.
type Config struct {
	DefaultTimeout time.Duration // for runs without timeouts.pipeline; 0: none
	MaxMatrix      int           // combinations a matrix may fan out to
}

// Input is everything a decision is made from.
type Input struct {
	Run      *windlassv1.PipelineRun // with status.startTime set
	Resolved *Resolved
	Children []windlassv1.TaskRun // the run's TaskRuns, in any order
	Now      time.Time
	Config   Config
}

// Cancel asks for one running TaskRun to be cancelled.
type Cancel struct {
	Name    string
	Message string
}

// Output is what to do and what the run's status becomes.
type Output struct {
	Create []*windlassv1.TaskRun
	Cancel []Cancel
	// Condition is the Succeeded condition's status, reason and message.
	Status          metav1.ConditionStatus
	Reason, Message string
	Done            bool
	ChildReferences []windlassv1.ChildStatusReference
	SkippedTasks    []windlassv1.SkippedTask
	Results         []windlassv1.PipelineRunResult
	// FinallyStarted is set when finally tasks are (or were) started.
	FinallyStarted bool
	// RequeueAfter is when a deadline passes, 0 for none.
	RequeueAfter time.Duration
}

type state int

const (
	pending   state = iota // not started, waiting for its parents
	running                // has a TaskRun not finished (or a retry to make)
	succeeded              // every TaskRun succeeded
	failed                 // a TaskRun failed with no retry left
	skipped
)

// taskOutcome is where one pipeline task stands.
type taskOutcome struct {
	finally   bool
	state     state
	continued bool // failed, but onError: continue
	skip      windlassv1.SkippedTask
	results   map[string]windlassv1.ParamValue
	failMsg   string
	// reason is $(tasks.<name>.reason): the reason of its first failed
	// TaskRun's condition (FailureIgnored under onError: continue), else
	// of its first TaskRun's, as in Tekton.
	reason string
	// matrix holds, for a matrixed task, $(tasks.<name>.matrix.length) and
	// each $(tasks.<name>.matrix.<result>.length).
	matrix map[string]int
}

// attempts are one task's TaskRuns: per matrix index (0 without a matrix), by attempt.
type attempts map[int]map[int]*windlassv1.TaskRun

// ErrInvalid matches (errors.Is) every error that makes the run invalid (InvalidSpec).
var ErrInvalid = errors.New("invalid")

// InvalidError makes the run invalid; its message is the user's: it names the
// field. errors.Is(err, ErrInvalid) holds for it.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string        { return e.Err.Error() }
func (e *InvalidError) Unwrap() error        { return e.Err }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(err error) error { return &InvalidError{Err: err} }

type planner struct {
	in       Input
	out      Output
	children map[string]attempts
	outcomes map[string]*taskOutcome
	stopping bool // a task failed: start nothing new in tasks
	timeouts timeouts
	cancel   windlassv1.PipelineRunSpecStatus
}

type timeouts struct {
	pipeline, tasks, finally          time.Duration // 0: none
	pipelineHit, tasksHit, finallyHit bool
}

// Plan decides the next moves of a run. An error wrapping ErrInvalid means
// the run cannot go on (InvalidSpec); its message names the field.
func Plan(in Input) (Output, error) {
	p := &planner{in: in, children: map[string]attempts{}, outcomes: map[string]*taskOutcome{}, cancel: in.Run.Spec.Status}
	for i := range in.Children {
		tr := &in.Children[i]
		task := tr.Labels[LabelPipelineTask]
		attempt, _ := strconv.Atoi(tr.Labels[LabelAttempt])
		idx, _ := strconv.Atoi(tr.Labels[LabelMatrixIndex])
		if p.children[task] == nil {
			p.children[task] = attempts{}
		}
		if p.children[task][idx] == nil {
			p.children[task][idx] = map[int]*windlassv1.TaskRun{}
		}
		p.children[task][idx][attempt] = tr
	}
	p.setTimeouts()
	if err := p.plan(); err != nil {
		return Output{}, err
	}
	return p.out, nil
}

func (p *planner) setTimeouts() {
	spec, start := p.in.Run.Spec, p.in.Run.Status.StartTime.Time
	t := &p.timeouts
	t.pipeline = p.in.Config.DefaultTimeout
	if spec.Timeouts != nil {
		if spec.Timeouts.Pipeline != nil {
			t.pipeline = spec.Timeouts.Pipeline.Duration
		}
		if spec.Timeouts.Tasks != nil {
			t.tasks = spec.Timeouts.Tasks.Duration
		}
		if spec.Timeouts.Finally != nil {
			t.finally = spec.Timeouts.Finally.Duration
		}
	}
	now := p.in.Now
	t.pipelineHit = t.pipeline > 0 && !now.Before(start.Add(t.pipeline))
	t.tasksHit = t.pipelineHit || (t.tasks > 0 && !now.Before(start.Add(t.tasks)))
	if fs := p.in.Run.Status.FinallyStartTime; fs != nil && t.finally > 0 {
		t.finallyHit = !now.Before(fs.Add(t.finally))
	}
	t.finallyHit = t.finallyHit || t.pipelineHit
}

func (p *planner) plan() error {
	r := p.in.Resolved
	// First, where every started task stands: a failure anywhere stops new starts.
	for _, sec := range sections(r.Spec) {
		for i := range sec.tasks {
			pt := &sec.tasks[i]
			if runs := p.children[pt.Name]; len(runs) > 0 {
				o := p.started(pt, runs, sec.name == "finally")
				p.outcomes[pt.Name] = o
				if sec.name == "tasks" && o.state == failed && !o.continued {
					p.stopping = true
				}
			}
		}
	}
	if p.cancel == windlassv1.PipelineRunStoppedRunFinally {
		p.stopping = true
	}
	// Then the tasks not started, in graph order.
	byName := map[string]*windlassv1.PipelineTask{}
	for i := range r.Spec.Tasks {
		byName[r.Spec.Tasks[i].Name] = &r.Spec.Tasks[i]
	}
	for _, name := range r.Graph.Order() {
		if p.outcomes[name] != nil {
			continue
		}
		if err := p.decide(byName[name], false); err != nil {
			return err
		}
	}
	tasksDone := true
	for _, pt := range r.Spec.Tasks {
		if s := p.outcomes[pt.Name].state; s == pending || s == running {
			tasksDone = false
		}
	}
	if tasksDone {
		p.out.FinallyStarted = len(r.Spec.Finally) > 0
		for i := range r.Spec.Finally {
			pt := &r.Spec.Finally[i]
			if p.outcomes[pt.Name] != nil {
				continue
			}
			if err := p.decide(pt, true); err != nil {
				return err
			}
		}
	} else {
		for _, pt := range r.Spec.Finally {
			if o := p.outcomes[pt.Name]; o == nil {
				p.outcomes[pt.Name] = &taskOutcome{finally: true, state: pending}
			}
		}
	}
	p.cancels()
	p.status(tasksDone)
	return nil
}

// started sums up a task that has TaskRuns, and retries failed attempts.
func (p *planner) started(pt *windlassv1.PipelineTask, runs attempts, finally bool) *taskOutcome {
	o := &taskOutcome{finally: finally, state: succeeded}
	combos := len(runs)
	if pt.Matrix != nil {
		// Every combination's first attempt is created in one go; a crash in
		// between leaves some missing: they are made again, deterministically.
		if missing := p.missingCombinations(pt, runs); missing {
			o.state = running
		}
	}
	mayRetry := !p.noMoreStarts(finally)
	results := map[string][]string{}
	resultTypes := map[string]windlassv1.ParamValue{}
	haveAll := map[string]int{}
	failedFirst := false
	for idx := 0; idx < combos; idx++ {
		byAttempt := runs[idx]
		if len(byAttempt) == 0 {
			continue // just re-made by missingCombinations
		}
		last := -1
		for a := range byAttempt {
			last = max(last, a)
		}
		tr := byAttempt[last]
		if r := reasonOf(tr); o.reason == "" || runState(tr) == failed && !failedFirst {
			o.reason, failedFirst = r, runState(tr) == failed
		}
		switch runState(tr) {
		case running:
			o.state = running
		case failed:
			if int32(last) < pt.Retries && mayRetry {
				o.state = running
				p.out.Create = append(p.out.Create, p.retry(pt, tr, last+1, finally))
				continue
			}
			if o.state != running {
				o.state = failed
			}
			if o.failMsg == "" {
				o.failMsg = fmt.Sprintf("%s %s: %s", childKind(tr), tr.Name, message(tr))
			}
		case succeeded:
			for _, res := range tr.Status.Results {
				if res.Value.Type == windlassv1.ParamTypeString || res.Value.Type == "" {
					results[res.Name] = append(results[res.Name], res.Value.StringVal)
				}
				resultTypes[res.Name] = res.Value
				haveAll[res.Name]++
			}
		}
	}
	if o.state == failed && pt.OnError == windlassv1.PipelineTaskContinue {
		o.continued = true
		o.reason = ReasonFailureIgnored
	}
	if pt.Matrix != nil {
		o.matrix = map[string]int{"length": combos}
		for name := range resultTypes {
			o.matrix[name+".length"] = haveAll[name]
		}
	}
	if o.state == succeeded {
		o.results = map[string]windlassv1.ParamValue{}
		for name, v := range resultTypes {
			if pt.Matrix != nil {
				if haveAll[name] == combos && len(results[name]) == combos {
					o.results[name] = *windlassv1.NewArray(results[name]...)
				}
				continue
			}
			o.results[name] = v
		}
	}
	return o
}

// noMoreStarts tells whether nothing new may start in a section (retries included).
func (p *planner) noMoreStarts(finally bool) bool {
	if finally {
		return p.cancel == windlassv1.PipelineRunCancelled || p.timeouts.finallyHit
	}
	return p.stopping || p.cancel != "" && p.cancel != windlassv1.PipelineRunPending || p.timeouts.tasksHit
}

// decide what to do with a task that has no TaskRun yet.
func (p *planner) decide(pt *windlassv1.PipelineTask, finally bool) error {
	o := &taskOutcome{finally: finally, state: pending}
	p.outcomes[pt.Name] = o
	skip := func(reason, msg string, when []windlassv1.WhenExpression) {
		o.state = skipped
		o.skip = windlassv1.SkippedTask{Name: pt.Name, Reason: reason, Message: msg, WhenExpressions: when}
	}
	switch {
	case finally && p.cancel == windlassv1.PipelineRunCancelled:
		skip(SkipCancelled, "the PipelineRun was cancelled", nil)
		return nil
	case finally && p.timeouts.finallyHit:
		skip(SkipTimedOut, "the PipelineRun's timeout was reached", nil)
		return nil
	case !finally && (p.cancel == windlassv1.PipelineRunCancelled || p.cancel == windlassv1.PipelineRunCancelledRunFinally):
		skip(SkipCancelled, "the PipelineRun was cancelled", nil)
		return nil
	case !finally && p.timeouts.pipelineHit:
		skip(SkipTimedOut, "the PipelineRun's timeout was reached", nil)
		return nil
	case !finally && p.timeouts.tasksHit:
		skip(SkipTasksTimedOut, "the PipelineRun's tasks timeout was reached", nil)
		return nil
	case !finally && p.stopping:
		skip(SkipStopping, p.stoppingMessage(), nil)
		return nil
	}
	if !finally {
		for _, parent := range p.in.Resolved.Graph.Parents(pt.Name) {
			po := p.outcomes[parent]
			switch {
			case po.state == pending || po.state == running:
				return nil // wait
			case po.state == skipped && po.skip.Reason != SkipWhen:
				skip(SkipParentSkipped, fmt.Sprintf("task %q it depends on was skipped (%s)", parent, po.skip.Reason), nil)
				return nil
			}
		}
	}
	for _, ref := range ResultRefs(pt) {
		ro := p.outcomes[ref.Task]
		ok := false
		if ro != nil {
			_, ok = ro.results[ref.Result]
		}
		if !ok {
			skip(SkipResults, fmt.Sprintf("result %q of task %q is not available (%s)", ref.Result, ref.Task, describe(ro)), nil)
			return nil
		}
	}
	v := p.values(pt)
	field := fmt.Sprintf("spec.pipelineSpec.%s (%s)", sectionOf(finally), pt.Name)
	when, ok, err := evalWhen(field, pt.When, v)
	if err != nil {
		return invalid(err)
	}
	if !ok {
		skip(SkipWhen, "its when expressions evaluated to false", when)
		return nil
	}
	runs, err := p.newTaskRuns(pt, v, field)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		skip(SkipEmptyMatrix, "its matrix has no combinations (an empty array)", nil)
		return nil
	}
	o.state = running
	p.out.Create = append(p.out.Create, runs...)
	return nil
}

func sectionOf(finally bool) string {
	if finally {
		return "finally"
	}
	return "tasks"
}

func (p *planner) stoppingMessage() string {
	if p.cancel == windlassv1.PipelineRunStoppedRunFinally {
		return "the PipelineRun was stopped"
	}
	return "a task failed, the PipelineRun is stopping"
}

func describe(o *taskOutcome) string {
	switch {
	case o == nil:
		return "unknown task"
	case o.state == skipped:
		return "it was skipped: " + o.skip.Reason
	case o.state == failed:
		return "it failed"
	}
	return "it did not write it"
}

// values are what references in pt resolve to now.
func (p *planner) values(pt *windlassv1.PipelineTask) substitute.Values {
	v := p.in.Resolved.values(p.in.Run, p.outcomes)
	v.Strings["context.pipelineTask.retries"] = strconv.Itoa(int(pt.Retries))
	overall := "Succeeded"
	for _, t := range p.in.Resolved.Spec.Tasks {
		o := p.outcomes[t.Name]
		s := "None"
		if o == nil {
			v.Strings["tasks."+t.Name+".status"] = s
			v.Strings["tasks."+t.Name+".reason"] = ""
			continue
		}
		v.Strings["tasks."+t.Name+".reason"] = o.reason
		switch o.state {
		case succeeded:
			s = "Succeeded"
		case failed:
			s = "Failed"
			overall = "Failed"
		case skipped:
			if overall == "Succeeded" {
				overall = "Completed"
			}
		}
		v.Strings["tasks."+t.Name+".status"] = s
	}
	v.Strings["tasks.status"] = overall
	return v
}

// runState is a TaskRun's standing from its Succeeded condition.
func runState(tr *windlassv1.TaskRun) state {
	for _, c := range tr.Status.Conditions {
		if c.Type == windlassv1.ConditionSucceeded {
			switch c.Status {
			case metav1.ConditionTrue:
				return succeeded
			case metav1.ConditionFalse:
				return failed
			}
		}
	}
	return running
}

// childKind is the kind of the object behind a child: TaskRun, or Approval
// for an approval gate the controller shows to the engine as a TaskRun.
func childKind(tr *windlassv1.TaskRun) string {
	if ref := tr.Spec.TaskRef; ref != nil && ref.Kind == windlassv1.ApprovalKind {
		return windlassv1.ApprovalKind
	}
	return "TaskRun"
}

// reasonOf is the reason of a TaskRun's Succeeded condition ("" while it has none).
func reasonOf(tr *windlassv1.TaskRun) string {
	if c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded); c != nil {
		return c.Reason
	}
	return ""
}

func message(tr *windlassv1.TaskRun) string {
	for _, c := range tr.Status.Conditions {
		if c.Type == windlassv1.ConditionSucceeded {
			return c.Reason + ": " + c.Message
		}
	}
	return ""
}

// cancels asks running TaskRuns to stop when the run is cancelled or a timeout passed.
func (p *planner) cancels() {
	for _, sec := range sections(p.in.Resolved.Spec) {
		finally := sec.name == "finally"
		msg := ""
		switch {
		case p.cancel == windlassv1.PipelineRunCancelled:
			msg = "the PipelineRun was cancelled"
		case !finally && p.cancel == windlassv1.PipelineRunCancelledRunFinally:
			msg = "the PipelineRun was cancelled"
		case p.timeouts.pipelineHit:
			msg = "the PipelineRun's timeout was reached"
		case !finally && p.timeouts.tasksHit:
			msg = "the PipelineRun's tasks timeout was reached"
		case finally && p.timeouts.finallyHit:
			msg = "the PipelineRun's finally timeout was reached"
		}
		if msg == "" {
			continue
		}
		for _, pt := range sec.tasks {
			for _, byAttempt := range p.children[pt.Name] {
				for _, tr := range byAttempt {
					if runState(tr) == running && tr.Spec.Status != windlassv1.TaskRunSpecStatusCancelled {
						p.out.Cancel = append(p.out.Cancel, Cancel{Name: tr.Name, Message: msg})
					}
				}
			}
		}
	}
	sort.Slice(p.out.Cancel, func(i, j int) bool { return p.out.Cancel[i].Name < p.out.Cancel[j].Name })
}

// waiting names each task whose TaskRun is held up by something only a user
// can fix (its Task does not exist yet) or waits for a person (an approval
// gate), with the child's own explanation, so that the run's message says
// why it is not moving.
func (p *planner) waiting() []string {
	var out []string
	for _, sec := range sections(p.in.Resolved.Spec) {
		for _, pt := range sec.tasks {
			var first *windlassv1.TaskRun // of a matrix, the lowest name: the same message on every reconcile
			for _, byIndex := range p.children[pt.Name] {
				for _, tr := range byIndex {
					c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
					if c != nil && c.Status == metav1.ConditionUnknown && (c.Reason == windlassv1.ReasonTaskNotFound || c.Reason == windlassv1.ReasonAwaitingApproval) && (first == nil || tr.Name < first.Name) {
						first = tr
					}
				}
			}
			if first != nil {
				out = append(out, fmt.Sprintf("task %s (%s %s: %s)", pt.Name, childKind(first), first.Name, message(first)))
			}
		}
	}
	return out
}

// status fills in the run's status from the outcomes.
func (p *planner) status(tasksDone bool) {
	r := p.in.Resolved
	out := &p.out
	var failedTasks, continuedTasks []string
	done, finallyDone := 0, true
	for _, sec := range sections(r.Spec) {
		for _, pt := range sec.tasks {
			o := p.outcomes[pt.Name]
			switch o.state {
			case skipped:
				out.SkippedTasks = append(out.SkippedTasks, o.skip)
				done++
			case failed:
				if o.continued {
					continuedTasks = append(continuedTasks, pt.Name)
				} else {
					failedTasks = append(failedTasks, fmt.Sprintf("%s (%s)", pt.Name, o.failMsg))
				}
				done++
			case succeeded:
				done++
			default:
				if sec.name == "finally" {
					finallyDone = false
				}
			}
		}
	}
	out.ChildReferences = p.childReferences()
	total := len(r.Spec.Tasks) + len(r.Spec.Finally)
	summary := fmt.Sprintf("Tasks completed: %d of %d (failed: %d, failures allowed by onError: %d, skipped: %d)",
		done, total, len(failedTasks), len(continuedTasks), len(out.SkippedTasks))
	out.Done = tasksDone && finallyDone
	if !out.Done {
		out.Status, out.Reason, out.Message = metav1.ConditionUnknown, windlassv1.ReasonRunning, summary
		if w := p.waiting(); len(w) > 0 {
			out.Message += "; waiting: " + strings.Join(w, "; ")
		}
		switch p.cancel {
		case windlassv1.PipelineRunCancelled:
			out.Reason = windlassv1.ReasonCancelled
		case windlassv1.PipelineRunCancelledRunFinally:
			out.Reason = windlassv1.ReasonCancelledRunFinally
		case windlassv1.PipelineRunStoppedRunFinally:
			out.Reason = windlassv1.ReasonStoppedRunFinally
		}
		out.RequeueAfter = p.nextDeadline()
		return
	}
	out.Results = p.results()
	out.Status, out.Message = metav1.ConditionFalse, summary
	switch {
	case p.cancel == windlassv1.PipelineRunCancelled || p.cancel == windlassv1.PipelineRunCancelledRunFinally:
		out.Reason = windlassv1.ReasonCancelled
		out.Message = "the PipelineRun was cancelled. " + summary
	case p.timeouts.tasksHit || p.timeouts.finallyHit:
		out.Reason = windlassv1.ReasonTimedOut
		out.Message = p.timeoutMessage() + ". " + summary
	case p.cancel == windlassv1.PipelineRunStoppedRunFinally:
		out.Reason = windlassv1.ReasonStoppedRunFinally
		out.Message = "the PipelineRun was stopped. " + summary
	case len(failedTasks) > 0:
		out.Reason = windlassv1.ReasonFailed
		out.Message = "failed: " + joinFailed(failedTasks) + ". " + summary
	case len(out.SkippedTasks) > 0:
		out.Status, out.Reason = metav1.ConditionTrue, windlassv1.ReasonCompleted
	default:
		out.Status, out.Reason = metav1.ConditionTrue, windlassv1.ReasonSucceeded
	}
}

// maxFailedList bounds the failed tasks quoted in the run's message (each
// quotes its TaskRun's message, up to a step's own word of 1 KiB): a
// condition's message may not exceed 32 KiB.
const maxFailedList = 16 << 10

// joinFailed joins the failed tasks with "; ", the first always, the others
// while they fit maxFailedList, and counts the rest.
func joinFailed(failed []string) string {
	var b strings.Builder
	for i, f := range failed {
		if i > 0 && b.Len()+len("; ")+len(f) > maxFailedList {
			fmt.Fprintf(&b, "; and %d more", len(failed)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f)
	}
	return b.String()
}

func (p *planner) timeoutMessage() string {
	switch {
	case p.timeouts.pipelineHit:
		return fmt.Sprintf("the PipelineRun's timeout (%s) was reached", p.timeouts.pipeline)
	case p.timeouts.tasksHit:
		return fmt.Sprintf("the PipelineRun's tasks timeout (%s) was reached", p.timeouts.tasks)
	}
	return fmt.Sprintf("the PipelineRun's finally timeout (%s) was reached", p.timeouts.finally)
}

// nextDeadline is how long until the nearest timeout not yet reached.
func (p *planner) nextDeadline() time.Duration {
	start, now, t := p.in.Run.Status.StartTime.Time, p.in.Now, p.timeouts
	var next time.Duration
	consider := func(at time.Time) {
		if d := at.Sub(now); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if t.pipeline > 0 {
		consider(start.Add(t.pipeline))
	}
	if t.tasks > 0 {
		consider(start.Add(t.tasks))
	}
	if fs := p.in.Run.Status.FinallyStartTime; fs != nil && t.finally > 0 {
		consider(fs.Add(t.finally))
	} else if p.out.FinallyStarted && t.finally > 0 {
		consider(now.Add(t.finally))
	}
	return next
}

// results computes the pipeline's results; one whose references are not all
// available is left out.
func (p *planner) results() []windlassv1.PipelineRunResult {
	v := p.in.Resolved.values(p.in.Run, p.outcomes)
	var out []windlassv1.PipelineRunResult
	for i, res := range p.in.Resolved.Spec.Results {
		val, err := substParam(v, fmt.Sprintf("results[%d]", i), res.Value)
		if err != nil {
			continue
		}
		out = append(out, windlassv1.PipelineRunResult{Name: res.Name, Value: val})
	}
	return out
}

func (p *planner) childReferences() []windlassv1.ChildStatusReference {
	type ref struct {
		windlassv1.ChildStatusReference
		order int
	}
	order := map[string]int{}
	for i, pt := range append(append([]windlassv1.PipelineTask{}, p.in.Resolved.Spec.Tasks...), p.in.Resolved.Spec.Finally...) {
		order[pt.Name] = i
	}
	var refs []ref
	add := func(tr *windlassv1.TaskRun) {
		c := windlassv1.ChildStatusReference{
			APIVersion: windlassv1.GroupVersion.String(), Kind: childKind(tr), Name: tr.Name,
			PipelineTaskName: tr.Labels[LabelPipelineTask],
		}
		a, _ := strconv.Atoi(tr.Labels[LabelAttempt])
		c.Attempt = int32(a)
		if s, ok := tr.Labels[LabelMatrixIndex]; ok {
			i, _ := strconv.Atoi(s)
			c.MatrixIndex = ptrTo(int32(i))
		}
		refs = append(refs, ref{c, order[c.PipelineTaskName]})
	}
	seen := map[string]bool{}
	for i := range p.in.Children {
		seen[p.in.Children[i].Name] = true
		add(&p.in.Children[i])
	}
	for _, tr := range p.out.Create {
		if !seen[tr.Name] {
			add(tr)
		}
	}
	sort.SliceStable(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.order != b.order {
			return a.order < b.order
		}
		ai, bi := int32(0), int32(0)
		if a.MatrixIndex != nil {
			ai = *a.MatrixIndex
		}
		if b.MatrixIndex != nil {
			bi = *b.MatrixIndex
		}
		if ai != bi {
			return ai < bi
		}
		return a.Attempt < b.Attempt
	})
	out := make([]windlassv1.ChildStatusReference, len(refs))
	for i, r := range refs {
		out[i] = r.ChildStatusReference
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }
