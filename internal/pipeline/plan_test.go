package pipeline

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// sim drives the planner the way the controller and the TaskRun controller
// would: it creates what Plan asks for and finishes TaskRuns on demand.
type sim struct {
	t        *testing.T
	run      *windlassv1.PipelineRun
	resolved *Resolved
	children map[string]*windlassv1.TaskRun
	now      time.Time
	cfg      Config
	last     Output
}

func newSim(t *testing.T, runYAML string) *sim {
	t.Helper()
	run := &windlassv1.PipelineRun{}
	if err := yaml.UnmarshalStrict([]byte(runYAML), run); err != nil {
		t.Fatalf("bad run YAML: %v", err)
	}
	run.Name, run.Namespace, run.UID = "pr", "ci", "uid-1"
	run.Status.StartTime = &metav1.Time{Time: t0}
	r, err := Resolve(run, "pl", run.Spec.PipelineSpec, nil)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return &sim{t: t, run: run, resolved: r, children: map[string]*windlassv1.TaskRun{}, now: t0, cfg: Config{DefaultTimeout: time.Hour, MaxMatrix: 256}}
}

// plan runs Plan, creates the TaskRuns it asks for and applies its cancels.
func (s *sim) plan() Output {
	s.t.Helper()
	var kids []windlassv1.TaskRun
	for _, n := range s.names() {
		kids = append(kids, *s.children[n])
	}
	out, err := Plan(Input{Run: s.run, Resolved: s.resolved, Children: kids, Now: s.now, Config: s.cfg})
	if err != nil {
		s.t.Fatalf("Plan: %v", err)
	}
	for _, tr := range out.Create {
		if _, dup := s.children[tr.Name]; dup {
			s.t.Fatalf("Plan created %s twice", tr.Name)
		}
		s.children[tr.Name] = tr
	}
	for _, c := range out.Cancel {
		s.children[c.Name].Spec.Status = windlassv1.TaskRunSpecStatusCancelled
	}
	if out.FinallyStarted && s.run.Status.FinallyStartTime == nil {
		s.run.Status.FinallyStartTime = &metav1.Time{Time: s.now}
	}
	s.last = out
	return out
}

func (s *sim) names() []string {
	var n []string
	for k := range s.children {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// running lists TaskRuns not finished.
func (s *sim) running() []string {
	var out []string
	for _, n := range s.names() {
		if runState(s.children[n]) == running {
			out = append(out, n)
		}
	}
	return out
}

func (s *sim) finish(name string, ok bool, results ...windlassv1.TaskRunResult) {
	s.t.Helper()
	tr := s.children[name]
	if tr == nil {
		s.t.Fatalf("no TaskRun %s (have %v)", name, s.names())
	}
	st, reason := metav1.ConditionTrue, "Succeeded"
	if !ok {
		st, reason = metav1.ConditionFalse, "Failed"
	}
	if tr.Spec.Status == windlassv1.TaskRunSpecStatusCancelled {
		st, reason = metav1.ConditionFalse, "Cancelled"
	}
	tr.Status.Conditions = []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: st, Reason: reason, Message: "step x exited 1"}}
	tr.Status.Results = results
}

func res(name string, v *windlassv1.ParamValue) windlassv1.TaskRunResult {
	return windlassv1.TaskRunResult{Name: name, Value: *v}
}

func (s *sim) param(run, name string) windlassv1.ParamValue {
	s.t.Helper()
	for _, p := range s.children[run].Spec.Params {
		if p.Name == name {
			return p.Value
		}
	}
	s.t.Fatalf("TaskRun %s has no param %s: %+v", run, name, s.children[run].Spec.Params)
	return windlassv1.ParamValue{}
}

func (s *sim) wantRunning(want ...string) {
	s.t.Helper()
	if got := s.running(); !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
		s.t.Fatalf("running TaskRuns = %v, want %v", got, want)
	}
}

func (s *sim) wantDone(status metav1.ConditionStatus, reason string) {
	s.t.Helper()
	if !s.last.Done || s.last.Status != status || s.last.Reason != reason {
		s.t.Fatalf("run: done=%v %s/%s (%s), want done %s/%s", s.last.Done, s.last.Status, s.last.Reason, s.last.Message, status, reason)
	}
}

func (s *sim) wantSkipped(want map[string]string) {
	s.t.Helper()
	got := map[string]string{}
	for _, sk := range s.last.SkippedTasks {
		got[sk.Name] = sk.Reason
	}
	if !reflect.DeepEqual(got, want) {
		s.t.Fatalf("skipped = %v, want %v", got, want)
	}
}

const task = "{steps: [{image: busybox, script: 'true'}], results: [{name: s}, {name: a, type: array}, {name: o, type: object, properties: {k: {type: string}}}]}"

func TestDiamondPassesResultsOfEveryType(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    params: [{name: rev, default: main}]
    results:
    - {name: final, value: "$(tasks.join.results.s)"}
    - {name: many, type: array, value: ["$(tasks.left.results.s)", "$(tasks.right.results.s)"]}
    tasks:
    - {name: join, taskSpec: `+task+`, params: [{name: x, value: "$(tasks.left.results.s)-$(tasks.right.results.o.k)"}, {name: arr, value: "$(tasks.left.results.a[*])"}, {name: obj, value: "$(tasks.right.results.o[*])"}]}
    - {name: left, taskSpec: `+task+`, runAfter: [root], params: [{name: r, value: "$(params.rev)@$(context.pipelineRun.name)"}]}
    - {name: right, taskSpec: `+task+`, params: [{name: first, value: "$(tasks.root.results.a[0])"}]}
    - {name: root, taskSpec: `+task+`}
`)
	s.plan()
	s.wantRunning("pr-root")
	s.finish("pr-root", true, res("a", windlassv1.NewArray("one", "two")))
	s.plan()
	s.wantRunning("pr-left", "pr-right")
	if got := s.param("pr-left", "r").StringVal; got != "main@pr" {
		t.Errorf("left param r = %q", got)
	}
	if got := s.param("pr-right", "first").StringVal; got != "one" {
		t.Errorf("right param first = %q", got)
	}
	s.finish("pr-left", true, res("s", windlassv1.NewString("L")), res("a", windlassv1.NewArray("x", "y")))
	s.plan()
	s.wantRunning("pr-right") // join waits for both
	s.finish("pr-right", true, res("s", windlassv1.NewString("R")), res("o", windlassv1.NewObject(map[string]string{"k": "v"})))
	s.plan()
	s.wantRunning("pr-join")
	if got := s.param("pr-join", "x").StringVal; got != "L-v" {
		t.Errorf("join param x = %q", got)
	}
	if got := s.param("pr-join", "arr"); !reflect.DeepEqual(got.ArrayVal, []string{"x", "y"}) {
		t.Errorf("join param arr = %+v", got)
	}
	if got := s.param("pr-join", "obj"); !reflect.DeepEqual(got.ObjectVal, map[string]string{"k": "v"}) {
		t.Errorf("join param obj = %+v", got)
	}
	tr := s.children["pr-join"]
	if tr.Labels[LabelPipelineTask] != "join" || tr.OwnerReferences[0].Name != "pr" || tr.Spec.Timeout == nil || tr.Spec.Timeout.Duration != time.Hour {
		t.Errorf("join TaskRun metadata/timeout wrong: %+v %+v %v", tr.Labels, tr.OwnerReferences, tr.Spec.Timeout)
	}
	s.finish("pr-join", true, res("s", windlassv1.NewString("J")))
	out := s.plan()
	s.wantDone(metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	if len(out.Results) != 2 || out.Results[0].Value.StringVal != "J" || !reflect.DeepEqual(out.Results[1].Value.ArrayVal, []string{"L", "R"}) {
		t.Errorf("results = %+v", out.Results)
	}
	if len(out.ChildReferences) != 4 || out.ChildReferences[0].PipelineTaskName != "join" {
		t.Errorf("childReferences in declaration order: %+v", out.ChildReferences)
	}
}

func TestWhenSkipsOnlyTheTaskAndResultConsumers(t *testing.T) {
	s := newSim(t, `
spec:
  params: [{name: branch, value: dev}]
  pipelineSpec:
    params: [{name: branch}]
    tasks:
    - {name: guarded, taskSpec: `+task+`, when: [{input: "$(params.branch)", operator: in, values: [main]}]}
    - {name: celguarded, taskSpec: `+task+`, when: [{cel: "'$(params.branch)' == 'dev'"}]}
    - {name: after, taskSpec: `+task+`, runAfter: [guarded]}
    - {name: consumer, taskSpec: `+task+`, params: [{name: p, value: $(tasks.guarded.results.s)}]}
    - {name: grandchild, taskSpec: `+task+`, runAfter: [consumer]}
`)
	s.plan()
	s.wantRunning("pr-after", "pr-celguarded")
	s.finish("pr-after", true)
	s.finish("pr-celguarded", true)
	s.plan()
	s.wantDone(metav1.ConditionTrue, windlassv1.ReasonCompleted)
	s.wantSkipped(map[string]string{"guarded": SkipWhen, "consumer": SkipResults, "grandchild": SkipParentSkipped})
	for _, sk := range s.last.SkippedTasks {
		if sk.Name == "guarded" && (len(sk.WhenExpressions) != 1 || sk.WhenExpressions[0].Input != "dev") {
			t.Errorf("evaluated when expressions not recorded: %+v", sk)
		}
	}
}

func TestFailureStopsNewTasksAndFinallySeesStatuses(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: `+task+`}
    - {name: slow, taskSpec: `+task+`}
    - {name: b, taskSpec: `+task+`, runAfter: [a]}
    finally:
    - {name: report, taskSpec: `+task+`, params: [{name: a, value: $(tasks.a.status)}, {name: all, value: $(tasks.status)}, {name: slow, value: $(tasks.slow.status)}]}
    - {name: needs-b, taskSpec: `+task+`, params: [{name: x, value: $(tasks.b.results.s)}]}
`)
	s.plan()
	s.finish("pr-a", false)
	s.plan()
	s.wantRunning("pr-slow") // b is not started; slow runs to its end
	if s.last.Done {
		t.Fatal("done while a task runs")
	}
	s.finish("pr-slow", true)
	s.plan()
	s.wantRunning("pr-report")
	if got := s.param("pr-report", "a").StringVal + "/" + s.param("pr-report", "all").StringVal + "/" + s.param("pr-report", "slow").StringVal; got != "Failed/Failed/Succeeded" {
		t.Errorf("finally saw %s", got)
	}
	s.finish("pr-report", true)
	s.plan()
	s.wantDone(metav1.ConditionFalse, windlassv1.ReasonFailed)
	s.wantSkipped(map[string]string{"b": SkipStopping, "needs-b": SkipResults})
	if !strings.Contains(s.last.Message, "a (TaskRun pr-a: Failed: step x exited 1)") {
		t.Errorf("message does not name the failed task: %s", s.last.Message)
	}
}

func TestOnErrorContinue(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: flaky, taskSpec: `+task+`, onError: continue}
    - {name: next, taskSpec: `+task+`, runAfter: [flaky]}
    - {name: consumer, taskSpec: `+task+`, params: [{name: x, value: $(tasks.flaky.results.s)}]}
`)
	s.plan()
	s.finish("pr-flaky", false)
	s.plan()
	s.wantRunning("pr-next")
	s.finish("pr-next", true)
	s.plan()
	s.wantDone(metav1.ConditionTrue, windlassv1.ReasonCompleted)
	s.wantSkipped(map[string]string{"consumer": SkipResults})
	if !strings.Contains(s.last.Message, "failures allowed by onError: 1") {
		t.Errorf("the allowed failure is not visible: %s", s.last.Message)
	}
}

func TestRunSaysWhichTaskWaitsForItsTask(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: build, taskRef: {name: builder}}
    - {name: lint, taskSpec: `+task+`}
    - {name: fan, taskRef: {name: fanner}, matrix: {params: [{name: x, value: [a, b]}]}}
`)
	s.plan()
	s.wantRunning("pr-build", "pr-fan-0", "pr-fan-1", "pr-lint")
	if strings.Contains(s.last.Message, "waiting") {
		t.Fatalf("nothing waits yet, but the message says so: %s", s.last.Message)
	}
	waitFor := func(run, task string) {
		s.children[run].Status.Conditions = []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: metav1.ConditionUnknown,
			Reason: windlassv1.ReasonTaskNotFound, Message: fmt.Sprintf("Task %q not found; waiting for it to be created", task)}}
	}
	waitFor("pr-build", "builder")
	waitFor("pr-fan-0", "fanner")
	waitFor("pr-fan-1", "fanner")
	s.plan()
	want := `; waiting: task build (TaskRun pr-build: TaskNotFound: Task "builder" not found; waiting for it to be created); ` +
		`task fan (TaskRun pr-fan-0: TaskNotFound: Task "fanner" not found; waiting for it to be created)`
	if !strings.HasSuffix(s.last.Message, want) || s.last.Status != metav1.ConditionUnknown {
		t.Fatalf("message = %q, want it to end with %q", s.last.Message, want)
	}
	// Once the Tasks exist the runs go on, and the message stops saying so.
	for _, n := range []string{"pr-build", "pr-fan-0", "pr-fan-1"} {
		s.children[n].Status.Conditions = []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: metav1.ConditionUnknown, Reason: windlassv1.ReasonRunning}}
	}
	s.plan()
	if strings.Contains(s.last.Message, "waiting") {
		t.Fatalf("the Tasks exist now, but the message still says the run waits: %s", s.last.Message)
	}
}

func TestRetriesThenSuccess(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: `+task+`, retries: 2, params: [{name: count, value: $(context.pipelineTask.retries)}]}
`)
	s.plan()
	s.finish("pr-a", false)
	s.plan()
	s.wantRunning("pr-a-retry1")
	if s.param("pr-a-retry1", "count").StringVal != "2" {
		t.Error("context.pipelineTask.retries not substituted")
	}
	s.finish("pr-a-retry1", false)
	s.plan()
	s.finish("pr-a-retry2", true)
	out := s.plan()
	s.wantDone(metav1.ConditionTrue, windlassv1.ReasonSucceeded)
	var attempts []int32
	for _, c := range out.ChildReferences {
		attempts = append(attempts, c.Attempt)
	}
	if !reflect.DeepEqual(attempts, []int32{0, 1, 2}) {
		t.Errorf("attempts in childReferences = %v", attempts)
	}
}

func TestRetriesExhausted(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    tasks: [{name: a, taskSpec: `+task+`, retries: 1}]
`)
	s.plan()
	s.finish("pr-a", false)
	s.plan()
	s.finish("pr-a-retry1", false)
	s.plan()
	s.wantDone(metav1.ConditionFalse, windlassv1.ReasonFailed)
}

func TestMatrixFansOutAndCollectsResults(t *testing.T) {
	s := newSim(t, `
spec:
  params: [{name: os, value: [linux, darwin]}]
  pipelineSpec:
    params: [{name: os, type: array}]
    tasks:
    - name: build
      taskSpec: `+task+`
      params: [{name: mode, value: release}]
      matrix:
        params: [{name: os, value: "$(params.os[*])"}, {name: arch, value: [amd64, arm64]}]
        include:
        - {params: [{name: os, value: linux}, {name: arch, value: amd64}, {name: flags, value: "-static"}]}
        - {name: wasm, params: [{name: os, value: js}, {name: arch, value: wasm}]}
    - {name: publish, taskSpec: `+task+`, params: [{name: all, value: "$(tasks.build.results.s[*])"}]}
`)
	s.plan()
	s.wantRunning("pr-build-0", "pr-build-1", "pr-build-2", "pr-build-3", "pr-build-4")
	// Tekton's order: the first param varies fastest.
	want := []string{"linux/amd64", "darwin/amd64", "linux/arm64", "darwin/arm64", "js/wasm"}
	for i, w := range want {
		n := fmt.Sprintf("pr-build-%d", i)
		if got := s.param(n, "os").StringVal + "/" + s.param(n, "arch").StringVal; got != w {
			t.Errorf("%s runs %s, want %s", n, got, w)
		}
	}
	if s.param("pr-build-0", "flags").StringVal != "-static" || s.param("pr-build-0", "mode").StringVal != "release" {
		t.Error("include's extra param or the task's own param missing")
	}
	for i := range want {
		s.finish(fmt.Sprintf("pr-build-%d", i), true, res("s", windlassv1.NewString(want[i])))
	}
	s.plan()
	if got := s.param("pr-publish", "all").ArrayVal; !reflect.DeepEqual(got, want) {
		t.Errorf("collected results = %v, want %v", got, want)
	}
	s.cfg.MaxMatrix = 3
	s2 := newSim(t, `
spec:
  pipelineSpec:
    tasks: [{name: m, taskSpec: `+task+`, matrix: {params: [{name: x, value: [a, b, c, d]}]}}]
`)
	s2.cfg.MaxMatrix = 3
	_, err := Plan(Input{Run: s2.run, Resolved: s2.resolved, Now: t0, Config: s2.cfg})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "more than 3 combinations") {
		t.Errorf("matrix cap: got %v", err)
	}
}

func TestTasksTimeoutCancelsThenRunsFinally(t *testing.T) {
	s := newSim(t, `
spec:
  timeouts: {tasks: 10m, finally: 5m}
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: `+task+`}
    - {name: b, taskSpec: `+task+`, runAfter: [a]}
    finally: [{name: f, taskSpec: `+task+`}]
`)
	out := s.plan()
	if out.RequeueAfter != 10*time.Minute || s.children["pr-a"].Spec.Timeout.Duration != 10*time.Minute {
		t.Errorf("requeue %v, TaskRun timeout %v: both should be the tasks timeout", out.RequeueAfter, s.children["pr-a"].Spec.Timeout)
	}
	s.now = t0.Add(10 * time.Minute)
	out = s.plan()
	if len(out.Cancel) != 1 || out.Cancel[0].Name != "pr-a" {
		t.Fatalf("cancels = %+v", out.Cancel)
	}
	s.finish("pr-a", false) // cancelled
	s.plan()
	s.wantRunning("pr-f")
	if d := s.children["pr-f"].Spec.Timeout.Duration; d != 5*time.Minute {
		t.Errorf("finally TaskRun timeout = %v", d)
	}
	s.finish("pr-f", true)
	s.plan()
	s.wantDone(metav1.ConditionFalse, windlassv1.ReasonTimedOut)
	s.wantSkipped(map[string]string{"b": SkipTasksTimedOut})
}

func TestPipelineTimeoutStopsEverything(t *testing.T) {
	s := newSim(t, `
spec:
  timeouts: {pipeline: 1m}
  pipelineSpec:
    tasks: [{name: a, taskSpec: `+task+`}]
    finally: [{name: f, taskSpec: `+task+`}]
`)
	s.plan()
	s.now = t0.Add(time.Minute)
	s.plan()
	s.finish("pr-a", false)
	s.plan()
	s.wantDone(metav1.ConditionFalse, windlassv1.ReasonTimedOut)
	s.wantSkipped(map[string]string{"f": SkipTimedOut})
}

func TestCancelModes(t *testing.T) {
	const spec = `
spec:
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: ` + task + `}
    - {name: b, taskSpec: ` + task + `, runAfter: [a]}
    finally: [{name: f, taskSpec: ` + task + `}]
`
	for _, tc := range []struct {
		mode       windlassv1.PipelineRunSpecStatus
		cancelsA   bool
		finallyRun bool
		reason     string
	}{
		{windlassv1.PipelineRunCancelled, true, false, windlassv1.ReasonCancelled},
		{windlassv1.PipelineRunCancelledRunFinally, true, true, windlassv1.ReasonCancelled},
		{windlassv1.PipelineRunStoppedRunFinally, false, true, windlassv1.ReasonStoppedRunFinally},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := newSim(t, spec)
			s.plan()
			s.run.Spec.Status = tc.mode
			out := s.plan()
			if got := len(out.Cancel) == 1; got != tc.cancelsA {
				t.Fatalf("cancels %+v, want a cancelled: %v", out.Cancel, tc.cancelsA)
			}
			s.finish("pr-a", true)
			s.plan()
			if _, ran := s.children["pr-f"]; ran != tc.finallyRun {
				t.Fatalf("finally ran: %v, want %v", ran, tc.finallyRun)
			}
			if _, ran := s.children["pr-b"]; ran {
				t.Fatal("b started after the run was stopped")
			}
			if tc.finallyRun {
				s.finish("pr-f", true)
				s.plan()
			}
			s.wantDone(metav1.ConditionFalse, tc.reason)
		})
	}
}

func TestResolveRejects(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown param", `
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}, params: [{name: x, value: $(params.nope)}]}]`, "spec.pipelineSpec.tasks[0].params[0].value (a): $(params.nope): no such value"},
		{"unknown param in a when, exactly where", `
  pipelineSpec:
    params: [{name: ok, default: x}]
    tasks: [{name: a, taskRef: {name: t}, when: [{input: $(params.ok), operator: in, values: [x, "$(params.nope)"]}]}]`, "spec.pipelineSpec.tasks[0].when[0].values[1] (a): $(params.nope): no such value"},
		{"unknown param in a matrix include, exactly where", `
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}, matrix: {include: [{name: i, params: [{name: x, value: $(params.nope)}]}]}}]`, "spec.pipelineSpec.tasks[0].matrix.include[0].params[0].value (a): $(params.nope): no such value"},
		{"cycle through results", `
  pipelineSpec:
    tasks:
    - {name: a, taskRef: {name: t}, params: [{name: x, value: $(tasks.b.results.r)}]}
    - {name: b, taskRef: {name: t}, runAfter: [a]}`, "the tasks form a cycle: a → b → a"},
		{"result of an unknown task", `
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}, params: [{name: x, value: $(tasks.zz.results.r)}]}]`, "$(tasks.zz.results.r) names no task of tasks"},
		{"undeclared result of an embedded task", `
  pipelineSpec:
    tasks:
    - {name: a, taskSpec: ` + task + `}
    - {name: b, taskRef: {name: t}, params: [{name: x, value: $(tasks.a.results.nope)}]}`, `task "a" declares no result "nope" (declared: s, a, o)`},
		{"status outside finally", `
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}, params: [{name: x, value: $(tasks.status)}]}]`, "only available to finally tasks"},
		{"required param missing", `
  pipelineSpec:
    params: [{name: rev}]
    tasks: [{name: a, taskRef: {name: t}}]`, `"rev" required by the Pipeline`},
		{"unbound workspace", `
  pipelineSpec:
    workspaces: [{name: src}]
    tasks: [{name: a, taskRef: {name: t}}]`, `workspace "src" is required by the Pipeline but not bound`},
		{"task binds an undeclared workspace", `
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}, workspaces: [{name: w, workspace: nope}]}]`, `spec.pipelineSpec.tasks[0].workspaces[0]: the Pipeline declares no workspace "nope"`},
		{"taskRunSpecs for an unknown task", `
  taskRunSpecs: [{pipelineTaskName: zz}]
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}}]`, `spec.taskRunSpecs[0].pipelineTaskName: the pipeline has no task "zz"`},
		{"matrix param not an array", `
  pipelineSpec:
    tasks: [{name: a, taskRef: {name: t}, matrix: {params: [{name: x, value: one}]}}]`, "a matrix param needs an array value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &windlassv1.PipelineRun{}
			if err := yaml.UnmarshalStrict([]byte("spec:"+tc.yaml), run); err != nil {
				t.Fatal(err)
			}
			_, err := Resolve(run, "pl", run.Spec.PipelineSpec, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestWorkspacesAndTemplatesPassDown(t *testing.T) {
	s := newSim(t, `
spec:
  workspaces:
  - {name: src, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce]}}}
  - {name: cfg, configMap: {name: c}, subPath: base}
  taskRunTemplate: {serviceAccountName: builder}
  taskRunSpecs: [{pipelineTaskName: a, serviceAccountName: pusher}]
  params: [{name: dir, value: x}]
  pipelineSpec:
    params: [{name: dir}]
    workspaces: [{name: src}, {name: cfg}, {name: cache, optional: true}]
    tasks:
    - {name: a, taskRef: {name: t}, workspaces: [{name: output, workspace: src}, {name: cfg, subPath: $(params.dir)}, {name: cache}]}
    - {name: b, taskRef: {name: t}, workspaces: [{name: src}]}
`)
	s.plan()
	a, b := s.children["pr-a"], s.children["pr-b"]
	if a.Spec.ServiceAccountName != "pusher" || b.Spec.ServiceAccountName != "builder" {
		t.Errorf("service accounts: %q %q", a.Spec.ServiceAccountName, b.Spec.ServiceAccountName)
	}
	if len(a.Spec.Workspaces) != 2 {
		t.Fatalf("a's workspaces (the optional unbound one left out): %+v", a.Spec.Workspaces)
	}
	if w := a.Spec.Workspaces[0]; w.Name != "output" || w.PersistentVolumeClaim == nil || w.PersistentVolumeClaim.ClaimName != "pvc-pr-src" || w.VolumeClaimTemplate != nil {
		t.Errorf("volumeClaimTemplate must become the run's claim: %+v", w)
	}
	if w := a.Spec.Workspaces[1]; w.ConfigMap == nil || w.SubPath != "base/x" {
		t.Errorf("subPaths must join, params substituted: %+v", w)
	}
}

func TestJoinFailedKeepsTheMessageWithinAConditions(t *testing.T) {
	if got := joinFailed([]string{"a (x)", "b (y)"}); got != "a (x); b (y)" {
		t.Errorf("got %q", got)
	}
	var many []string
	for i := range 100 {
		many = append(many, fmt.Sprintf("t%d (%s)", i, strings.Repeat("m", 1100)))
	}
	got := joinFailed(many)
	if len(got) > maxFailedList+len("; and 100 more") || !strings.HasPrefix(got, "t0 (") || !regexp.MustCompile(`; and \d+ more$`).MatchString(got) {
		t.Errorf("%d bytes, ends %q", len(got), got[len(got)-40:])
	}
}
