package approval

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

var t0 = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

func spec(t *testing.T, y string) *windlassv1.PipelineSpec {
	t.Helper()
	s := &windlassv1.PipelineSpec{}
	if err := yaml.UnmarshalStrict([]byte(y), s); err != nil {
		t.Fatalf("bad pipeline YAML: %v", err)
	}
	return s
}

func TestCheck(t *testing.T) {
	const gate = "taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}\n"
	tests := []struct {
		name, task, err string
		finally         bool
	}{
		{name: "users and groups", task: gate + "params: [{name: approvers, value: [alice, 'group:ops']}, {name: message, value: 'deploy?'}]"},
		{name: "approvers from a pipeline param", task: gate + "params: [{name: approvers, value: '$(params.who[*])'}]"},
		{name: "an entry from a param", task: gate + "params: [{name: approvers, value: [alice, '$(params.lead)']}]"},
		{name: "in finally", finally: true, task: gate + "params: [{name: approvers, value: [alice]}]"},
		{name: "when and timeout", task: gate + "params: [{name: approvers, value: [alice]}]\ntimeout: 10m\nwhen: [{input: a, operator: in, values: [a]}]"},
		{name: "no approvers", task: gate + "params: [{name: message, value: hi}]",
			err: "spec.pipelineSpec.tasks[1] (gate).params: param approvers is required"},
		{name: "approvers a string", task: gate + "params: [{name: approvers, value: alice}]",
			err: "spec.pipelineSpec.tasks[1] (gate).params[0] (approvers): approvers is an array"},
		{name: "approvers empty", task: gate + "params: [{name: approvers, value: []}]",
			err: "params[0] (approvers): approvers is empty"},
		{name: "an empty group", task: gate + "params: [{name: approvers, value: [alice, 'group:']}]",
			err: `params[0] (approvers)[1]: approver "group:" names no group`},
		{name: "a blank approver", task: gate + "params: [{name: approvers, value: [' ']}]",
			err: "params[0] (approvers)[0]: an approver is empty"},
		{name: "unknown param", task: gate + "params: [{name: approvers, value: [a]}, {name: quorum, value: '2'}]",
			err: "spec.pipelineSpec.tasks[1] (gate).params[1] (quorum): an approval gate takes the params approvers and message only"},
		{name: "message an array", task: gate + "params: [{name: approvers, value: [a]}, {name: message, value: [x]}]",
			err: "params[1] (message): the message is a string"},
		{name: "matrix", task: gate + "params: [{name: approvers, value: [a]}]\nmatrix: {params: [{name: env, value: [dev, prod]}]}",
			err: "spec.pipelineSpec.tasks[1] (gate).matrix: an approval gate runs once"},
		{name: "retries", task: gate + "params: [{name: approvers, value: [a]}]\nretries: 2",
			err: "spec.pipelineSpec.tasks[1] (gate).retries: an approval gate is decided once"},
		{name: "workspaces", task: gate + "params: [{name: approvers, value: [a]}]\nworkspaces: [{name: src}]",
			err: "spec.pipelineSpec.tasks[1] (gate).workspaces: an approval gate runs no pod"},
		{name: "a name too", task: "taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval, name: x}\nparams: [{name: approvers, value: [a]}]",
			err: "(gate).taskRef: an Approval taskRef takes only apiVersion and kind"},
		{name: "kind without apiVersion", task: "taskRef: {kind: Approval}\nparams: [{name: approvers, value: [a]}]",
			err: `(gate).taskRef: apiVersion "" kind "Approval": the only custom task is apiVersion windlass.dev/v1alpha1 kind Approval`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := "- name: gate\n" + indent(tt.task)
			y := "tasks:\n- {name: build, taskRef: {name: build}}\n" + task
			if tt.finally {
				y = "tasks:\n- {name: build, taskRef: {name: build}}\nfinally:\n" + task
			}
			err := Check(spec(t, y))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Check = %v, want an error containing %q", err, tt.err)
			}
		})
	}
	if err := Check(spec(t, "tasks:\n- {name: build, taskRef: {name: build}}\n- {name: test, taskSpec: {steps: [{name: s, image: i}]}}")); err != nil {
		t.Fatalf("a pipeline without gates: %v", err)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}

// planned is the TaskRun the engine plans for a gate.
func planned(params ...windlassv1.Param) *windlassv1.TaskRun {
	return &windlassv1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{
			Name: "pr-gate", Namespace: "ci",
			Labels: map[string]string{pipeline.LabelPipelineTask: "gate", pipeline.LabelPipelineRun: "pr", pipeline.LabelAttempt: "0"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "windlass.dev/v1alpha1", Kind: "PipelineRun", Name: "pr", UID: "u1",
				Controller: ptrTo(true)}},
		},
		Spec: windlassv1.TaskRunSpec{
			TaskRef: &windlassv1.TaskRef{APIVersion: "windlass.dev/v1alpha1", Kind: "Approval"},
			Params:  params, Timeout: &metav1.Duration{Duration: 10 * time.Minute},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestFromTaskRun(t *testing.T) {
	a, err := FromTaskRun(planned(
		windlassv1.Param{Name: "approvers", Value: *windlassv1.NewArray("alice", "group:ops")},
		windlassv1.Param{Name: "message", Value: *windlassv1.NewString("ship 1.2?")},
	))
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "pr-gate" || a.Namespace != "ci" || a.Spec.PipelineRun != "pr" || a.Spec.PipelineTask != "gate" ||
		strings.Join(a.Spec.Approvers, ",") != "alice,group:ops" || a.Spec.Message != "ship 1.2?" ||
		a.Spec.Timeout.Duration != 10*time.Minute || a.Labels[pipeline.LabelPipelineTask] != "gate" ||
		metav1.GetControllerOf(a) == nil || metav1.GetControllerOf(a).UID != "u1" {
		t.Fatalf("Approval = %+v", a)
	}
	if name := Name("pr", "gate"); name != a.Name {
		t.Fatalf("Name = %q, the planned TaskRun is %q", name, a.Name)
	}

	noTimeout := planned(windlassv1.Param{Name: "approvers", Value: *windlassv1.NewArray("alice")})
	noTimeout.Spec.Timeout = &metav1.Duration{}
	if a, err := FromTaskRun(noTimeout); err != nil || a.Spec.Timeout.Duration != time.Hour {
		t.Fatalf("no timeout: %v, %v; want the default 1h", a, err)
	}

	for _, tt := range []struct {
		name   string
		params []windlassv1.Param
		err    string
	}{
		{"no approvers", nil, "pipeline task gate: params: param approvers is required"},
		{"resolved empty", []windlassv1.Param{{Name: "approvers", Value: *windlassv1.NewArray()}}, "approvers: resolved to an empty list"},
		{"resolved to a string", []windlassv1.Param{{Name: "approvers", Value: *windlassv1.NewString("alice")}}, "approvers: resolved to a string, want an array"},
		{"an empty entry", []windlassv1.Param{{Name: "approvers", Value: *windlassv1.NewArray("alice", "")}}, "approvers[1]: an approver is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := FromTaskRun(planned(tt.params...)); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("FromTaskRun = %v, want %q", err, tt.err)
			}
		})
	}
}

func gateAt(created time.Time, decisions ...windlassv1.ApprovalDecision) *windlassv1.Approval {
	return &windlassv1.Approval{
		ObjectMeta: metav1.ObjectMeta{Name: "pr-gate", CreationTimestamp: metav1.NewTime(created)},
		Spec: windlassv1.ApprovalSpec{Approvers: []string{"alice", "group:ops"}, Message: "ship it?",
			Timeout: &metav1.Duration{Duration: 10 * time.Minute}, Decisions: decisions},
	}
}

func TestEvaluate(t *testing.T) {
	approve := windlassv1.ApprovalDecision{User: "bob", Decision: windlassv1.ApprovalApproved, Comment: "looks good"}
	reject := windlassv1.ApprovalDecision{User: "alice", Decision: windlassv1.ApprovalRejected, Comment: "not on a Friday"}
	tests := []struct {
		name       string
		gate       *windlassv1.Approval
		now        time.Time
		status     metav1.ConditionStatus
		reason     string
		msg        string
		decidedBy  string
		next       time.Duration
		completion bool
	}{
		{name: "waiting", gate: gateAt(t0), now: t0.Add(time.Minute), status: metav1.ConditionUnknown, reason: "AwaitingApproval",
			msg: "waiting for a decision by alice, group:ops: ship it?", next: 9*time.Minute + time.Second},
		{name: "approved", gate: gateAt(t0, approve), now: t0.Add(time.Minute), status: metav1.ConditionTrue, reason: "Approved",
			msg: "approved by bob: looks good", decidedBy: "bob", completion: true},
		{name: "rejected", gate: gateAt(t0, reject), now: t0.Add(time.Minute), status: metav1.ConditionFalse, reason: "Rejected",
			msg: "rejected by alice: not on a Friday", decidedBy: "alice", completion: true},
		{name: "the first decision decides", gate: gateAt(t0, reject, approve), now: t0.Add(time.Minute), status: metav1.ConditionFalse,
			reason: "Rejected", decidedBy: "alice", completion: true},
		{name: "a decision seen after the deadline still counts", gate: gateAt(t0, approve), now: t0.Add(time.Hour),
			status: metav1.ConditionTrue, reason: "Approved", decidedBy: "bob", completion: true},
		{name: "not yet timed out at the deadline's second", gate: gateAt(t0), now: t0.Add(10 * time.Minute), status: metav1.ConditionUnknown,
			reason: "AwaitingApproval", next: time.Second},
		{name: "timed out", gate: gateAt(t0), now: t0.Add(10*time.Minute + time.Second), status: metav1.ConditionFalse,
			reason: "ApprovalTimedOut", msg: "no decision within 10m0s (approvers: alice, group:ops)", completion: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := Evaluate(tt.gate, tt.now)
			c := meta.FindStatusCondition(tt.gate.Status.Conditions, windlassv1.ConditionSucceeded)
			if c == nil || c.Status != tt.status || c.Reason != tt.reason || (tt.msg != "" && c.Message != tt.msg) {
				t.Fatalf("condition = %+v, want %s %s %q", c, tt.status, tt.reason, tt.msg)
			}
			if next != tt.next {
				t.Errorf("next = %s, want %s", next, tt.next)
			}
			if tt.gate.Status.DecidedBy != tt.decidedBy {
				t.Errorf("decidedBy = %q, want %q", tt.gate.Status.DecidedBy, tt.decidedBy)
			}
			if !tt.gate.Status.StartTime.Time.Equal(t0) {
				t.Errorf("startTime = %v, want the creation time %v", tt.gate.Status.StartTime, t0)
			}
			if (tt.gate.Status.CompletionTime != nil) != tt.completion ||
				(tt.completion && !tt.gate.Status.CompletionTime.Time.Equal(tt.now)) {
				t.Errorf("completionTime = %v, want set (%v) at %v", tt.gate.Status.CompletionTime, tt.completion, tt.now)
			}
		})
	}

	t.Run("a decided gate stays decided", func(t *testing.T) {
		g := gateAt(t0, approve)
		Evaluate(g, t0.Add(time.Minute))
		g.Spec.Decisions = append([]windlassv1.ApprovalDecision{reject}, g.Spec.Decisions...)
		if next := Evaluate(g, t0.Add(2*time.Hour)); next != 0 || g.Status.Decision != windlassv1.ApprovalApproved ||
			!g.Status.CompletionTime.Time.Equal(t0.Add(time.Minute)) {
			t.Fatalf("status changed after the decision: %+v", g.Status)
		}
	})
	t.Run("a long message is cut", func(t *testing.T) {
		g := gateAt(t0)
		g.Spec.Message = strings.Repeat("é", 2000)
		Evaluate(g, t0)
		if m := g.Status.Conditions[0].Message; len([]rune(m)) != maxMessage || !strings.HasSuffix(m, "…") {
			t.Fatalf("message of %d runes: %q", len([]rune(m)), m)
		}
	})
}

func TestCancel(t *testing.T) {
	g := gateAt(t0)
	Evaluate(g, t0)
	if !Cancel(g, "the PipelineRun was cancelled", t0.Add(time.Minute)) {
		t.Fatal("an open gate was not cancelled")
	}
	c := meta.FindStatusCondition(g.Status.Conditions, windlassv1.ConditionSucceeded)
	if c.Status != metav1.ConditionFalse || c.Reason != "Cancelled" || c.Message != "the PipelineRun was cancelled" ||
		!g.Status.CompletionTime.Time.Equal(t0.Add(time.Minute)) || g.Status.Decision != "" {
		t.Fatalf("cancelled gate: %+v", g.Status)
	}
	if Cancel(g, "again", t0.Add(2*time.Minute)) || c.Message != "the PipelineRun was cancelled" {
		t.Fatal("a closed gate was cancelled again")
	}

	decided := gateAt(t0, windlassv1.ApprovalDecision{User: "bob", Decision: windlassv1.ApprovalApproved})
	Evaluate(decided, t0)
	if Cancel(decided, "x", t0.Add(time.Minute)) || decided.Status.Decision != windlassv1.ApprovalApproved {
		t.Fatalf("a decided gate was cancelled: %+v", decided.Status)
	}
	unseen := gateAt(t0, windlassv1.ApprovalDecision{User: "bob", Decision: windlassv1.ApprovalApproved})
	if !Cancel(unseen, "x", t0.Add(time.Minute)) || unseen.Status.Decision != windlassv1.ApprovalApproved {
		t.Fatalf("a decision made before the cancel was seen must win: %+v", unseen.Status)
	}
}

func TestAsTaskRun(t *testing.T) {
	a, err := FromTaskRun(planned(windlassv1.Param{Name: "approvers", Value: *windlassv1.NewArray("alice")}))
	if err != nil {
		t.Fatal(err)
	}
	a.CreationTimestamp = metav1.NewTime(t0)
	Evaluate(a, t0)
	tr := AsTaskRun(a)
	if tr.Name != "pr-gate" || tr.Labels[pipeline.LabelPipelineTask] != "gate" || metav1.GetControllerOf(tr).UID != "u1" ||
		!IsApproval(tr.Spec.TaskRef) || len(tr.Status.Results) != 0 {
		t.Fatalf("open gate as a TaskRun: %+v", tr)
	}
	a.Spec.Decisions = []windlassv1.ApprovalDecision{{User: "alice", Decision: windlassv1.ApprovalApproved, Comment: "ok"}}
	Evaluate(a, t0.Add(time.Second))
	tr = AsTaskRun(a)
	got := map[string]string{}
	for _, r := range tr.Status.Results {
		got[r.Name] = r.Value.StringVal
	}
	if got["decidedBy"] != "alice" || got["decision"] != "Approved" || got["comment"] != "ok" || len(got) != 3 {
		t.Fatalf("results = %v", got)
	}
	if c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded); c == nil || c.Reason != "Approved" ||
		!tr.Status.CompletionTime.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("conditions = %+v", tr.Status)
	}
	tr.Status.Conditions[0].Reason = "changed"
	if a.Status.Conditions[0].Reason != "Approved" {
		t.Fatal("the view shares its conditions with the Approval")
	}
}

// TestTheEngineRunsAGate drives internal/pipeline the way the controller does:
// the gate's planned TaskRun becomes an Approval, which the engine then sees
// as a TaskRun; the next task gets its results.
func TestTheEngineRunsAGate(t *testing.T) {
	run := &windlassv1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: "pr", Namespace: "ci", UID: "u1"}}
	run.Status.StartTime = &metav1.Time{Time: t0}
	ps := spec(t, `
params: [{name: leads, type: array}]
tasks:
- {name: build, taskSpec: {steps: [{name: s, image: i}]}}
- name: gate
  runAfter: [build]
  taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
  params: [{name: approvers, value: '$(params.leads[*])'}, {name: message, value: 'deploy $(context.pipelineRun.name)?'}]
- name: deploy
  params: [{name: by, value: '$(tasks.gate.results.decidedBy)'}]
  taskSpec: {params: [{name: by}], steps: [{name: s, image: i}]}
`)
	run.Spec.Params = []windlassv1.Param{{Name: "leads", Value: *windlassv1.NewArray("alice", "group:ops")}}
	if err := Check(ps); err != nil {
		t.Fatal(err)
	}
	specs := map[string]*windlassv1.TaskSpec{"gate": TaskSpec()}
	resolved, err := pipeline.Resolve(run, "pl", ps, specs)
	if err != nil {
		t.Fatal(err)
	}
	var children []windlassv1.TaskRun
	plan := func(now time.Time) pipeline.Output {
		t.Helper()
		out, err := pipeline.Plan(pipeline.Input{Run: run, Resolved: resolved, Children: children, Now: now, Config: pipeline.Config{DefaultTimeout: time.Hour, MaxMatrix: 8}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := plan(t0)
	build := out.Create[0]
	build.Status.Conditions = []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: metav1.ConditionTrue, Reason: "Succeeded"}}
	children = append(children, *build)

	out = plan(t0.Add(time.Second))
	if len(out.Create) != 1 || !IsApproval(out.Create[0].Spec.TaskRef) {
		t.Fatalf("planned %+v, want the gate", out.Create)
	}
	gate, err := FromTaskRun(out.Create[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(gate.Spec.Approvers, ",") != "alice,group:ops" || gate.Spec.Message != "deploy pr?" {
		t.Fatalf("gate spec = %+v", gate.Spec)
	}
	gate.CreationTimestamp = metav1.NewTime(t0.Add(time.Second))
	Evaluate(gate, t0.Add(2*time.Second))
	children = append(children, *AsTaskRun(gate))
	out = plan(t0.Add(2 * time.Second))
	if len(out.Create) != 0 || out.Done || !strings.Contains(out.Message, "waiting: task gate (Approval pr-gate: AwaitingApproval: waiting for a decision by alice, group:ops: deploy pr?)") {
		t.Fatalf("while waiting: create %d, message %q", len(out.Create), out.Message)
	}
	if ref := out.ChildReferences[1]; ref.Kind != "Approval" || ref.Name != "pr-gate" || ref.PipelineTaskName != "gate" {
		t.Fatalf("child reference = %+v", ref)
	}

	decided := gate.DeepCopy()
	decided.Spec.Decisions = []windlassv1.ApprovalDecision{{User: "carol", Decision: windlassv1.ApprovalApproved}}
	Evaluate(decided, t0.Add(time.Minute))
	children[1] = *AsTaskRun(decided)
	out = plan(t0.Add(time.Minute))
	if len(out.Create) != 1 || out.Create[0].Spec.Params[0].Value.StringVal != "carol" {
		t.Fatalf("after approval: %+v", out.Create)
	}

	rejected := gate.DeepCopy()
	rejected.Spec.Decisions = []windlassv1.ApprovalDecision{{User: "alice", Decision: windlassv1.ApprovalRejected, Comment: "no"}}
	Evaluate(rejected, t0.Add(time.Minute))
	children[1] = *AsTaskRun(rejected)
	out = plan(t0.Add(time.Minute))
	if !out.Done || out.Reason != windlassv1.ReasonFailed || !strings.Contains(out.Message, "gate (Approval pr-gate: Rejected: rejected by alice: no)") {
		t.Fatalf("after rejection: done %v %s %q", out.Done, out.Reason, out.Message)
	}

	ps.Tasks[2].Params[0].Value = *windlassv1.NewString("$(tasks.gate.results.approver)")
	if _, err := pipeline.Resolve(run, "pl", ps, specs); err == nil || !strings.Contains(err.Error(), `task "gate" declares no result "approver" (declared: decidedBy, decision, comment)`) {
		t.Fatalf("a result the gate does not have: %v", err)
	}
}
