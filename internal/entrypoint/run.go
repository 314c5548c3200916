// Package entrypoint is the step shim that wraps every step container's
// command: it waits for the previous step, runs the step (a command or a
// script), enforces its timeout, records how it ended for the controller, and
// hands over to the next step. cmd/entrypoint is its thin main; what it is
// told and what it records is internal/contract.
package entrypoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/windlass-dev/windlass/internal/contract"
)

// Run runs the step and returns the exit code the container should exit with.
// Errors of the shim itself (not of the step) are returned and recorded.
func Run(ctx context.Context, o contract.Step, stdout, stderr io.Writer) (int, error) {
	for _, d := range o.Dirs {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return 1, fmt.Errorf("creating %s: %w", d, err)
		}
		_ = os.Chmod(d, 0o777) // shared by steps running as different users
	}
	st := contract.State{}
	success := true
	waitedFrom := int64(0)
	if o.WaitFile != "" {
		waitedFrom = time.Now().UnixMilli()
		failed, err := waitForFile(ctx, o.WaitFile)
		if err != nil {
			return 1, fmt.Errorf("waiting for %s: %w", o.WaitFile, err)
		}
		if failed {
			st.Reason, success = contract.ReasonSkipped, false
		}
	}
	if st.Reason == "" && len(o.Credentials) > 0 {
		if err := WriteCredentials(o.Home, o.Home == contract.HomeDir, o.Credentials); err != nil {
			st = contract.State{Reason: contract.ReasonStartError, ExitCode: 1, Message: "writing credentials: " + err.Error()}
			fmt.Fprintln(stderr, "windlass:", st.Message)
			success = false
		}
		// As Tekton: also in the home /etc/passwd gives the step's user, where
		// ssh looks whatever $HOME says; best-effort (it may not exist).
		if o.UserHomeCredentials {
			if home := UserHome("/etc/passwd", os.Getuid()); home != "" && home != "/" && home != o.Home && isDir(home) {
				_ = WriteCredentials(home, false, o.Credentials)
			}
		}
	}
	var secrets []string
	if st.Reason == "" {
		secrets = SecretValues(o.MaskEnv, o.MaskPaths, o.Credentials)
		if masks := NewMasks(secrets); masks != nil {
			mout, merr := masks.Writer(stdout), masks.Writer(stderr)
			st = runStep(ctx, o, true, mout, merr)
			// What was held back to see whether a secret follows. Results
			// framed into the log below are written unmasked: they are data.
			_, _ = mout.Flush(), merr.Flush()
		} else {
			// The step's output goes straight to the container's (no pipes).
			st = runStep(ctx, o, false, stdout, stderr)
		}
		st.WaitedFrom = waitedFrom
		success = st.Reason == contract.ReasonCompleted || o.OnErrorContinue && st.Reason == contract.ReasonError
	}
	if o.ExitCodeFile != "" && (st.Reason == contract.ReasonCompleted || st.Reason == contract.ReasonError) {
		if err := writeExitCode(o.ExitCodeFile, o.ExitCodeLink, st.ExitCode); err != nil {
			fmt.Fprintln(stderr, "windlass: recording the exit code:", err)
		}
	}
	if st.Reason == contract.ReasonError && o.MessageFile != "" {
		// Before the results, which go to the log if the two do not fit.
		st.Message = failureMessage(o.MessageFile, secrets, st, o.TerminationBudget)
	}
	if len(o.ResultsFrom) > 0 && success {
		if err := resultsFrom(o.ResultsDir, o.ResultsFrom); err != nil {
			st.Reason, st.Message, success = contract.ReasonStartError, err.Error(), false
		}
	}
	if len(o.Results) > 0 {
		if err := collectResults(o, &st, stdout); err != nil {
			st.Reason, st.Message, success = contract.ReasonResultsTooLarge, err.Error(), false
		}
	}
	if err := finish(o, st, success); err != nil {
		return 1, err
	}
	switch {
	case success || st.Reason == contract.ReasonSkipped:
		return 0, nil
	case st.ExitCode > 0:
		return st.ExitCode, nil
	default:
		return 1, nil
	}
}

// runStep runs the command (or script) and reports how it ended.
func runStep(ctx context.Context, o contract.Step, masked bool, stdout, stderr io.Writer) (st contract.State) {
	st.StartedAt = time.Now().UnixMilli()
	defer func() { st.FinishedAt = time.Now().UnixMilli() }()
	var env []string // nil: the entrypoint's own
	if o.StepResults {
		var err error
		if o.Command, env, err = StepResults(o.Command, os.Environ(), contract.StepResultsDir); err != nil {
			st.Reason, st.Message, st.ExitCode = contract.ReasonStartError, "step results: "+err.Error(), 1
			fmt.Fprintln(stderr, "windlass:", st.Message)
			return st
		}
	}
	argv, err := stepArgv(o)
	if err != nil {
		st.Reason, st.Message, st.ExitCode = contract.ReasonStartError, err.Error(), 1
		fmt.Fprintln(stderr, "windlass:", err)
		return st
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	// stdoutConfig/stderrConfig: a copy of each stream, as written, in a file.
	copies, err := openCopies(o.StdoutPath, o.StderrPath)
	if err != nil {
		st.Reason, st.Message, st.ExitCode = contract.ReasonStartError, err.Error(), 1
		fmt.Fprintln(stderr, "windlass:", err)
		return st
	}
	defer copies.close()
	if copies.out != nil {
		stdout = io.MultiWriter(stdout, copies.out)
	}
	if copies.err != nil {
		stderr = io.MultiWriter(stderr, copies.err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin, cmd.Env = stdout, stderr, os.Stdin, env
	if masked || copies.out != nil || copies.err != nil {
		// The output goes through pipes to the masks or the copies: a
		// background process that keeps them open must not hold the step
		// past its end.
		cmd.WaitDelay = 2 * time.Second
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		st.Reason, st.Message, st.ExitCode = contract.ReasonStartError, fmt.Sprintf("starting %s: %v", argv[0], err), 127
		fmt.Fprintln(stderr, "windlass:", st.Message)
		return st
	}
	// Signals to the shim go to the step's whole process group.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timedOut := false
	for {
		select {
		case sig := <-sigs:
			_ = syscall.Kill(-cmd.Process.Pid, sig.(syscall.Signal))
			continue
		case <-ctx.Done():
			timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				err = <-done
			}
		case err = <-done:
		}
		break
	}
	st.ExitCode = cmd.ProcessState.ExitCode()
	if st.ExitCode < 0 { // killed by a signal: report it as a shell would, 128+N
		st.ExitCode = 128 + int(signalOf(cmd.ProcessState))
	}
	switch {
	case timedOut:
		st.Reason, st.Message = contract.ReasonTimeoutExceeded, fmt.Sprintf("step %s exceeded its timeout of %s", o.Name, o.Timeout)
		if st.ExitCode == 0 {
			st.ExitCode = 1
		}
		fmt.Fprintln(stderr, "windlass:", st.Message)
	case err == nil:
		st.Reason = contract.ReasonCompleted
	default:
		st.Reason = contract.ReasonError
	}
	return st
}

func signalOf(ps *os.ProcessState) syscall.Signal {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

// stepArgv is the command to exec: the script file with Command as its arguments, or Command.
func stepArgv(o contract.Step) ([]string, error) {
	if o.Script == "" {
		if len(o.Command) == 0 {
			return nil, errors.New("the step has neither a command nor a script")
		}
		return o.Command, nil
	}
	script := o.Script
	if !strings.HasPrefix(script, "#!") {
		script = "#!/bin/sh\nset -e\n" + script
	}
	name := o.Name
	if name == "" {
		name = "step"
	}
	path := filepath.Join(o.ScriptDir, name)
	if err := os.MkdirAll(o.ScriptDir, 0o777); err != nil {
		return nil, fmt.Errorf("creating the script directory: %w", err)
	}
	_ = os.Chmod(o.ScriptDir, 0o777) // shared by steps running as different users
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return nil, fmt.Errorf("writing the script: %w", err)
	}
	return append([]string{path}, o.Command...), nil
}

// collectResults reads the declared result files. Results that fit the
// termination budget go there; larger ones are framed into the log. Over
// MaxResultBytes in total is an error: results are never truncated.
func collectResults(o contract.Step, st *contract.State, stdout io.Writer) error {
	res := map[string]string{}
	total := 0
	names := append([]string(nil), o.Results...)
	sort.Strings(names)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(o.ResultsDir, n))
		if errors.Is(err, os.ErrNotExist) {
			continue // an unwritten result is simply absent
		}
		if err != nil {
			return fmt.Errorf("reading result %s: %w", n, err)
		}
		total += len(data)
		if o.MaxResultBytes > 0 && total > o.MaxResultBytes {
			return fmt.Errorf("results exceed %d bytes (result %q brings them to %d or more); write large data to a workspace instead", o.MaxResultBytes, n, total)
		}
		res[n] = string(data)
	}
	if len(res) == 0 {
		return nil
	}
	st.Results = res
	if b, _ := st.Encode(); o.TerminationBudget <= 0 || len(b) <= o.TerminationBudget {
		return nil
	}
	st.Results = nil
	frame, err := contract.EncodeResultsFrame(res)
	if err != nil {
		return err
	}
	// The frame is the container's last log line; the controller reads the tail.
	if _, err := fmt.Fprintf(stdout, "\n%s\n", frame); err != nil {
		return fmt.Errorf("writing the results frame: %w", err)
	}
	st.ResultsInLog = true
	return nil
}

// finish records the state and hands over to the next step.
func finish(o contract.Step, st contract.State, success bool) error {
	if o.TerminationPath != "" {
		b, err := st.Encode()
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.TerminationPath, b, 0o644); err != nil {
			return fmt.Errorf("writing the termination message: %w", err)
		}
	}
	if o.PostFile == "" {
		return nil
	}
	path := o.PostFile
	if !success {
		path += contract.FailedSuffix
	}
	return writeFileAtomic(path, []byte(st.Reason), 0o666)
}

func isDir(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }

// writeExitCode writes code to file and links link to the file's directory
// (a relative link, kept if it exists).
func writeExitCode(file, link string, code int) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(file, []byte(fmt.Sprint(code)), 0o644); err != nil {
		return err
	}
	if link == "" {
		return nil
	}
	rel, err := filepath.Rel(filepath.Dir(link), dir)
	if err != nil {
		return err
	}
	if err := os.Symlink(rel, link); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}

// outputCopies are the files a step's output streams are copied to.
type outputCopies struct{ out, err *os.File }

// openCopies creates (truncates) the files of stdoutConfig and
// stderrConfig, and their directories; one path for both gets one file.
func openCopies(outPath, errPath string) (outputCopies, error) {
	var c outputCopies
	open := func(path string) (*os.File, error) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("stdoutConfig/stderrConfig: %w", err)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("stdoutConfig/stderrConfig: %w", err)
		}
		return f, nil
	}
	var err error
	if outPath != "" {
		if c.out, err = open(outPath); err != nil {
			return c, err
		}
	}
	switch errPath {
	case "":
	case outPath:
		c.err = c.out
	default:
		if c.err, err = open(errPath); err != nil {
			c.close()
			return outputCopies{}, err
		}
	}
	return c, nil
}

func (c outputCopies) close() {
	if c.out != nil {
		_ = c.out.Close()
	}
	if c.err != nil && c.err != c.out {
		_ = c.err.Close()
	}
}
