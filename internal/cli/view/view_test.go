package view

import (
	"bytes"
	"github.com/windlass-dev/windlass/test/golden"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

var now = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func at(ago time.Duration) metav1.Time { return metav1.NewTime(now.Add(-ago)) }
func ptr(t metav1.Time) *metav1.Time   { return &t }

func cond(status metav1.ConditionStatus, reason, msg string) []metav1.Condition {
	return []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: status, Reason: reason, Message: msg}}
}

// fixture is a failed run: fetch succeeded, test failed in its second step
// (the third skipped), the gate was never opened, deploy was skipped.
func fixture(t *testing.T) Described {
	t.Helper()
	var spec windlassv1.PipelineSpec
	if err := yaml.UnmarshalStrict([]byte(`
params: [{name: revision}, {name: flags, type: array}]
tasks:
- name: test
  runAfter: [fetch]
  params: [{name: sha, value: $(tasks.fetch.results.commit)}]
  taskRef: {name: go-test}
- name: fetch
  taskRef: {name: git-clone}
- name: gate
  runAfter: [test]
  taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
- name: deploy
  runAfter: [gate]
  taskRef: {name: deploy}
finally:
- name: notify
  taskRef: {name: notify}
`), &spec); err != nil {
		t.Fatal(err)
	}
	pr := &windlassv1.PipelineRun{
		ObjectMeta: metav1.ObjectMeta{Name: "ci-run-x7k2p", Namespace: "team", CreationTimestamp: at(5 * time.Minute)},
		Spec: windlassv1.PipelineRunSpec{
			PipelineRef: &windlassv1.PipelineRef{Name: "ci"},
			Params:      []windlassv1.Param{{Name: "revision", Value: *windlassv1.NewString("main")}, {Name: "flags", Value: *windlassv1.NewArray("-race", "-v")}},
		},
		Status: windlassv1.PipelineRunStatus{
			Conditions:     cond(metav1.ConditionFalse, "Failed", "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 2"),
			StartTime:      ptr(at(4*time.Minute + 50*time.Second)),
			CompletionTime: ptr(at(3 * time.Minute)),
			SkippedTasks: []windlassv1.SkippedTask{
				{Name: "gate", Reason: "ParentTasksSkipped", Message: "a task it waits for failed or was skipped"},
				{Name: "deploy", Reason: "ParentTasksSkipped", Message: "a task it waits for failed or was skipped"},
			},
			Results:      []windlassv1.PipelineRunResult{{Name: "commit", Value: *windlassv1.NewString("0a1b2c")}},
			PipelineSpec: &spec,
		},
	}
	step := func(name string, code int32, reason string, from, to time.Duration, msg string) windlassv1.StepState {
		return windlassv1.StepState{Name: name, Container: "step-" + name, Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: reason, Message: msg, StartedAt: at(from), FinishedAt: at(to)}}
	}
	tr := func(task string, created time.Duration, conds []metav1.Condition, steps ...windlassv1.StepState) windlassv1.TaskRun {
		return windlassv1.TaskRun{
			ObjectMeta: metav1.ObjectMeta{Name: "ci-run-x7k2p-" + task, Namespace: "team", CreationTimestamp: at(created),
				Labels: map[string]string{"windlass.dev/pipelineRun": "ci-run-x7k2p", "windlass.dev/pipelineTask": task}},
			Spec: windlassv1.TaskRunSpec{TaskRef: &windlassv1.TaskRef{Name: task}},
			Status: windlassv1.TaskRunStatus{Conditions: conds, StartTime: ptr(at(created - time.Second)), CompletionTime: ptr(at(created - 30*time.Second)),
				PodName: "ci-run-x7k2p-" + task + "-pod", Steps: steps},
		}
	}
	return Described{
		Run: pr,
		TaskRuns: []windlassv1.TaskRun{
			tr("test", 4*time.Minute, cond(metav1.ConditionFalse, "Failed", `step "unit" exited with code 2`),
				step("build", 0, "Completed", 239*time.Second, 230*time.Second, ""),
				step("unit", 2, "Error", 230*time.Second, 211*time.Second, ""),
				windlassv1.StepState{Name: "cover", Container: "step-cover", Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Skipped"}}),
			tr("fetch", 290*time.Second, cond(metav1.ConditionTrue, "Succeeded", ""), step("clone", 0, "Completed", 289*time.Second, 262*time.Second, "")),
			tr("notify", 200*time.Second, cond(metav1.ConditionTrue, "Succeeded", ""), step("send", 0, "Completed", 199*time.Second, 198*time.Second, "")),
		},
		Logs: []StepLog{{Task: "test", Step: "unit", Lines: []string{"--- FAIL: TestParse (0.00s)", "    parse_test.go:12: got 1, want 2", "FAIL"}}},
	}
}

func TestDescribePipelineRun(t *testing.T) {
	var buf bytes.Buffer
	if err := DescribePipelineRun(&buf, fixture(t), now); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "describe-pipelinerun.golden", buf.Bytes())
}

func TestDescribeTaskRun(t *testing.T) {
	d := fixture(t)
	var buf bytes.Buffer
	if err := DescribeTaskRun(&buf, &d.TaskRuns[0], d.Logs, now); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "describe-taskrun.golden", buf.Bytes())
}

func TestTaskOrder(t *testing.T) {
	got := TaskOrder(fixture(t).Run.Status.PipelineSpec)
	if diff := cmp.Diff([]string{"fetch", "test", "gate", "deploy", "notify"}, got); diff != "" {
		t.Error(diff)
	}
}

func TestTables(t *testing.T) {
	d := fixture(t)
	running := d.Run.DeepCopy()
	running.Name, running.CreationTimestamp = "ci-run-a1b2c", at(40*time.Second)
	running.Spec.PipelineRef = nil
	running.Status = windlassv1.PipelineRunStatus{Conditions: cond(metav1.ConditionUnknown, "Running", ""), StartTime: ptr(at(39 * time.Second))}
	pending := d.Run.DeepCopy()
	pending.Name, pending.CreationTimestamp, pending.Status = "ci-run-zzzzz", at(2*time.Second), windlassv1.PipelineRunStatus{}
	old := d.Run.DeepCopy()
	old.Name, old.CreationTimestamp = "ci-run-old", at(50*time.Hour)
	old.Status = windlassv1.PipelineRunStatus{Conditions: cond(metav1.ConditionTrue, "Completed", ""), StartTime: ptr(at(50 * time.Hour)), CompletionTime: ptr(at(48*time.Hour + 55*time.Minute))}

	var buf bytes.Buffer
	for i, table := range []Table{
		PipelineRuns([]windlassv1.PipelineRun{*old, *d.Run, *pending, *running}, now),
		TaskRuns(d.TaskRuns, now),
		Pipelines([]windlassv1.Pipeline{
			{ObjectMeta: metav1.ObjectMeta{Name: "ci", CreationTimestamp: at(72 * time.Hour)}, Spec: *d.Run.Status.PipelineSpec},
			{ObjectMeta: metav1.ObjectMeta{Name: "a-empty", CreationTimestamp: at(90 * time.Second)}},
		}, now),
		Tasks([]windlassv1.Task{{ObjectMeta: metav1.ObjectMeta{Name: "go-test", CreationTimestamp: at(time.Hour)},
			Spec: windlassv1.TaskSpec{Params: []windlassv1.ParamSpec{{Name: "sha"}, {Name: "pkg"}}, Steps: make([]windlassv1.Step, 3)}}}, now),
		EventListeners([]triggersv1.EventListener{{ObjectMeta: metav1.ObjectMeta{Name: "github", CreationTimestamp: at(3 * time.Hour)},
			Status: triggersv1.EventListenerStatus{Address: &triggersv1.Addressable{URL: "http://el-github.team.svc:8080"},
				Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Ready"}}}}}, now),
	} {
		if i > 0 {
			buf.WriteString("\n")
		}
		if err := table.Write(&buf); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, "tables.golden", buf.Bytes())
}

func TestPrintObjects(t *testing.T) {
	d := fixture(t)
	one := d.Run.DeepCopy()
	one.Status = windlassv1.PipelineRunStatus{}
	two := one.DeepCopy()
	two.Name = "ci-run-second"
	gvk := windlassv1.GroupVersion.WithKind("PipelineRun")
	for _, tc := range []struct {
		format string
		objs   []Object
		file   string
	}{
		{FormatName, []Object{one, two}, "print-name.golden"},
		{FormatYAML, []Object{one}, "print-one.yaml.golden"},
		{FormatJSON, []Object{one}, "print-one.json.golden"},
		{FormatYAML, []Object{one, two}, "print-list.yaml.golden"},
	} {
		var buf bytes.Buffer
		if err := PrintObjects(&buf, tc.format, gvk, tc.objs); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, tc.file, buf.Bytes())
	}
	if err := CheckFormat("wide", FormatYAML, FormatJSON); err == nil || err.Error() != `-o "wide": want one of yaml, json` {
		t.Errorf("CheckFormat: %v", err)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "<1s", 850 * time.Millisecond: "<1s", 42 * time.Second: "42s", 3*time.Minute + 5*time.Second: "3m5s",
		3 * time.Minute: "3m", 2*time.Hour + 10*time.Minute: "2h10m", 5 * time.Hour: "5h", 76 * time.Hour: "3d4h", 72 * time.Hour: "3d",
	} {
		if got := Human(d); got != want {
			t.Errorf("Human(%v) = %s, want %s", d, got, want)
		}
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}
