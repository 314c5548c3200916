package contract

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hostileEnv is what a container may define before the entrypoint's
// variables: the kubelet would substitute $(NAME) with these.
var hostileEnv = map[string]string{"CC": "gcc", "HOME": "/root", "WINDLASS_SCRIPT": "injected", "PATH": "/bin"}

// expandLikeKubelet applies the kubelet's documented env expansion: $$ is $,
// $(NAME) is NAME's value when defined, anything else stays.
func expandLikeKubelet(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			if end := strings.IndexByte(s[i:], ')'); end > 0 {
				if v, ok := env[s[i+2:i+end]]; ok {
					b.WriteString(v)
					i += end
					continue
				}
			}
			b.WriteByte('$')
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// roundTrip builds the container's command line and environment for s, lets
// the kubelet expand the environment, and parses both as the entrypoint does.
func roundTrip(t *testing.T, s Step) Step {
	t.Helper()
	args := s.Args()
	if args[len(s.Flags())] != EndOfFlags {
		t.Fatalf("args %q: no %s after the flags", args, EndOfFlags)
	}
	inv, err := ParseArgs(args, io.Discard)
	if err != nil {
		t.Fatalf("ParseArgs(%q): %v", args, err)
	}
	if inv.Version || inv.CopyTo != "" {
		t.Fatalf("a step's args parse as another invocation: %+v", inv)
	}
	env := map[string]string{}
	for _, e := range s.Env() {
		if _, dup := env[e.Name]; dup {
			t.Fatalf("$%s set twice", e.Name)
		}
		env[e.Name] = expandLikeKubelet(e.Value, hostileEnv)
	}
	got := inv.Step
	if err := got.ReadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatalf("ReadEnv: %v", err)
	}
	return got
}

func TestStepRoundTrip(t *testing.T) {
	full := Step{
		Name: "build", WaitFile: "/r/0", PostFile: "/r/1", TerminationPath: "/t/log", TerminationBudget: 2048,
		ScriptDir: "/s", OnErrorContinue: true, Timeout: 90 * time.Minute, ResultsDir: "/res",
		Results: []string{"digest", "url"}, MaxResultBytes: 1 << 20, Dirs: []string{"/a", "/b c"},
		MaskEnv: []string{"TOKEN", "DB_PASSWORD"}, MaskPaths: []string{"/windlass/mask/0", "/tls"},
		StdoutPath: "/windlass/results/log", StderrPath: "/workspace/w/err $(x).txt", ExitCodeFile: "/windlass/run/steps/step-a/exitCode", ExitCodeLink: "/windlass/run/steps/0", UserHomeCredentials: true,
		StepResults: true, ResultsFrom: []string{"digest=/windlass/run/step-results/a/d", "b=/c d"},
		Command: []string{"go", "build", "-v", "./..."}, Script: "#!/bin/sh\necho hi", MessageFile: "/r/1.msg",
		Credentials: []Credential{{Kind: "git", URL: "https://git.example/o/r", Dir: "/windlass/creds/0", Type: "kubernetes.io/basic-auth"}},
		Home:        "/home/me",
	}
	// Every field is given in full (but NoTerminationMessage, the other
	// form of TerminationPath): a field added to Step must be added here.
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; name != "NoTerminationMessage" && v.Field(i).IsZero() {
			t.Fatalf("the full step leaves %s zero: give it a value, so the round trip covers it", name)
		}
	}
	tests := []struct {
		name string
		step Step
		// want is what the entrypoint reads; the zero value means step.Defaults()
		// and that step already has every value given (it round-trips exactly).
		want  Step
		exact bool
	}{
		{name: "every field given", step: full, exact: true},
		{name: "nothing given: the defaults", step: Step{}, want: Step{
			TerminationPath: DefaultTerminationPath, TerminationBudget: DefaultTerminationBudget, ScriptDir: ScriptDir,
			ResultsDir: ResultsDir, MaxResultBytes: DefaultMaxResultBytes,
		}},
		{name: "a step as the pod builder writes it", step: Step{
			Name: "step-compile", PostFile: PostFile(1), WaitFile: PostFile(0), ScriptDir: ScriptDir, ResultsDir: ResultsDir,
			TerminationBudget: 4096, MessageFile: MessageFile(1), Command: []string{"go", "build", "-v"},
		}},
		{name: "a sidecar: no termination message", step: Step{
			Name: "sidecar-db", NoTerminationMessage: true, ScriptDir: SidecarScriptDir, Script: "exec postgres",
			Command: []string{"-c", "fsync=off"},
		}},
		{name: "no termination message wins over a path", step: Step{NoTerminationMessage: true, TerminationPath: "/t"}},
		{name: "the default termination path given", step: Step{TerminationPath: DefaultTerminationPath}},
		{name: "scripts with $ reach the step as written", step: Step{
			Script: "echo $$ $(CC) $$(CC) $(WINDLASS_SCRIPT) $ $$$ ${HOME} $@ $<\ncat <<EOF\n$(HOME)\nEOF\nmktemp /tmp/x.$$",
		}},
		{name: "script of a lone $", step: Step{Script: "$"}},
		{name: "script with spaces, quotes, tabs and unicode", step: Step{
			Script: "  echo 'a  b' \"c\\\"d\"\t\\\n  printf '%s\\n' héllo wörld 日本語 🚀\r\n",
		}},
		{name: "arguments that look like flags stay the step's", step: Step{
			Command: []string{"--", "--step", "x", "-h", "--version", "", " ", "--copy-to=/x"},
		}},
		{name: "empty and unusual values in repeated flags", step: Step{
			Results: []string{"", "a b", "ünï"}, Dirs: []string{""}, MaskEnv: []string{""}, MaskPaths: []string{"/p with space", "/$(CC)"},
		}},
		{name: "values that look like flags", step: Step{
			Name: "-x", PostFile: "--post-file", WaitFile: "-", ScriptDir: "--", ResultsDir: "-h",
			Results: []string{"--result"}, MaskEnv: []string{"--mask-env"},
		}},
		{name: "negative numbers", step: Step{TerminationBudget: -1, MaxResultBytes: -5}},
		{name: "a timeout to the millisecond", step: Step{Timeout: 1500 * time.Microsecond}, want: Step{Timeout: 2 * time.Millisecond}.Defaults()},
		{name: "a timeout under half a millisecond is none", step: Step{Timeout: 400 * time.Microsecond}, want: Step{}.Defaults()},
		{name: "a negative timeout is none", step: Step{Timeout: -time.Second}, want: Step{}.Defaults()},
		{name: "credentials with $ and unicode, $HOME by default", step: Step{Credentials: []Credential{
			{Kind: "docker", URL: "https://r.example/$(CC)/$$", Dir: CredentialDir(0), Type: "kubernetes.io/dockerconfigjson"},
			{Kind: "git", URL: "ssh://gït.example", Dir: CredentialDir(1), Type: "kubernetes.io/ssh-auth"},
		}}},
		{name: "credentials with a $HOME of the step", step: Step{Home: "/root", Credentials: []Credential{{Kind: "git"}}}},
		{name: "empty command slice is no command", step: Step{Command: []string{}}, want: Step{}.Defaults()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if cmp.Equal(want, Step{}) {
				want = tt.step.Defaults()
			}
			if tt.exact && !cmp.Equal(tt.step, want) {
				t.Fatalf("the case gives every value, yet Defaults changes it:\n%s", cmp.Diff(tt.step, want))
			}
			got := roundTrip(t, tt.step)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("built %q %+v, parsed (-want +got):\n%s", tt.step.Args(), tt.step.Env(), diff)
			}
			// What the entrypoint reads is a fixed point: built again, it parses the same.
			if diff := cmp.Diff(got, roundTrip(t, got)); diff != "" {
				t.Fatalf("the parsed step does not round-trip (-first +second):\n%s", diff)
			}
		})
	}
}

// TestStepWireForm pins the spelling and order of the flags and variables:
// the pod spec must stay byte-identical for the same TaskRun (the pod
// builder's goldens check the same through Build).
func TestStepWireForm(t *testing.T) {
	s := Step{
		Name: "step-b", PostFile: PostFile(1), ScriptDir: ScriptDir, ResultsDir: ResultsDir, TerminationBudget: 3072,
		WaitFile: PostFile(0), OnErrorContinue: true, Timeout: 1500 * time.Millisecond, Results: []string{"d"},
		MaxResultBytes: 65536, MaskEnv: []string{"T"}, MaskPaths: []string{"/m"}, StdoutPath: "/o", StderrPath: "/e", ExitCodeFile: "/x/step-a/exitCode", ExitCodeLink: "/x/0", Command: []string{"a", "$(X)"},
		Script: "echo $$", MessageFile: MessageFile(1), Credentials: []Credential{{Kind: "git", URL: "u", Dir: CredentialDir(0), Type: "t"}}, Home: HomeDir,
	}
	wantArgs := []string{
		"--step", "step-b", "--post-file", "/windlass/run/1", "--script-dir", "/windlass/run/scripts",
		"--results-dir", "/windlass/results", "--termination-budget", "3072", "--wait-file", "/windlass/run/0",
		"--on-error-continue", "--timeout", "1.5s", "--result", "d", "--max-result-bytes", "65536",
		"--mask-env", "T", "--mask-path", "/m", "--stdout-path", "/o", "--stderr-path", "/e",
		"--exit-code-file", "/x/step-a/exitCode", "--exit-code-link", "/x/0", "--", "a", "$(X)",
	}
	if diff := cmp.Diff(wantArgs, s.Args()); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	wantEnv := []EnvVar{
		{EnvMessageFile, "/windlass/run/1.msg"}, {EnvScript, "echo $$$$"},
		{EnvCredentials, `[{"kind":"git","url":"u","dir":"/windlass/creds/0","type":"t"}]`}, {"HOME", "/windlass/home"},
	}
	if diff := cmp.Diff(wantEnv, s.Env()); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	sidecar := Step{Name: "sidecar-db", NoTerminationMessage: true, ScriptDir: SidecarScriptDir}
	if diff := cmp.Diff([]string{"--step", "sidecar-db", "--termination-path", "", "--script-dir", "/tmp/windlass-scripts", "--"}, sidecar.Args()); diff != "" {
		t.Errorf("sidecar args (-want +got):\n%s", diff)
	}
	if got := CopyCommand(); !cmp.Equal(got, []string{"/entrypoint", "--copy-to", "/windlass/bin/entrypoint"}) {
		t.Errorf("copy command %q", got)
	}
}

func TestEnvSurvivesExpansion(t *testing.T) {
	for _, script := range []string{
		"echo $$", "mktemp /tmp/x.$$", "$(CC) -o $@ $<", "echo $(HOME) $$(HOME) $$$", "cat <<EOF\n$(CC)\nEOF", "$", "$$$$", "no dollars",
	} {
		env := Step{Script: script}.Env()
		if len(env) != 1 || env[0].Name != EnvScript {
			t.Fatalf("env of a script: %+v", env)
		}
		if got := expandLikeKubelet(env[0].Value, hostileEnv); got != script {
			t.Errorf("%q reaches the container as %q", script, got)
		}
		if strings.Contains(script, "$$") && expandLikeKubelet(script, hostileEnv) == script {
			t.Errorf("the model does not alter %q: the test proves nothing", script)
		}
	}
}

func TestParseArgsInvocations(t *testing.T) {
	inv, err := ParseArgs(CopyCommand()[1:], io.Discard)
	if err != nil || inv.CopyTo != Entrypoint || inv.Version {
		t.Errorf("copy command: %+v %v", inv, err)
	}
	if inv, err := ParseArgs([]string{"--version"}, io.Discard); err != nil || !inv.Version {
		t.Errorf("--version: %+v %v", inv, err)
	}
	for _, args := range [][]string{
		{"--timeout", "soon"}, {"--termination-budget", "a lot"}, {"--max-result-bytes", "1.5"}, {"--unknown"}, {"--step"},
	} {
		var out strings.Builder
		if _, err := ParseArgs(args, &out); err == nil || !strings.Contains(out.String(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%q: error %v, output %q (want an error naming the flag)", args, err, out.String())
		}
	}
}

func TestReadEnvErrors(t *testing.T) {
	var s Step
	err := s.ReadEnv(func(k string) string {
		if k == EnvCredentials {
			return `[{"kind":`
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "$"+EnvCredentials) {
		t.Fatalf("bad credentials: %v (want an error naming $%s)", err, EnvCredentials)
	}
}

func TestPaths(t *testing.T) {
	for got, want := range map[string]string{
		PostFile(0): "/windlass/run/0", PostFile(12): "/windlass/run/12", MessageFile(3): "/windlass/run/3.msg",
		CredentialDir(2): "/windlass/creds/2", MaskSecretDir(1): "/windlass/mask/1", Entrypoint: "/windlass/bin/entrypoint",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// FuzzStepRoundTrip: whatever a Task puts in a step's name, script, command
// or result names, the entrypoint reads back what the pod builder wrote.
func FuzzStepRoundTrip(f *testing.F) {
	f.Add("step-a", "echo $$ $(CC)", "--", "digest", int64(1500))
	f.Add("", "", "", "", int64(0))
	f.Add("-h", "$", "--version", "--result", int64(-1))
	f.Add("sidecar-ü", "#!/bin/sh\n\techo 'ü' \"$(HOME)\"\r\n", "-x=1", "a b", int64(3600000))
	f.Fuzz(func(t *testing.T, name, script, arg, result string, timeoutMs int64) {
		if strings.ContainsRune(name+script+arg+result, 0) {
			t.Skip("no NUL in a command line or an environment")
		}
		s := Step{Name: name, Script: script, Command: []string{arg, script}, Results: []string{result}, MessageFile: script,
			Timeout: time.Duration(timeoutMs%(1<<40)) * time.Millisecond}
		if diff := cmp.Diff(s.Defaults(), roundTrip(t, s)); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}
