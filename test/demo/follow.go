package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/pipeline"
	"github.com/windlass-dev/windlass/test/util"
)

// Push is one release pushed to the app repository.
type Push struct {
	Version, SHA, Subject string
	At                    time.Time // when the push returned
}

// Push commits a release to the app repository's main branch and pushes it:
// the git server's webhook then tells the listener.
func (d *Demo) Push(ctx context.Context, rel Release) (Push, error) {
	if err := rel.Edit(d.app.dir, d.env.Samples); err != nil {
		return Push{}, fmt.Errorf("release %q: %w", rel.Subject, err)
	}
	v, err := os.ReadFile(filepath.Join(d.app.dir, "VERSION"))
	if err != nil {
		return Push{}, err
	}
	sha, err := d.app.commitAndPush(ctx, rel.Subject)
	if err != nil {
		return Push{}, err
	}
	p := Push{Version: strings.TrimSpace(string(v)), SHA: sha, Subject: rel.Subject, At: time.Now()}
	d.printf("[%s] git push %s main: %s %q", p.Version, d.app.name, sha[:7], rel.Subject)
	return p, nil
}

// Task is what one pipeline task did, as the demo saw it.
type Task struct {
	Name    string
	Outcome string // the Succeeded condition's reason, or Skipped
	// Start and End are when the demo saw the task's run appear and finish
	// (polled every 100 ms: the API's own times are whole seconds).
	Start, End time.Time
	Detail     string // its results worth a look
	Steps      []string
	Why        string // a failure's reason: the failed step's last log line, or the condition's message
	Log        string // the failed step's last log lines
	// StepTime is the steps' own processes' time (the entrypoint's record).
	StepTime time.Duration
}

// Took is the task's wall time.
func (t Task) Took() time.Duration {
	if t.Start.IsZero() || t.End.IsZero() {
		return 0
	}
	return t.End.Sub(t.Start)
}

// Summary is what one push did.
type Summary struct {
	Push
	Run       string
	Seen      time.Time // when the run was first seen
	Done      time.Time
	Succeeded bool
	Reason    string
	Message   string
	Image     string // the build's REPOSITORY:TAG@DIGEST
	Tasks     []Task // in the order they started; skipped ones last
}

// Task returns the named task's summary.
func (s *Summary) Task(name string) (Task, bool) {
	for _, t := range s.Tasks {
		if t.Name == name {
			return t, true
		}
	}
	return Task{}, false
}

// Follow waits for the PipelineRun the push started and prints each task
// as it starts and ends, the deploy steps and the approval (decided as
// Options.Approver when set), until the run is done.
func (d *Demo) Follow(ctx context.Context, p Push) (*Summary, error) {
	return d.follow(ctx, p, "")
}

// FollowUntil is Follow up to the end of one task (the run goes on: Cancel
// stops it).
func (d *Demo) FollowUntil(ctx context.Context, p Push, task string) (*Summary, error) {
	return d.follow(ctx, p, task)
}

func (d *Demo) follow(ctx context.Context, p Push, until string) (*Summary, error) {
	tag := "[" + p.Version + "]"
	pr, err := d.runFor(ctx, p.SHA)
	if err != nil {
		return nil, err
	}
	s := &Summary{Push: p, Run: pr.Name, Seen: time.Now()}
	d.printf("%s webhook -> EventListener web -> PipelineRun %s/%s, %.1fs after the push", tag, pr.Namespace, pr.Name, s.Seen.Sub(p.At).Seconds())
	ns := d.Namespace("ci")
	tasks := map[string]*Task{}
	asked := map[string]bool{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		now := time.Now()
		if err := d.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: pr.Name}, pr); err != nil {
			return s, err
		}
		var trs windlassv1.TaskRunList
		if err := d.c.List(ctx, &trs, client.InNamespace(ns), client.MatchingLabels{pipeline.LabelPipelineRun: pr.Name}); err != nil {
			return s, err
		}
		var gates windlassv1.ApprovalList
		if err := d.c.List(ctx, &gates, client.InNamespace(ns), client.MatchingLabels{pipeline.LabelPipelineRun: pr.Name}); err != nil {
			return s, err
		}
		sort.Slice(trs.Items, func(i, j int) bool {
			return trs.Items[i].CreationTimestamp.Before(&trs.Items[j].CreationTimestamp) ||
				trs.Items[i].CreationTimestamp.Equal(&trs.Items[j].CreationTimestamp) && trs.Items[i].Name < trs.Items[j].Name
		})
		// Ends of known tasks first, then the new ones: a task's end is
		// printed before the start of the task it let go.
		for _, known := range []bool{true, false} {
			for i := range trs.Items {
				if _, ok := tasks[trs.Items[i].Labels[pipeline.LabelPipelineTask]]; ok == known {
					d.taskRun(ctx, tag, &trs.Items[i], tasks, now)
				}
			}
			for i := range gates.Items {
				if _, ok := tasks[gates.Items[i].Labels[pipeline.LabelPipelineTask]]; ok == known {
					d.gate(ctx, tag, &gates.Items[i], tasks, asked, now)
				}
			}
		}
		if t := tasks[until]; t != nil && !t.End.IsZero() {
			s.Done, s.Succeeded, s.Reason, s.Message = t.End, t.Outcome == windlassv1.ReasonSucceeded, t.Outcome, "followed up to "+until
			break
		}
		if c := meta.FindStatusCondition(pr.Status.Conditions, windlassv1.ConditionSucceeded); c != nil && c.Status != metav1.ConditionUnknown {
			s.Done, s.Succeeded, s.Reason, s.Message = now, c.Status == metav1.ConditionTrue, c.Reason, c.Message
			break
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("PipelineRun %s/%s not done: %w", ns, pr.Name, ctx.Err())
		case <-tick.C:
		}
	}
	for _, t := range tasks {
		s.Tasks = append(s.Tasks, *t)
	}
	sort.SliceStable(s.Tasks, func(i, j int) bool { return s.Tasks[i].Start.Before(s.Tasks[j].Start) })
	for _, sk := range pr.Status.SkippedTasks {
		s.Tasks = append(s.Tasks, Task{Name: sk.Name, Outcome: "Skipped", Why: sk.Reason})
	}
	for _, r := range pr.Status.Results {
		if r.Name == "image" {
			s.Image = r.Value.StringVal
		}
	}
	switch {
	case until != "":
	case s.Succeeded:
		d.printf("%s PipelineRun %s succeeded in %.1fs: web %s (%s) runs in %s", tag, pr.Name, s.Done.Sub(s.Seen).Seconds(),
			p.Version, Untagged(s.Image), strings.Join(Envs, ", "))
	default:
		d.printf("%s PipelineRun %s %s: %s", tag, pr.Name, s.Reason, s.Message)
	}
	return s, nil
}

// Cancel cancels a PipelineRun and waits until it is done.
func (d *Demo) Cancel(ctx context.Context, run string) error {
	pr := &windlassv1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace("ci"), Name: run}}
	patch := []byte(`{"spec":{"status":"` + string(windlassv1.PipelineRunCancelled) + `"}}`)
	if err := d.c.Patch(ctx, pr, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := d.c.Get(ctx, client.ObjectKeyFromObject(pr), pr); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(pr.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Status != metav1.ConditionUnknown, nil
	})
}

// runFor waits for the PipelineRun whose revision param is sha.
func (d *Demo) runFor(ctx context.Context, sha string) (*windlassv1.PipelineRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		var list windlassv1.PipelineRunList
		if err := d.c.List(ctx, &list, client.InNamespace(d.Namespace("ci"))); err != nil {
			return nil, err
		}
		for i, pr := range list.Items {
			for _, p := range pr.Spec.Params {
				if p.Name == "revision" && p.Value.StringVal == sha {
					return &list.Items[i], nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no PipelineRun for the push of %s in %s within 2m: did the git server's webhook reach the listener? %w",
				sha, d.Namespace("ci"), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// taskRun notes and prints a task's start and end.
func (d *Demo) taskRun(ctx context.Context, tag string, tr *windlassv1.TaskRun, tasks map[string]*Task, now time.Time) {
	name := tr.Labels[pipeline.LabelPipelineTask]
	t := tasks[name]
	if t == nil {
		t = &Task{Name: name, Start: now}
		tasks[name] = t
		d.printf("%s   > %s", tag, name)
	}
	c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
	if !t.End.IsZero() || c == nil || c.Status == metav1.ConditionUnknown {
		return
	}
	t.End, t.Outcome = now, c.Reason
	t.Detail = detail(tr.Status.Results)
	t.StepTime = d.stepTime(ctx, tr)
	for _, r := range tr.Status.Results {
		if r.Name == "STEPS" {
			t.Steps = strings.Split(strings.TrimSpace(r.Value.StringVal), "\n")
		}
	}
	if c.Status == metav1.ConditionTrue {
		d.printf("%s   ok %s %.1fs%s", tag, name, t.Took().Seconds(), prefixed("  ", t.Detail))
	} else {
		t.Why, t.Log = d.why(ctx, tr, c.Message)
		d.printf("%s   FAILED %s %.1fs: %s", tag, name, t.Took().Seconds(), t.Why)
	}
	for _, st := range t.Steps {
		d.printf("%s        %s", tag, stepLine(st))
	}
}

// stepTime is how long the run's steps' own processes ran: the
// entrypoint's record in each step container's termination message (in
// milliseconds; the TaskRun's status has whole seconds).
func (d *Demo) stepTime(ctx context.Context, tr *windlassv1.TaskRun) time.Duration {
	if tr.Status.PodName == "" {
		return 0
	}
	pod, err := d.kube.CoreV1().Pods(tr.Namespace).Get(ctx, tr.Status.PodName, metav1.GetOptions{})
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, cs := range pod.Status.ContainerStatuses {
		if !strings.HasPrefix(cs.Name, "step-") || cs.State.Terminated == nil {
			continue
		}
		if st, err := contract.ParseState(cs.State.Terminated.Message); err == nil && st.StartedAt > 0 && st.FinishedAt >= st.StartedAt {
			sum += time.Duration(st.FinishedAt-st.StartedAt) * time.Millisecond
		}
	}
	return sum
}

// gate notes and prints an approval gate: waiting, the approver's decision
// (made here when Options.Approver is listed) and its end.
func (d *Demo) gate(ctx context.Context, tag string, a *windlassv1.Approval, tasks map[string]*Task, asked map[string]bool, now time.Time) {
	name := a.Labels[pipeline.LabelPipelineTask]
	t := tasks[name]
	if t == nil {
		t = &Task{Name: name, Start: now}
		tasks[name] = t
		d.printf("%s   > %s: Approval %s asks %s: %q", tag, name, a.Name, strings.Join(a.Spec.Approvers, ", "), a.Spec.Message)
	}
	c := meta.FindStatusCondition(a.Status.Conditions, windlassv1.ConditionSucceeded)
	if c != nil && c.Status != metav1.ConditionUnknown {
		if t.End.IsZero() {
			t.End, t.Outcome = now, c.Reason
			t.Detail = "by " + a.Status.DecidedBy
			if c.Status == metav1.ConditionTrue {
				d.printf("%s   ok %s %.1fs  %s by %s", tag, name, t.Took().Seconds(), a.Status.Decision, a.Status.DecidedBy)
			} else {
				t.Why = c.Message
				d.printf("%s   FAILED %s %.1fs: %s", tag, name, t.Took().Seconds(), c.Message)
			}
		}
		return
	}
	if d.opts.Approver == "" || asked[a.Name] || c == nil || c.Reason != windlassv1.ReasonAwaitingApproval {
		return
	}
	asked[a.Name] = true
	comment := "the canary in staging is clean"
	err := approve(ctx, d, a, comment)
	if err != nil {
		d.printf("%s     %s could not approve: %v", tag, d.opts.Approver, err)
		return
	}
	d.printf("%s     %s approves: kubectl --as %s -n %s patch approval %s --type=json -p '[{\"op\":\"add\",\"path\":\"/spec/decisions/-\",\"value\":{\"user\":\"%s\",\"decision\":\"Approved\",\"comment\":\"%s\"}}]'",
		tag, d.opts.Approver, d.opts.Approver, a.Namespace, a.Name, d.opts.Approver, comment)
}

// approve appends the approver's decision as that user (impersonated): the
// API server's admission policy checks that they are listed.
func approve(ctx context.Context, d *Demo, a *windlassv1.Approval, comment string) error {
	c, err := util.ClientAs(d.env.Config, d.opts.Approver)
	if err != nil {
		return err
	}
	patch, err := json.Marshal([]map[string]any{{"op": "add", "path": "/spec/decisions/-", "value": windlassv1.ApprovalDecision{
		User: d.opts.Approver, Decision: windlassv1.ApprovalApproved, Comment: comment, Time: &metav1.Time{Time: time.Now()}}}})
	if err != nil {
		return err
	}
	target := &windlassv1.Approval{ObjectMeta: metav1.ObjectMeta{Namespace: a.Namespace, Name: a.Name}}
	return c.Patch(ctx, target, client.RawPatch(types.JSONPatchType, patch))
}

// why is a failed run's reason: the last line its failed step logged, and
// that log's tail; the condition's message when there is no such step.
func (d *Demo) why(ctx context.Context, tr *windlassv1.TaskRun, message string) (string, string) {
	for _, st := range tr.Status.Steps {
		if st.Terminated == nil || st.Terminated.ExitCode == 0 || tr.Status.PodName == "" {
			continue
		}
		tail := int64(100)
		data, err := d.kube.CoreV1().Pods(tr.Namespace).GetLogs(tr.Status.PodName, &corev1.PodLogOptions{Container: st.Container, TailLines: &tail}).DoRaw(ctx)
		if err != nil {
			return message, ""
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		last := strings.TrimSpace(lines[len(lines)-1])
		if !strings.HasPrefix(last, st.Name+":") {
			last = st.Name + ": " + last
		}
		return last, string(data)
	}
	return message, ""
}

// detail says what a task's results are, short.
func detail(results []windlassv1.TaskRunResult) string {
	r := map[string]windlassv1.ParamValue{}
	for _, x := range results {
		r[x.Name] = x.Value
	}
	var parts []string
	if v, ok := r["version"]; ok {
		parts = append(parts, "version "+v.StringVal)
	}
	if v, ok := r["commit"]; ok {
		parts = append(parts, "commit "+short(v.StringVal, 7))
	}
	if v, ok := r["IMAGE_DIGEST"]; ok {
		parts = append(parts, short(v.StringVal, 19))
	}
	if v, ok := r["counts"]; ok && v.ObjectVal != nil {
		var c []string
		for _, sev := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"} {
			c = append(c, sev+" "+v.ObjectVal[sev])
		}
		parts = append(parts, strings.Join(c, ", "))
	}
	if v, ok := r["SIGNATURE"]; ok { // REPOSITORY:sha256-HEX.sig
		sig := v.StringVal
		if i := strings.LastIndex(sig, ":"); i >= 0 {
			sig = sig[i+1:]
		}
		parts = append(parts, "signature "+short(sig, 19))
	}
	if v, ok := r["COMMIT"]; ok {
		p := "config " + short(v.StringVal, 7)
		if r["CHANGED"].StringVal == "false" {
			p += " (unchanged)"
		}
		parts = append(parts, p)
	}
	if v, ok := r["REVISION"]; ok {
		parts = append(parts, "revision "+v.StringVal)
	}
	return strings.Join(parts, ", ")
}

// stepLine drops the date of a deploy step's "2026-12-07T06:30:01.512Z what".
func stepLine(s string) string {
	when, what, ok := strings.Cut(s, " ")
	if t, err := time.Parse(time.RFC3339Nano, when); ok && err == nil {
		return t.Format("15:04:05.000") + " " + what
	}
	return s
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// Table prints the summary: a line per task with its outcome and times, the
// image and how long the push took to reach the end.
func (s *Summary) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-17s %-15s %7s %7s  %s\n", "TASK", "OUTCOME", "START", "TOOK", "DETAIL")
	for _, t := range s.Tasks {
		start, took := "-", "-"
		if !t.Start.IsZero() {
			start = fmt.Sprintf("+%.1fs", t.Start.Sub(s.At).Seconds())
		}
		if t.Took() > 0 {
			took = fmt.Sprintf("%.1fs", t.Took().Seconds())
		}
		d := t.Detail
		if t.Why != "" {
			d = t.Why
		}
		fmt.Fprintf(&b, "%-17s %-15s %7s %7s  %s\n", t.Name, t.Outcome, start, took, d)
	}
	outcome := "succeeded"
	if !s.Succeeded {
		outcome = s.Reason
	}
	fmt.Fprintf(&b, "push %s -> PipelineRun %s %s, %.1fs after the push\n", short(s.SHA, 7), s.Run, outcome, s.Done.Sub(s.At).Seconds())
	if s.Image != "" {
		envs := "built"
		if s.Succeeded {
			envs = "deployed to " + strings.Join(Envs, ", ")
		}
		fmt.Fprintf(&b, "image %s (%s)\n", Untagged(s.Image), envs)
	}
	return b.String()
}

// Ran lists the tasks that ran (not skipped), by name.
func (s *Summary) Ran() []string {
	var out []string
	for _, t := range s.Tasks {
		if t.Outcome != "Skipped" {
			out = append(out, t.Name)
		}
	}
	slices.Sort(out)
	return out
}
