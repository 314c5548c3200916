//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

var (
	cliOnce sync.Once
	cliBin  string
	cliErr  error
)

// windlassCLI builds the CLI once for the tests (into a temporary directory).
func windlassCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "windlass-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliBin = filepath.Join(dir, "windlass")
		cmd := exec.Command("go", "build", "-o", cliBin, "./cmd/windlass")
		cmd.Dir = util.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/windlass: %w\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliBin
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// cli runs `windlass -n NS ARGS...` against the cluster's kubeconfig.
func cli(t *testing.T, ns string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, windlassCLI(t), append([]string{"-n", ns}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("windlass %s: %v", strings.Join(args, " "), err)
	}
	r := cliResult{stdout: out.String(), stderr: errOut.String(), code: cmd.ProcessState.ExitCode()}
	t.Logf("windlass %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	return r
}

func (r cliResult) want(t *testing.T, code int, stderr string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, stderr) {
		t.Fatalf("exit %d, stderr %q; want exit %d and stderr with %q\nstdout:\n%s", r.code, r.stderr, code, stderr, r.stdout)
	}
}

const cliManifest = `
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: say}
spec:
  params: [{name: word}, {name: lines, default: "3"}, {name: fail, default: "no"}]
  steps:
  - name: print
    image: SHELL
    script: |
      for i in $(seq 1 $(params.lines)); do echo "$(params.word) $i"; done
  - name: check
    image: SHELL
    script: |
      # Both lines on one stream: lines of stdout and stderr may reach the log in either order.
      if [ "$(params.fail)" = yes ]; then echo "about to fail" >&2; echo "boom: the check failed" >&2; exit 3; fi
      echo "$(params.word) ok"
---
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: cli-demo}
spec:
  params: [{name: word}, {name: fail, default: "no"}]
  tasks:
  - name: first
    taskRef: {name: say}
    params: [{name: word, value: "first-$(params.word)"}]
  - name: second
    taskRef: {name: say}
    params: [{name: word, value: second}, {name: lines, value: "5"}]
  - name: third
    runAfter: [first, second]
    taskRef: {name: say}
    params: [{name: word, value: third}, {name: fail, value: $(params.fail)}]
  - name: never
    when: [{input: $(params.fail), operator: in, values: [maybe]}]
    taskRef: {name: say}
    params: [{name: word, value: never}]
---
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: cli-sleep}
spec:
  params: [{name: seconds, default: "300"}]
  tasks:
  - name: nap
    taskSpec:
      params: [{name: seconds}]
      steps: [{name: sleep, image: SHELL, script: 'echo started; sleep $(params.seconds)'}]
    params: [{name: seconds, value: $(params.seconds)}]
---
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: chatty}
spec:
  steps:
  - name: many
    image: SHELL
    script: seq 1 10000 | sed 's/^/line /'
  - name: ticks
    image: SHELL
    script: |
      for i in $(seq 1 50); do
        echo "tick $i $(adjtimex | awk '/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d%06d", s, u}')"
        sleep 0.1
      done
`

// expectedLog is what cli-demo's tasks print, per [task:step], in order.
func expectedLog(word string, fail bool) map[string][]string {
	say := func(task, w string, n int) map[string][]string {
		out := map[string][]string{}
		for i := 1; i <= n; i++ {
			out["["+task+":print]"] = append(out["["+task+":print]"], fmt.Sprintf("%s %d", w, i))
		}
		out["["+task+":check]"] = []string{w + " ok"}
		return out
	}
	all := map[string][]string{}
	for _, m := range []map[string][]string{say("first", "first-"+word, 3), say("second", "second", 5), say("third", "third", 3)} {
		for k, v := range m {
			all[k] = v
		}
	}
	if fail {
		all["[third:check]"] = []string{"about to fail", "boom: the check failed"}
	}
	return all
}

// byPrefix splits log lines by their [task:step] prefix, keeping the order
// of each; every line must have one.
func byPrefix(t *testing.T, lines []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, l := range lines {
		prefix, text, ok := strings.Cut(l, " ")
		if !ok || !strings.HasPrefix(prefix, "[") || !strings.HasSuffix(prefix, "]") {
			t.Fatalf("log line %q has no [task:step] prefix", l)
		}
		out[prefix] = append(out[prefix], text)
	}
	return out
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// TestCLI drives the windlass binary against the cluster: start with
// --showlog (exit 0 and 1, the whole log), bad input (exit 2), logs of a
// finished run, describe of a failed one, list, cancel, wait, rerun, approve.
func TestCLI(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, cliManifest)
	ctx := context.Background()

	// A succeeding run, followed to its end.
	r := cli(t, ns, "start", "pipeline", "cli-demo", "-p", "word=hi", "--use-param-defaults", "--showlog")
	r.want(t, 0, "Succeeded")
	out := lines(r.stdout)
	okRun := out[0]
	if !strings.HasPrefix(okRun, "cli-demo-run-") {
		t.Fatalf("first line %q is not the run's name", okRun)
	}
	if got, want := byPrefix(t, out[1:]), expectedLog("hi", false); !reflect.DeepEqual(got, want) {
		t.Fatalf("--showlog printed\n%s\nwant (per task:step) %v", r.stdout, want)
	}
	// third runs after first and second: none of its lines before theirs end.
	lastBefore, firstThird := 0, len(out)
	for i, l := range out[1:] {
		if strings.HasPrefix(l, "[third:") && i+1 < firstThird {
			firstThird = i + 1
		}
		if strings.HasPrefix(l, "[first:") || strings.HasPrefix(l, "[second:") {
			lastBefore = i + 1
		}
	}
	if lastBefore > firstThird {
		t.Errorf("third's lines came before first and second ended:\n%s", r.stdout)
	}

	// The logs of the finished run: read once, task after task in the pipeline's order.
	r = cli(t, ns, "logs", okRun)
	r.want(t, 0, "")
	var want []string
	exp := expectedLog("hi", false)
	for _, task := range []string{"first", "second", "third"} {
		for _, step := range []string{"print", "check"} {
			for _, l := range exp["["+task+":"+step+"]"] {
				want = append(want, "["+task+":"+step+"] "+l)
			}
		}
	}
	if got := lines(r.stdout); !reflect.DeepEqual(got, want) {
		t.Errorf("logs of a finished run:\n%s\nwant:\n%s", r.stdout, strings.Join(want, "\n"))
	}
	r = cli(t, ns, "logs", okRun, "--task", "second", "--step", "check")
	if r.want(t, 0, ""); r.stdout != "[second:check] second ok\n" {
		t.Errorf("logs --task second --step check: %q", r.stdout)
	}

	// A failing run: exit code 1, the failure in the log.
	r = cli(t, ns, "start", "pipeline", "cli-demo", "-p", "word=hi", "-p", "fail=yes", "--showlog")
	r.want(t, 1, "Failed")
	out = lines(r.stdout)
	failedRun := out[0]
	if got, want := byPrefix(t, out[1:]), expectedLog("hi", true); !reflect.DeepEqual(got, want) {
		t.Fatalf("--showlog of the failing run printed\n%s\nwant (per task:step) %v", r.stdout, want)
	}

	// describe names the failed step, its exit code and last lines, and the skipped task and why.
	r = cli(t, ns, "describe", failedRun)
	r.want(t, 0, "")
	for _, re := range []string{
		`(?m)^Status:\s+Failed \(Failed\)$`,
		`(?m)^  third\s+Failed\s+\S+\s+Failed: .*check`,
		`(?m)^    └ check\s+Error\s+\S+\s+exit code 3`,
		`(?m)^  never\s+Skipped\s+-\s+(PipelineRunStopping|WhenExpressionsFalse)$`,
		`(?m)^Skipped tasks\n  never\s+(PipelineRunStopping|WhenExpressionsFalse)\s+\S`,
		`(?m)^Last lines of failed step third:check\n  \| about to fail\n  \| boom: the check failed$`,
		`(?m)^  fail\s+yes$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("describe lacks %s:\n%s", re, r.stdout)
		}
	}

	r = cli(t, ns, "describe", okRun)
	for _, re := range []string{`(?m)^Status:\s+Succeeded \(Completed\)$`, `(?m)^  never\s+Skipped\s+-\s+WhenExpressionsFalse$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("describe lacks %s:\n%s", re, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Last lines of failed step") {
		t.Errorf("describe of a succeeded run shows a failed step:\n%s", r.stdout)
	}

	// describe of one TaskRun: its steps.
	r = cli(t, ns, "describe", failedRun+"-third")
	for _, re := range []string{`(?m)^PipelineRun:\s+` + failedRun + ` \(task third\)$`, `(?m)^  check\s+Error\s+\S+\s+exit code 3$`, `(?m)^  \| boom: the check failed$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("describe of the TaskRun lacks %s:\n%s", re, r.stdout)
		}
	}

	// A run that times out: exit code 3.
	cli(t, ns, "start", "pipeline", "cli-sleep", "-p", "seconds=60", "--timeout", "3s", "--showlog").want(t, 3, "(TimedOut)")

	// A run from a file (its params replaced by -p), and a Task started on its own.
	file := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {generateName: from-file-}
spec:
  pipelineRef: {name: cli-demo}
  params: [{name: word, value: file}, {name: fail, value: "yes"}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, ns, "start", "-f", file, "-p", "fail=no", "-o", "name", "--showlog")
	r.want(t, 0, "Succeeded")
	if out := lines(r.stdout); !strings.HasPrefix(out[0], "pipelinerun.windlass.dev/from-file-") || !reflect.DeepEqual(byPrefix(t, out[1:]), expectedLog("file", false)) {
		t.Errorf("start -f printed:\n%s", r.stdout)
	}
	r = cli(t, ns, "start", "task", "say", "-p", "word=solo", "-p", "lines=2", "--use-param-defaults", "--showlog")
	r.want(t, 0, "Succeeded")
	task := strings.TrimSpace(lines(r.stdout)[0])
	if want := task + "\n[" + task + ":print] solo 1\n[" + task + ":print] solo 2\n[" + task + ":check] solo ok\n"; r.stdout != want {
		t.Errorf("start task --showlog printed %q, want %q", r.stdout, want)
	}

	// Shell completion offers the runs from the cluster.
	r = cli(t, ns, "__complete", "describe", "cli-demo-run-")
	if r.want(t, 0, ""); !strings.Contains(r.stdout, okRun+"\tpipelinerun\n") || !strings.Contains(r.stdout, okRun+"-first\ttaskrun\n") {
		t.Errorf("completion of describe: %q", r.stdout)
	}
	r = cli(t, ns, "__complete", "start", "pipeline", "cli-")
	if r.want(t, 0, ""); !strings.Contains(r.stdout, "cli-demo\tpipeline\n") || !strings.Contains(r.stdout, "cli-sleep\tpipeline\n") {
		t.Errorf("completion of start pipeline: %q", r.stdout)
	}

	// Bad input: exit 2, naming the flag.
	cli(t, ns, "start", "pipeline", "cli-demo", "-p", "word=x", "-p", "nope=1").want(t, 2, `-p "nope=1": the pipeline or task declares no param "nope"`)
	cli(t, ns, "start", "pipeline", "cli-demo", "--use-param-defaults").want(t, 2, "param word has no default")
	cli(t, ns, "start", "pipeline", "cli-demo", "-p", "word=x").want(t, 2, "param fail not given")
	cli(t, ns, "start", "pipeline", "no-such").want(t, 2, `there is no Pipeline "no-such"`)
	cli(t, ns, "start", "pipeline", "cli-demo", "-p", "word").want(t, 2, `-p "word": want NAME=VALUE`)

	// list: both runs, as a table and as names.
	r = cli(t, ns, "list", "pipelineruns")
	r.want(t, 0, "")
	for _, re := range []string{`(?m)^NAME\s+PIPELINE\s+AGE\s+DURATION\s+STATUS\s+REASON$`, `(?m)^` + okRun + `\s+cli-demo\s+\S+\s+\S+\s+Succeeded\s+Completed$`, `(?m)^` + failedRun + `\s+cli-demo\s+\S+\s+\S+\s+Failed\s+Failed$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("list pipelineruns lacks %s:\n%s", re, r.stdout)
		}
	}
	r = cli(t, ns, "list", "pr", "-o", "name")
	r.want(t, 0, "")
	names := lines(r.stdout)
	if i, j := slices.Index(names, "pipelinerun.windlass.dev/"+failedRun), slices.Index(names, "pipelinerun.windlass.dev/"+okRun); i < 0 || j < 0 || i > j {
		t.Errorf("list pr -o name (newest first) lacks %s then %s: %q", failedRun, okRun, r.stdout)
	}

	// cancel, wait and rerun a sleeping run.
	r = cli(t, ns, "start", "pipeline", "cli-sleep", "--use-param-defaults")
	r.want(t, 0, "")
	sleeper := strings.TrimSpace(r.stdout)
	waitPipelineRun(t, ns, sleeper, "running its task", 2*time.Minute, func(pr *windlassv1.PipelineRun) bool {
		return len(pr.Status.ChildReferences) > 0
	})
	cli(t, ns, "wait", sleeper, "--timeout", "2s").want(t, 3, "still runs after 2s")
	cli(t, ns, "cancel", sleeper).want(t, 0, "")
	cli(t, ns, "wait", sleeper, "--timeout", "2m").want(t, 1, "Failed (Cancelled)")
	cli(t, ns, "cancel", sleeper).want(t, 1, "has already ended (Cancelled)")

	r = cli(t, ns, "rerun", sleeper)
	r.want(t, 0, "")
	again := strings.TrimSpace(r.stdout)
	orig, rerun := &windlassv1.PipelineRun{}, &windlassv1.PipelineRun{}
	if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: sleeper}, orig); err != nil {
		t.Fatal(err)
	}
	if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: again}, rerun); err != nil {
		t.Fatal(err)
	}
	if again == sleeper || !strings.HasPrefix(again, "cli-sleep-run-") || !reflect.DeepEqual(orig.Spec.Params, rerun.Spec.Params) ||
		rerun.Spec.Status != "" || rerun.Annotations["windlass.dev/rerun-of"] != sleeper {
		t.Fatalf("rerun %s of %s: params %v (want %v), status %q, annotations %v", again, sleeper, rerun.Spec.Params, orig.Spec.Params, rerun.Spec.Status, rerun.Annotations)
	}
	cli(t, ns, "cancel", again, "--mode", "cancelled-run-finally").want(t, 0, "")
	cli(t, ns, "wait", again, "--timeout", "2m").want(t, 1, "Cancelled")

	// rerun of the succeeded run, waited for.
	r = cli(t, ns, "rerun", okRun, "--wait")
	r.want(t, 0, "Succeeded")
}

// TestCLIApprove: `windlass approve` as a listed approver opens a gate;
// an unlisted one is refused by the API server's policy.
func TestCLIApprove(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	bindApprovers(t, ns, "alice", "mallory")
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: gated}
spec:
  tasks:
  - name: gate
    taskRef: {apiVersion: windlass.dev/v1alpha1, kind: Approval}
    params: [{name: approvers, value: [alice]}]
  - name: after
    runAfter: [gate]
    params: [{name: by, value: $(tasks.gate.results.decidedBy)}]
    taskSpec:
      params: [{name: by}]
      steps: [{name: show, image: SHELL, script: 'echo "approved by $(params.by)"'}]
`)
	r := cli(t, ns, "start", "pipeline", "gated")
	r.want(t, 0, "")
	run := strings.TrimSpace(r.stdout)
	waitApproval(t, ns, run+"-gate", windlassv1.ReasonAwaitingApproval, 2*time.Minute)
	cli(t, ns, "--as", "mallory", "approve", run, "-m", "me too").want(t, 1, "may not decide")
	cli(t, ns, "--as", "alice", "approve", run, "--task", "nope").want(t, 2, "--task nope: the gates of "+run+" are gate")
	r = cli(t, ns, "--as", "alice", "approve", run, "-m", "ship it")
	if r.want(t, 0, ""); !strings.Contains(r.stdout, "alice approved (gate gate of "+run+")") {
		t.Errorf("approve printed %q", r.stdout)
	}
	cli(t, ns, "wait", run, "--timeout", "2m").want(t, 0, "Succeeded")
	r = cli(t, ns, "logs", run)
	if r.want(t, 0, ""); r.stdout != "[after:show] approved by alice\n" {
		t.Errorf("logs: %q", r.stdout)
	}
	r = cli(t, ns, "describe", run)
	if !regexp.MustCompile(`(?m)^  gate \[approval\]\s+Succeeded\s+\S+\s+Approved by alice: ship it$`).MatchString(r.stdout) {
		t.Errorf("describe lacks the gate's decision:\n%s", r.stdout)
	}
	cli(t, ns, "--as", "alice", "reject", run).want(t, 1, "no gate of "+run+" is open")
}

// TestCLILogsFollow: `windlass logs -f` of a running TaskRun loses none of a
// 10,000-line step's lines, and reports how long a line takes from the step
// printing it to the CLI printing it (median; the step prints its clock).
func TestCLILogsFollow(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	createObjects(t, ns, cliManifest)
	r := cli(t, ns, "start", "task", "chatty")
	r.want(t, 0, "")
	run := strings.TrimSpace(r.stdout)

	var many []string
	var latencies []time.Duration
	tick := regexp.MustCompile(`^tick (\d+) (\d+)$`)
	follow(t, ns, run, func(prefix, text string, seen time.Time) {
		switch prefix {
		case "[" + run + ":many]":
			many = append(many, text)
		case "[" + run + ":ticks]":
			m := tick.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("tick line %q", text)
			}
			usec, _ := strconv.ParseInt(m[2], 10, 64)
			latencies = append(latencies, seen.Sub(time.UnixMicro(usec)))
		default:
			t.Fatalf("unexpected line %s %s", prefix, text)
		}
	})
	if len(many) != 10000 {
		t.Errorf("logs -f printed %d of the 10000 lines", len(many))
	}
	for i, l := range many {
		if l != fmt.Sprintf("line %d", i+1) {
			t.Fatalf("line %d is %q", i+1, l)
		}
	}
	if len(latencies) != 50 {
		t.Fatalf("%d tick lines, want 50", len(latencies))
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	t.Logf("logs -f latency, step prints a line -> windlass prints it: median %v, p90 %v, max %v (50 lines)",
		latencies[25], latencies[45], latencies[49])
	if latencies[25] > 2*time.Second {
		t.Errorf("median latency %v: lines are not streamed", latencies[25])
	}
}

// follow runs `windlass logs -f RUN` and hands each line to seen with the
// time it arrived.
func follow(t *testing.T, ns, run string, line func(prefix, text string, seen time.Time)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, windlassCLI(t), "-n", ns, "logs", "-f", run)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		seen := time.Now()
		prefix, text, _ := strings.Cut(sc.Text(), " ")
		line(prefix, text, seen)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logs -f: %v\n%s", err, errOut.String())
	}
}

// TestCLILogsFollowFirstLines: how long from a step's first line to its
// appearance in `windlass logs -f` of a PipelineRun (new pods found, the
// container's start seen, its stream opened), median over a run's steps.
func TestCLILogsFollowFirstLines(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	step := func(name string) string {
		return `{name: ` + name + `, image: SHELL, script: 'echo "first $(adjtimex | awk ''/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d%06d", s, u}'')"; sleep 0.3; echo done'}`
	}
	task := func(name, after string) string {
		return "  - name: " + name + "\n    runAfter: [" + after + "]\n    taskSpec: {steps: [" + step("one") + ", " + step("two") + "]}\n"
	}
	createObjects(t, ns, "apiVersion: windlass.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: firsts}\nspec:\n  tasks:\n"+
		task("a", "")+task("b", "")+task("c", "")+task("d", "a")+task("e", "d")+task("f", "b, c"))
	r := cli(t, ns, "start", "pipeline", "firsts")
	r.want(t, 0, "")
	run := strings.TrimSpace(r.stdout)
	first := regexp.MustCompile(`^first (\d+)$`)
	seenSteps := map[string]bool{}
	var latencies, ofOne, ofTwo []time.Duration // every step's; a pod's first step's; its second's
	follow(t, ns, run, func(prefix, text string, seen time.Time) {
		if m := first.FindStringSubmatch(text); m != nil {
			usec, _ := strconv.ParseInt(m[1], 10, 64)
			d := seen.Sub(time.UnixMicro(usec))
			latencies = append(latencies, d)
			if strings.HasSuffix(prefix, ":one]") {
				ofOne = append(ofOne, d)
			} else {
				ofTwo = append(ofTwo, d)
			}
			seenSteps[prefix] = true
		} else if text != "done" {
			t.Errorf("unexpected line %s %s", prefix, text)
		}
	})
	if len(seenSteps) != 12 {
		t.Fatalf("first lines of %d steps, want 12: %v", len(seenSteps), seenSteps)
	}
	for _, l := range [][]time.Duration{latencies, ofOne, ofTwo} {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	t.Logf("logs -f latency of a step's first line: median %v, min %v, max %v (12 steps, 6 pods); "+
		"a pod's first step (pod found, container start seen, stream opened): median %v; its second step (the first's stream followed to its end first): median %v",
		latencies[6], latencies[0], latencies[11], ofOne[3], ofTwo[3])
	if latencies[6] > 5*time.Second {
		t.Errorf("median first-line latency %v", latencies[6])
	}
}
