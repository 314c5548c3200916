package entrypoint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windlass-dev/windlass/internal/contract"
)

type fixture struct {
	dir  string
	opts contract.Step
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	return &fixture{dir: dir, opts: contract.Step{
		Name:            "s",
		PostFile:        filepath.Join(dir, "run", "1"),
		TerminationPath: filepath.Join(dir, "termination"),
		ScriptDir:       filepath.Join(dir, "scripts"),
		ResultsDir:      filepath.Join(dir, "results"),
		MaxResultBytes:  64 << 10,
	}}
}

func (f *fixture) run(t *testing.T) (int, contract.State, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code, err := Run(context.Background(), f.opts, &out, &errb)
	if err != nil {
		t.Fatalf("Run: %v (stderr %s)", err, errb.String())
	}
	raw, err := os.ReadFile(f.opts.TerminationPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := contract.ParseState(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return code, st, out.String() + errb.String()
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		command    []string
		onErrCont  bool
		timeout    time.Duration
		wantCode   int
		wantReason string
		wantExit   int
		wantPost   string // "ok" or "err"
		wantOut    string
	}{
		{name: "command succeeds", command: []string{"sh", "-c", "echo hi"}, wantReason: contract.ReasonCompleted, wantPost: "ok", wantOut: "hi"},
		{name: "command fails", command: []string{"sh", "-c", "exit 3"}, wantCode: 3, wantReason: contract.ReasonError, wantExit: 3, wantPost: "err"},
		{name: "onError continue", command: []string{"sh", "-c", "exit 3"}, onErrCont: true, wantReason: contract.ReasonError, wantExit: 3, wantPost: "ok"},
		{name: "script without shebang runs under sh with set -e", script: "echo one \"$1\"\nfalse\necho never", command: []string{"arg1"},
			wantCode: 1, wantReason: contract.ReasonError, wantExit: 1, wantPost: "err", wantOut: "one arg1"},
		{name: "script with shebang", script: "#!/bin/sh\nfalse\necho after-false", wantReason: contract.ReasonCompleted, wantPost: "ok", wantOut: "after-false"},
		{name: "missing binary", command: []string{"/nonexistent/tool"}, wantCode: 127, wantReason: contract.ReasonStartError, wantExit: 127, wantPost: "err", wantOut: "starting /nonexistent/tool"},
		{name: "timeout", command: []string{"sleep", "30"}, timeout: 200 * time.Millisecond, wantCode: 143, wantReason: contract.ReasonTimeoutExceeded, wantExit: 143, wantPost: "err", wantOut: "exceeded its timeout of 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.opts.Script, f.opts.Command, f.opts.OnErrorContinue, f.opts.Timeout = tt.script, tt.command, tt.onErrCont, tt.timeout
			start := time.Now()
			code, st, out := f.run(t)
			if code != tt.wantCode || st.Reason != tt.wantReason || st.ExitCode != tt.wantExit {
				t.Fatalf("code %d state %+v; want code %d reason %s exit %d\n%s", code, st, tt.wantCode, tt.wantReason, tt.wantExit, out)
			}
			gotPost := map[bool]string{true: "ok", false: "err"}[exists(f.opts.PostFile)]
			if exists(f.opts.PostFile) == exists(f.opts.PostFile+contract.FailedSuffix) || gotPost != tt.wantPost {
				t.Fatalf("post file state %s (ok %v, err %v), want %s", gotPost, exists(f.opts.PostFile), exists(f.opts.PostFile+contract.FailedSuffix), tt.wantPost)
			}
			if !strings.Contains(out, tt.wantOut) || strings.Contains(out, "never") {
				t.Fatalf("output %q, want it to contain %q", out, tt.wantOut)
			}
			if st.StartedAt < start.UnixMilli() || st.FinishedAt < st.StartedAt {
				t.Fatalf("times %d..%d, run began %d", st.StartedAt, st.FinishedAt, start.UnixMilli())
			}
			if tt.timeout > 0 && time.Since(start) > 5*time.Second {
				t.Fatalf("timeout did not stop the step promptly")
			}
		})
	}
}

func TestWaitsForThePreviousStep(t *testing.T) {
	f := newFixture(t)
	f.opts.WaitFile = filepath.Join(f.dir, "run", "0")
	marker := filepath.Join(f.dir, "ran")
	f.opts.Command = []string{"touch", marker}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := Run(context.Background(), f.opts, &bytes.Buffer{}, &bytes.Buffer{})
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("step ran before the previous one finished: %+v", r)
	default:
	}
	if exists(marker) {
		t.Fatal("step ran before the previous one finished")
	}
	released := time.Now()
	if err := writeFileAtomic(f.opts.WaitFile, []byte("Completed"), 0o666); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.code != 0 || !exists(marker) || !exists(f.opts.PostFile) {
			t.Fatalf("after release: %+v, ran %v, posted %v", r, exists(marker), exists(f.opts.PostFile))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("step never started after its wait file appeared")
	}
	raw, _ := os.ReadFile(f.opts.TerminationPath)
	st, _ := contract.ParseState(string(raw))
	if st.StartedAt < released.UnixMilli() {
		t.Fatalf("step started at %d, before it was released at %d", st.StartedAt, released.UnixMilli())
	}
}

func TestSkipsAfterAFailedStep(t *testing.T) {
	f := newFixture(t)
	f.opts.WaitFile = filepath.Join(f.dir, "run", "0")
	marker := filepath.Join(f.dir, "ran")
	f.opts.Command = []string{"touch", marker}
	if err := writeFileAtomic(f.opts.WaitFile+contract.FailedSuffix, []byte("Error"), 0o666); err != nil {
		t.Fatal(err)
	}
	code, st, _ := f.run(t)
	if code != 0 || st.Reason != contract.ReasonSkipped || exists(marker) || !exists(f.opts.PostFile+contract.FailedSuffix) {
		t.Fatalf("code %d state %+v ran %v err-posted %v; want a skip that passes the failure on", code, st, exists(marker), exists(f.opts.PostFile+contract.FailedSuffix))
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := waitForFile(ctx, filepath.Join(t.TempDir(), "never")); err == nil {
		t.Fatal("wait returned without the file or an error")
	}
}

func TestResults(t *testing.T) {
	big := strings.Repeat("x", 40<<10)
	tests := []struct {
		name       string
		files      map[string]string
		budget     int
		wantInMsg  map[string]string
		wantInLog  map[string]string
		wantTooBig bool
	}{
		{name: "small results in the termination message", files: map[string]string{"digest": "sha256:abc", "url": "u"}, budget: 4096,
			wantInMsg: map[string]string{"digest": "sha256:abc", "url": "u"}},
		{name: "large results framed into the log", files: map[string]string{"a": big, "b": "small"}, budget: 4096,
			wantInLog: map[string]string{"a": big, "b": "small"}},
		{name: "64 KiB exactly is fine", files: map[string]string{"a": strings.Repeat("y", 64<<10)}, budget: 4096,
			wantInLog: map[string]string{"a": strings.Repeat("y", 64<<10)}},
		{name: "over the limit fails, never truncates", files: map[string]string{"a": big, "b": big}, budget: 4096, wantTooBig: true},
		{name: "unwritten results are absent", files: map[string]string{}, budget: 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.opts.TerminationBudget = tt.budget
			f.opts.Results = []string{"a", "b", "digest", "url"}
			if err := os.MkdirAll(f.opts.ResultsDir, 0o777); err != nil {
				t.Fatal(err)
			}
			for n, v := range tt.files {
				if err := os.WriteFile(filepath.Join(f.opts.ResultsDir, n), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f.opts.Command = []string{"true"}
			code, st, out := f.run(t)
			if tt.wantTooBig {
				if code == 0 || st.Reason != contract.ReasonResultsTooLarge || !strings.Contains(st.Message, "results exceed 65536 bytes") || !exists(f.opts.PostFile+contract.FailedSuffix) {
					t.Fatalf("code %d state %+v; want ResultsTooLarge", code, st)
				}
				return
			}
			if code != 0 || st.Reason != contract.ReasonCompleted {
				t.Fatalf("code %d state %+v", code, st)
			}
			if diff := cmp.Diff(tt.wantInMsg, st.Results); diff != "" {
				t.Fatalf("termination results (-want +got):\n%s", diff)
			}
			raw, _ := os.ReadFile(f.opts.TerminationPath)
			if len(raw) > tt.budget {
				t.Fatalf("termination message is %d bytes, over its budget %d", len(raw), tt.budget)
			}
			if tt.wantInLog == nil {
				if st.ResultsInLog || strings.Contains(out, contract.ResultsFramePrefix) {
					t.Fatalf("unexpected results frame")
				}
				return
			}
			got, err := contract.DecodeResultsFrame(out)
			if !st.ResultsInLog || err != nil {
				t.Fatalf("resultsInLog %v, decode: %v", st.ResultsInLog, err)
			}
			if diff := cmp.Diff(tt.wantInLog, got); diff != "" {
				t.Fatalf("log results (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkHandoff measures the wake-up of a waiting step after its
// predecessor's post file appears (the design budget: median ≤ 20 ms).
func BenchmarkHandoff(b *testing.B) {
	dir := b.TempDir()
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(dir, "run", strings.Repeat("x", 1)+string(rune('a'+i%26))+time.Now().Format("150405.000000000"))
		ready := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			close(ready)
			_, err := waitForFile(context.Background(), path)
			done <- err
		}()
		<-ready
		if err := writeFileAtomic(path, nil, 0o666); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// TestOutputCopies: stdoutConfig and stderrConfig get the streams as the
// step wrote them (Secret values too: results are data), in files whose
// directories are made; the log still gets them, masked.
func TestOutputCopies(t *testing.T) {
	f := newFixture(t)
	t.Setenv("TOKEN", "s3cr3t-value")
	f.opts.MaskEnv = []string{"TOKEN"}
	f.opts.StdoutPath = filepath.Join(f.dir, "results", "out")
	f.opts.StderrPath = filepath.Join(f.dir, "ws", "new", "err.txt")
	f.opts.Script = "#!/bin/sh\necho out $TOKEN\necho err >&2\nprintf tail"
	code, st, log := f.run(t)
	if code != 0 || st.Reason != contract.ReasonCompleted {
		t.Fatalf("exit %d, state %+v, log %q", code, st, log)
	}
	for path, want := range map[string]string{f.opts.StdoutPath: "out s3cr3t-value\ntail", f.opts.StderrPath: "err\n"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s: %q (%v), want %q", path, got, err, want)
		}
	}
	if strings.Contains(log, "s3cr3t-value") || !strings.Contains(log, "out ***") || !strings.Contains(log, "err") {
		t.Errorf("the log %q: want the output, masked", log)
	}
	// One file for both streams; an unwritable path fails the step at start.
	f = newFixture(t)
	f.opts.StdoutPath = filepath.Join(f.dir, "both")
	f.opts.StderrPath = f.opts.StdoutPath
	f.opts.Script = "#!/bin/sh\necho a\necho b >&2"
	if code, _, _ := f.run(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	// Two pipes: which line comes first is the step's scheduling.
	if got, _ := os.ReadFile(f.opts.StdoutPath); string(got) != "a\nb\n" && string(got) != "b\na\n" {
		t.Errorf("both streams in one file: %q", got)
	}
	f = newFixture(t)
	f.opts.StdoutPath = "/proc/nope/out"
	f.opts.Script = "#!/bin/sh\necho a"
	if _, st, _ := f.run(t); st.Reason != contract.ReasonStartError || !strings.Contains(st.Message, "stdoutConfig") {
		t.Errorf("an unwritable path: %+v", st)
	}
}

// TestExitCodeFile: the step's exit code is written where the Task reads it
// (Tekton's /tekton/steps/step-<name>/exitCode), onError: continue or not,
// with the index linking to its directory; a skipped step writes none.
func TestExitCodeFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command []string
		cont    bool
		want    string
	}{
		{"continues", []string{"sh", "-c", "exit 7"}, true, "7"},
		{"fails", []string{"sh", "-c", "exit 2"}, false, "2"},
		{"succeeds", []string{"true"}, false, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.opts.Command, f.opts.OnErrorContinue = tc.command, tc.cont
			f.opts.ExitCodeFile = filepath.Join(f.dir, "steps", "step-a", "exitCode")
			f.opts.ExitCodeLink = filepath.Join(f.dir, "steps", "0")
			f.run(t)
			for _, p := range []string{f.opts.ExitCodeFile, filepath.Join(f.opts.ExitCodeLink, "exitCode")} {
				got, err := os.ReadFile(p)
				if err != nil || string(got) != tc.want {
					t.Errorf("%s = %q, %v; want %q", p, got, err, tc.want)
				}
			}
		})
	}
	f := newFixture(t)
	f.opts.Command = []string{"true"}
	f.opts.WaitFile = filepath.Join(f.dir, "run", "0")
	f.opts.ExitCodeFile = filepath.Join(f.dir, "steps", "step-b", "exitCode")
	if err := os.MkdirAll(filepath.Dir(f.opts.WaitFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.opts.WaitFile+contract.FailedSuffix, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	if exists(f.opts.ExitCodeFile) {
		t.Error("a skipped step wrote an exit code")
	}
}
