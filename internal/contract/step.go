package contract

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Environment variables the pod builder sets for the entrypoint.
const (
	// EnvScript carries the step's script; the entrypoint removes it from
	// the step's environment.
	EnvScript = "WINDLASS_SCRIPT"
	// EnvCredentials carries the credentials to write into $HOME (JSON of
	// []Credential); the entrypoint removes it from the step's environment.
	EnvCredentials = "WINDLASS_CREDENTIALS"
	// EnvMessageFile names the file a step may write one line to, saying why
	// it failed. It stays set: the step (or a tool built on tasks/toolkit)
	// writes the file; the entrypoint reads it only when the step's process
	// exits non-zero, and the controller quotes the line in the TaskRun's
	// failure message.
	EnvMessageFile = "WINDLASS_MESSAGE_FILE"
	// EnvHome is where the entrypoint writes the credentials.
	EnvHome = "HOME"
)

// Defaults the entrypoint applies to what a Step leaves out.
const (
	DefaultTerminationBudget = 4096
	DefaultMaxResultBytes    = 64 << 10
)

// Credential is one Secret the controller found on the run's service account,
// annotated for a registry (Kind "docker") or a git host (Kind "git"), and
// mounted read-only at Dir (CredentialDir).
type Credential struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
	Dir  string `json:"dir"`
	// Type is the Secret's type: kubernetes.io/dockerconfigjson, kubernetes.io/basic-auth or kubernetes.io/ssh-auth.
	Type string `json:"type"`
	// Secret is the Secret's name: an ssh key is written as ~/.ssh/id_<Secret>, as Tekton names it.
	Secret string `json:"secret,omitempty"`
}

// Step is what the entrypoint of one container is told: flags (Args), the
// command after them, and environment variables (Env). A field left zero is
// left out of the pod; ParseArgs and ReadEnv give it back with the
// entrypoint's default (see Defaults).
type Step struct {
	// Name is the step's name, for messages and the script's file name (--step).
	Name string
	// WaitFile is the previous step's post file; empty for the first step (--wait-file).
	WaitFile string
	// PostFile is written when this step is done: PostFile on success,
	// PostFile+FailedSuffix on failure or skip, so the next step runs or skips (--post-file).
	PostFile string
	// TerminationPath receives the State (--termination-path; default DefaultTerminationPath).
	TerminationPath string
	// NoTerminationMessage: the container records no State (--termination-path ""):
	// sidecars, so as not to take the steps' share of termination messages.
	// TerminationPath is then empty.
	NoTerminationMessage bool
	// TerminationBudget is how many bytes of termination message this
	// container may use (--termination-budget; default DefaultTerminationBudget).
	TerminationBudget int
	// ScriptDir is where the Script is written (--script-dir; default ScriptDir).
	ScriptDir string
	// OnErrorContinue lets the Task go on past a failure of this step (--on-error-continue).
	OnErrorContinue bool
	// Timeout bounds the step's run, to the millisecond; 0: none (--timeout).
	Timeout time.Duration
	// ResultsDir holds the result files (--results-dir; default ResultsDir).
	ResultsDir string
	// Results names the results to collect, on the last step only (--result, repeated).
	Results []string
	// MaxResultBytes bounds the results in total; more fails the step
	// (--max-result-bytes; default DefaultMaxResultBytes).
	MaxResultBytes int
	// Dirs are created before the step runs (--mkdir, repeated).
	Dirs []string
	// MaskEnv names the variables and MaskPaths the files and directories
	// that hold Secret values given to the step: their values, and those of
	// the Credentials, are replaced by *** in the step's output and message
	// (--mask-env, --mask-path, repeated).
	MaskEnv   []string
	MaskPaths []string
	// StdoutPath and StderrPath receive a copy of the step's output streams,
	// unmasked (Tekton's stdoutConfig/stderrConfig; --stdout-path, --stderr-path).
	StdoutPath string
	StderrPath string
	// ExitCodeFile receives the step's exit code once its process ended, and
	// ExitCodeLink is made a symlink to that file's directory (Tekton's
	// /tekton/steps/step-<name>/exitCode and /tekton/steps/<index>;
	// --exit-code-file, --exit-code-link).
	ExitCodeFile string
	ExitCodeLink string
	// StepResults: replace the $(steps.<s>.results.<r>) references in the
	// command and the environment with what the earlier steps wrote to
	// StepResultPath (--step-results).
	StepResults bool
	// ResultsFrom sets Task results from step results, each "NAME=FILE": the
	// result NAME, when the step has not written it, is FILE's content
	// (--result-from, repeated; on the last step only).
	ResultsFrom []string
	// Command is the step's command and arguments, after "--"; with a
	// Script, the script's arguments.
	Command []string

	// Script, when set, is written to ScriptDir and run with Command as its
	// arguments ($WINDLASS_SCRIPT).
	Script string
	// MessageFile is where the step may write one line saying why it failed
	// ($WINDLASS_MESSAGE_FILE). It is read only when the step's process exits
	// non-zero (onError: continue too: the line is then in the step's state,
	// though the TaskRun does not fail), masked and cut to the budget.
	MessageFile string
	// Credentials are written into Home before the step runs ($WINDLASS_CREDENTIALS).
	Credentials []Credential
	// Home receives the Credentials ($HOME; default HomeDir when there are Credentials).
	Home string
	// UserHomeCredentials: the Credentials are also written to the home
	// directory /etc/passwd gives the step's user, where ssh looks whatever
	// $HOME says, as Tekton does (--credentials-in-user-home).
	UserHomeCredentials bool
}

// The entrypoint's flags.
const (
	flagPrefix            = "--"
	flagStep              = "step"
	flagWaitFile          = "wait-file"
	flagPostFile          = "post-file"
	flagTerminationPath   = "termination-path"
	flagTerminationBudget = "termination-budget"
	flagScriptDir         = "script-dir"
	flagOnErrorContinue   = "on-error-continue"
	flagTimeout           = "timeout"
	flagResultsDir        = "results-dir"
	flagResult            = "result"
	flagMaxResultBytes    = "max-result-bytes"
	flagMkdir             = "mkdir"
	flagMaskEnv           = "mask-env"
	flagMaskPath          = "mask-path"
	flagStdoutPath        = "stdout-path"
	flagStderrPath        = "stderr-path"
	flagExitCodeFile      = "exit-code-file"
	flagExitCodeLink      = "exit-code-link"
	flagUserHomeCreds     = "credentials-in-user-home"
	flagStepResults       = "step-results"
	flagResultFrom        = "result-from"
	flagVersion           = "version"
	flagCopyTo            = "copy-to"
	// EndOfFlags separates the flags from the step's command.
	EndOfFlags = "--"
)

// Flags returns the entrypoint's flags for the step, without the command:
// a sidecar's container gives them (and EndOfFlags) as its command, and its
// own args after them.
func (s Step) Flags() []string {
	var out []string
	add := func(name, value string) { out = append(out, flagPrefix+name, value) }
	if s.Name != "" {
		add(flagStep, s.Name)
	}
	if s.PostFile != "" {
		add(flagPostFile, s.PostFile)
	}
	if s.NoTerminationMessage {
		add(flagTerminationPath, "")
	} else if s.TerminationPath != "" {
		add(flagTerminationPath, s.TerminationPath)
	}
	if s.ScriptDir != "" {
		add(flagScriptDir, s.ScriptDir)
	}
	if s.ResultsDir != "" {
		add(flagResultsDir, s.ResultsDir)
	}
	if s.TerminationBudget != 0 {
		add(flagTerminationBudget, strconv.Itoa(s.TerminationBudget))
	}
	if s.WaitFile != "" {
		add(flagWaitFile, s.WaitFile)
	}
	if s.OnErrorContinue {
		out = append(out, flagPrefix+flagOnErrorContinue)
	}
	if s.Timeout > 0 {
		add(flagTimeout, s.Timeout.Round(time.Millisecond).String())
	}
	for _, r := range s.Results {
		add(flagResult, r)
	}
	if s.MaxResultBytes != 0 {
		add(flagMaxResultBytes, strconv.Itoa(s.MaxResultBytes))
	}
	for _, d := range s.Dirs {
		add(flagMkdir, d)
	}
	for _, e := range s.MaskEnv {
		add(flagMaskEnv, e)
	}
	for _, p := range s.MaskPaths {
		add(flagMaskPath, p)
	}
	if s.StdoutPath != "" {
		add(flagStdoutPath, s.StdoutPath)
	}
	if s.StderrPath != "" {
		add(flagStderrPath, s.StderrPath)
	}
	if s.ExitCodeFile != "" {
		add(flagExitCodeFile, s.ExitCodeFile)
	}
	if s.ExitCodeLink != "" {
		add(flagExitCodeLink, s.ExitCodeLink)
	}
	if s.UserHomeCredentials {
		out = append(out, flagPrefix+flagUserHomeCreds)
	}
	if s.StepResults {
		out = append(out, flagPrefix+flagStepResults)
	}
	for _, r := range s.ResultsFrom {
		add(flagResultFrom, r)
	}
	return out
}

// Args returns the entrypoint's command line for the step: its flags,
// EndOfFlags, and the step's command.
func (s Step) Args() []string {
	flags := s.Flags()
	out := make([]string, 0, len(flags)+1+len(s.Command))
	out = append(append(out, flags...), EndOfFlags)
	return append(out, s.Command...)
}

// EnvVar is one environment variable of the step's container, its Value
// escaped for the kubelet: see Env.
type EnvVar struct{ Name, Value string }

// Env returns the variables the step's container must have, in this order:
// $WINDLASS_MESSAGE_FILE, $WINDLASS_SCRIPT, $WINDLASS_CREDENTIALS and $HOME,
// each only when set.
//
// The kubelet expands $(NAME) in env values with the container's earlier
// variables and turns $$ into $: a script's `echo $$` or Makefile-style
// `$(CC)` would be altered. Each $ is doubled, so the expansion gives back
// exactly the text of the Step.
func (s Step) Env() []EnvVar {
	var out []EnvVar
	add := func(name, value string) {
		out = append(out, EnvVar{Name: name, Value: strings.ReplaceAll(value, "$", "$$")})
	}
	if s.MessageFile != "" {
		add(EnvMessageFile, s.MessageFile)
	}
	if s.Script != "" {
		add(EnvScript, s.Script)
	}
	if len(s.Credentials) > 0 {
		b, _ := json.Marshal(s.Credentials) // strings only: cannot fail
		add(EnvCredentials, string(b))
	}
	if s.Home != "" {
		add(EnvHome, s.Home)
	}
	return out
}

// Invocation is a parsed command line of the entrypoint.
type Invocation struct {
	// Version asks for the entrypoint's version (--version).
	Version bool
	// CopyTo asks the entrypoint to copy itself there and exit (--copy-to; CopyCommand).
	CopyTo string
	// Step is the step to run, with the defaults of what the flags leave out.
	Step Step
}

// ParseArgs reads the entrypoint's command line: flags, then the step's
// command after EndOfFlags. Errors and -h's usage go to output.
func ParseArgs(args []string, output io.Writer) (Invocation, error) {
	var inv Invocation
	s := &inv.Step
	fs := flag.NewFlagSet("entrypoint", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&s.Name, flagStep, "", "the step's name")
	fs.StringVar(&s.WaitFile, flagWaitFile, "", "run after this file (skip after FILE"+FailedSuffix+") appears")
	fs.StringVar(&s.PostFile, flagPostFile, "", "write this file (FILE"+FailedSuffix+" on failure) when done")
	fs.StringVar(&s.TerminationPath, flagTerminationPath, DefaultTerminationPath, "where the step's state goes (empty: nowhere)")
	fs.IntVar(&s.TerminationBudget, flagTerminationBudget, DefaultTerminationBudget, "bytes of termination message this container may use")
	fs.StringVar(&s.ScriptDir, flagScriptDir, ScriptDir, "where the script is written")
	fs.BoolVar(&s.OnErrorContinue, flagOnErrorContinue, false, "let the Task go on past a failure of this step")
	fs.DurationVar(&s.Timeout, flagTimeout, 0, "the step's timeout (0: none)")
	fs.StringVar(&s.ResultsDir, flagResultsDir, ResultsDir, "directory of result files")
	fs.Var((*listFlag)(&s.Results), flagResult, "name of a result to collect (last step); repeatable")
	fs.IntVar(&s.MaxResultBytes, flagMaxResultBytes, DefaultMaxResultBytes, "results larger than this in total fail the step")
	fs.Var((*listFlag)(&s.Dirs), flagMkdir, "directory to create before running; repeatable")
	fs.Var((*listFlag)(&s.MaskEnv), flagMaskEnv, "environment variable holding a Secret value, masked in the output; repeatable")
	fs.Var((*listFlag)(&s.MaskPaths), flagMaskPath, "file or directory of Secret values, masked in the output; repeatable")
	fs.StringVar(&s.StdoutPath, flagStdoutPath, "", "copy the step's standard output to this file too")
	fs.StringVar(&s.StderrPath, flagStderrPath, "", "copy the step's standard error to this file too")
	fs.StringVar(&s.ExitCodeFile, flagExitCodeFile, "", "write the step's exit code to this file")
	fs.StringVar(&s.ExitCodeLink, flagExitCodeLink, "", "make this a symlink to the exit code file's directory")
	fs.BoolVar(&s.UserHomeCredentials, flagUserHomeCreds, false, "also write the credentials to the user's home in /etc/passwd")
	fs.BoolVar(&s.StepResults, flagStepResults, false, "replace $(steps.S.results.R) in the command and environment with the earlier steps' results")
	fs.Var((*listFlag)(&s.ResultsFrom), flagResultFrom, "NAME=FILE: the result NAME, unless written, is FILE's content; repeatable")
	fs.BoolVar(&inv.Version, flagVersion, false, "print the version and exit")
	fs.StringVar(&inv.CopyTo, flagCopyTo, "", "copy this binary to PATH and exit (the init-container fallback)")
	if err := fs.Parse(args); err != nil {
		return Invocation{}, err
	}
	s.NoTerminationMessage = s.TerminationPath == ""
	if rest := fs.Args(); len(rest) > 0 {
		s.Command = rest
	}
	return inv, nil
}

// ReadEnv fills the step's Script, MessageFile, Credentials and Home from
// the environment (getenv is os.Getenv in the entrypoint).
func (s *Step) ReadEnv(getenv func(string) string) error {
	s.Script = getenv(EnvScript)
	s.MessageFile = getenv(EnvMessageFile)
	if creds := getenv(EnvCredentials); creds != "" {
		if err := json.Unmarshal([]byte(creds), &s.Credentials); err != nil {
			return fmt.Errorf("$%s: %w", EnvCredentials, err)
		}
	}
	s.Home = getenv(EnvHome)
	if s.Home == "" && len(s.Credentials) > 0 {
		s.Home = HomeDir
	}
	return nil
}

// Defaults returns s with the entrypoint's defaults where it leaves a value
// out: what ParseArgs and ReadEnv give back for Args and Env of s.
func (s Step) Defaults() Step {
	switch {
	case s.NoTerminationMessage:
		s.TerminationPath = ""
	case s.TerminationPath == "":
		s.TerminationPath = DefaultTerminationPath
	}
	s.NoTerminationMessage = s.TerminationPath == ""
	if s.TerminationBudget == 0 {
		s.TerminationBudget = DefaultTerminationBudget
	}
	if s.ScriptDir == "" {
		s.ScriptDir = ScriptDir
	}
	if s.ResultsDir == "" {
		s.ResultsDir = ResultsDir
	}
	if s.MaxResultBytes == 0 {
		s.MaxResultBytes = DefaultMaxResultBytes
	}
	s.Timeout = max(s.Timeout, 0).Round(time.Millisecond)
	if s.Home == "" && len(s.Credentials) > 0 {
		s.Home = HomeDir
	}
	return s
}

// listFlag is a repeatable flag.
type listFlag []string

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
