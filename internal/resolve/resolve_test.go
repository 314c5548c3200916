package resolve

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func decl() []windlassv1.ParamSpec {
	return []windlassv1.ParamSpec{
		{Name: "revision", Default: windlassv1.NewString("main"), Enum: []string{"main", "dev"}},
		{Name: "url"},
		{Name: "flags", Type: windlassv1.ParamTypeArray, Default: windlassv1.NewArray("-v")},
		{Name: "target", Type: windlassv1.ParamTypeObject,
			Properties: map[string]windlassv1.PropertySpec{"os": {}, "arch": {}},
			Default:    windlassv1.NewObject(map[string]string{"os": "linux", "arch": "amd64"})},
	}
}

func TestParams(t *testing.T) {
	p := func(name string, v *windlassv1.ParamValue) windlassv1.Param {
		return windlassv1.Param{Name: name, Value: *v}
	}
	tests := []struct {
		name  string
		decl  []windlassv1.ParamSpec
		given []windlassv1.Param
		want  map[string]windlassv1.ParamValue
		err   string
	}{
		{
			name:  "defaults fill in, object keys merge",
			decl:  decl(),
			given: []windlassv1.Param{p("url", windlassv1.NewString("https://git")), p("target", windlassv1.NewObject(map[string]string{"arch": "arm64"}))},
			want: map[string]windlassv1.ParamValue{
				"revision": *windlassv1.NewString("main"),
				"url":      *windlassv1.NewString("https://git"),
				"flags":    *windlassv1.NewArray("-v"),
				"target":   *windlassv1.NewObject(map[string]string{"os": "linux", "arch": "arm64"}),
			},
		},
		{name: "required param missing", decl: decl(), err: `params: "url" required by the Task (no default) but not set by the run`},
		{name: "array for a string", decl: decl(), given: []windlassv1.Param{p("url", windlassv1.NewArray("a"))},
			err: `spec.params[0] (url): param "url" is declared as string but the value is an array`},
		{name: "string for an array", decl: decl(), given: []windlassv1.Param{p("url", windlassv1.NewString("u")), p("flags", windlassv1.NewString("-v"))},
			err: `params[1] (flags): param "flags" is declared as array but the value is a string`},
		{name: "value outside the enum", decl: decl(), given: []windlassv1.Param{p("url", windlassv1.NewString("u")), p("revision", windlassv1.NewString("prod"))},
			err: `value "prod" of param "revision" is not one of its enum [main, dev]`},
		{name: "default outside the enum", decl: []windlassv1.ParamSpec{{Name: "r", Default: windlassv1.NewString("x"), Enum: []string{"a"}}},
			err: `the Task's spec.params[0].default: value "x" of param "r" is not one of its enum [a]`},
		{name: "default of the wrong type", decl: []windlassv1.ParamSpec{{Name: "a", Type: windlassv1.ParamTypeArray, Default: windlassv1.NewString("x")}},
			err: `the Task's spec.params[0].default: param "a" is declared as array but the value is a string`},
		{name: "object lacking a declared key", decl: []windlassv1.ParamSpec{{Name: "o", Type: windlassv1.ParamTypeObject, Properties: map[string]windlassv1.PropertySpec{"k": {}, "j": {}}}},
			given: []windlassv1.Param{p("o", windlassv1.NewObject(map[string]string{"x": "1"}))},
			err:   `object param "o" lacks the declared key(s) "j", "k"`},
		{name: "an object default with a subset of the keys: the run gives the rest",
			decl:  []windlassv1.ParamSpec{gitrepo()},
			given: []windlassv1.Param{p("gitrepo", windlassv1.NewObject(map[string]string{"commit": "sha123"}))},
			want:  map[string]windlassv1.ParamValue{"gitrepo": *windlassv1.NewObject(map[string]string{"url": "github.example.com", "commit": "sha123"})}},
		{name: "an object default with a subset of the keys, not set by the run",
			decl: []windlassv1.ParamSpec{gitrepo()},
			err:  `spec.params: param "gitrepo" is not set by the run and its default: object param "gitrepo" lacks the declared key(s) "commit"`},
		{name: "the merged value still lacks a key",
			decl:  []windlassv1.ParamSpec{gitrepo()},
			given: []windlassv1.Param{p("gitrepo", windlassv1.NewObject(map[string]string{"url": "u"}))},
			err:   `spec.params[0] (gitrepo): object param "gitrepo" lacks the declared key(s) "commit"`},
		{name: "properties without a type make an object param (as in Tekton)",
			decl:  []windlassv1.ParamSpec{{Name: "o", Properties: map[string]windlassv1.PropertySpec{"k": {}}}},
			given: []windlassv1.Param{p("o", windlassv1.NewObject(map[string]string{"k": "v"}))},
			want:  map[string]windlassv1.ParamValue{"o": *windlassv1.NewObject(map[string]string{"k": "v"})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BindParams("Task", false, tt.decl, tt.given)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Values); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestUndeclaredParams(t *testing.T) {
	given := []windlassv1.Param{
		{Name: "url", Value: *windlassv1.NewString("u")},
		{Name: "revison", Value: *windlassv1.NewString("x")},
		{Name: "list", Value: *windlassv1.NewArray("a", "b")},
		{Name: "obj", Value: *windlassv1.NewObject(map[string]string{"k": "v"})},
		{Name: "revison", Value: *windlassv1.NewString("second")},
	}
	tests := []struct {
		name         string
		embedded     bool
		wantValues   []string // names bound, sorted
		wantImplicit []windlassv1.ParamSpec
		wantUnused   []string
		wantMessage  string
	}{
		{
			name: "an embedded spec takes them as declared by their value's type", embedded: true,
			wantValues: []string{"flags", "list", "obj", "revision", "revison", "target", "url"},
			wantImplicit: []windlassv1.ParamSpec{
				{Name: "revison", Type: windlassv1.ParamTypeString},
				{Name: "list", Type: windlassv1.ParamTypeArray},
				{Name: "obj", Type: windlassv1.ParamTypeObject},
			},
		},
		{
			name:        "a referenced spec ignores them and says so",
			wantValues:  []string{"flags", "revision", "target", "url"},
			wantUnused:  []string{"revison", "list", "obj"},
			wantMessage: `The Task "clone" declares no param "revison", "list", "obj", so the run's value is ignored (declared: revision, url, flags, target).`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BindParams("Task", tt.embedded, decl(), given)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for n := range got.Values {
				names = append(names, n)
			}
			slices.Sort(names)
			if diff := cmp.Diff(tt.wantValues, names); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantImplicit, got.Implicit); diff != "" {
				t.Errorf("implicit (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUnused, got.Unused); diff != "" {
				t.Errorf("unused (-want +got):\n%s", diff)
			}
			if tt.embedded && got.Values["revison"].StringVal != "x" {
				t.Errorf("revison = %q, want the first value given", got.Values["revison"].StringVal)
			}
			if msg := UnusedMessage("Task", "clone", decl(), got.Unused); msg != tt.wantMessage {
				t.Errorf("message = %q, want %q", msg, tt.wantMessage)
			}
		})
	}
}

func TestTaskSubstitution(t *testing.T) {
	spec := &windlassv1.TaskSpec{
		Params:     decl(),
		Results:    []windlassv1.TaskResult{{Name: "digest"}},
		Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "src"}, {Name: "cache", MountPath: "/cache", Optional: true}, {Name: "docker", Optional: true}},
		Steps: []windlassv1.Step{{
			Name:    "build",
			Image:   "golang:$(params.revision)",
			Command: []string{"go", "build", "$(params.flags[*])"},
			Args:    []string{"-o", "$(workspaces.src.path)/bin/$(params.target.os)"},
			Script:  "",
			Env: []corev1.EnvVar{
				{Name: "RUN", Value: "$(context.taskRun.namespace)/$(context.taskRun.name) $(context.taskRun.uid) $(context.task.name) $(context.task.retry-count)"},
				{Name: "CACHE", Value: "$(workspaces.cache.bound):$(workspaces.cache.path):$(workspaces.cache.claim)"},
				{Name: "DOCKER", Value: "$(workspaces.docker.bound):$(workspaces.docker.path)"},
			},
			WorkingDir:   "$(workspaces.src.path)",
			VolumeMounts: []corev1.VolumeMount{{Name: "v", MountPath: "/data/$(params.url)"}},
		}, {
			Image:  "busybox",
			Script: "#!/bin/sh\necho $(date) > $(results.digest.path)\nls $(credentials.path)/.ssh",
		}},
		Sidecars: []windlassv1.Sidecar{{Name: "s", Image: "registry:$(params.target.arch)",
			VolumeMounts: []corev1.VolumeMount{{Name: "$(workspaces.src.volume)", MountPath: "$(workspaces.src.path)"}}}},
		Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-$(params.url)"}}}}},
	}
	bound, err := BindParams("Task", false, spec.Params, []windlassv1.Param{{Name: "url", Value: *windlassv1.NewString("repo")}})
	if err != nil {
		t.Fatal(err)
	}
	v := Values(spec, bound.Values, Context{TaskRunName: "tr", TaskRunNamespace: "ns", TaskRunUID: "u-1", TaskName: "build", RetryCount: 2},
		map[string]Workspace{"src": {Volume: "ws-src"}, "cache": {Claim: "pvc-1", Volume: "ws-cache"}})
	got, err := Task(spec, v)
	if err != nil {
		t.Fatal(err)
	}
	s := got.Steps[0]
	checks := map[string][2]string{
		"image":         {s.Image, "golang:main"},
		"command":       {strings.Join(s.Command, " "), "go build -v"},
		"args":          {strings.Join(s.Args, " "), "-o /workspace/src/bin/linux"},
		"env RUN":       {s.Env[0].Value, "ns/tr u-1 build 2"},
		"env CACHE":     {s.Env[1].Value, "true:/cache:pvc-1"},
		"env DOCKER":    {s.Env[2].Value, "false:"},
		"workingDir":    {s.WorkingDir, "/workspace/src"},
		"mountPath":     {s.VolumeMounts[0].MountPath, "/data/repo"},
		"script":        {got.Steps[1].Script, "#!/bin/sh\necho $(date) > /windlass/results/digest\nls /windlass/home/.ssh"},
		"sidecar":       {got.Sidecars[0].Image, "registry:amd64"},
		"sidecar mount": {got.Sidecars[0].VolumeMounts[0].Name + " " + got.Sidecars[0].VolumeMounts[0].MountPath, "ws-src /workspace/src"},
		"volume":        {got.Volumes[0].ConfigMap.Name, "cm-repo"},
	}
	for what, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", what, c[0], c[1])
		}
	}
	if spec.Steps[0].Image != "golang:$(params.revision)" {
		t.Errorf("Task modified its input")
	}

	spec.Steps[1].Args = []string{"$(params.nope)"}
	if _, err := Task(spec, v); err == nil || err.Error() != "spec.steps[1].args[0]: $(params.nope): no such value" {
		t.Fatalf("unknown reference: got %v", err)
	}
}

func TestRetryCount(t *testing.T) {
	for labels, want := range map[string]int{"": 0, "0": 0, "3": 3, "x": 0, "-1": 0} {
		l := map[string]string{}
		if labels != "" {
			l[windlassv1.LabelAttempt] = labels
		}
		if got := RetryCount(l); got != want {
			t.Errorf("RetryCount(%q) = %d, want %d", labels, got, want)
		}
	}
	if got := RetryCount(nil); got != 0 {
		t.Errorf("RetryCount(nil) = %d", got)
	}
}

func TestOnErrorFromAParam(t *testing.T) {
	spec := func(onError windlassv1.OnErrorType) *windlassv1.TaskSpec {
		return &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Image: "busybox", Script: "exit 1", OnError: onError}, {Image: "busybox"}}}
	}
	tests := []struct {
		name    string
		onError windlassv1.OnErrorType
		mode    string
		want    windlassv1.OnErrorType
		err     string
	}{
		{name: "unset stays unset", onError: "", want: ""},
		{name: "a policy as written", onError: windlassv1.OnErrorContinue, want: windlassv1.OnErrorContinue},
		{name: "a param naming continue", onError: "$(params.mode)", mode: "continue", want: windlassv1.OnErrorContinue},
		{name: "a param naming stopAndFail", onError: "$(inputs.params.mode)", mode: "stopAndFail", want: windlassv1.OnErrorStopAndFail},
		{name: "a param naming no policy", onError: "$(params.mode)", mode: "ignore",
			err: `spec.steps[0].onError: "ignore" (from $(params.mode)) is not an onError policy: want continue or stopAndFail`},
		{name: "an unknown param", onError: "$(params.nope)", err: `spec.steps[0].onError: $(params.nope): no such value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(tt.onError)
			v := Values(s, map[string]windlassv1.ParamValue{"mode": *windlassv1.NewString(tt.mode)}, Context{}, nil)
			got, err := Task(s, v)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, want the error %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Steps[0].OnError != tt.want || got.Steps[1].OnError != "" {
				t.Errorf("onError = %q, %q; want %q, \"\"", got.Steps[0].OnError, got.Steps[1].OnError, tt.want)
			}
			if s.Steps[0].OnError != tt.onError {
				t.Errorf("Task modified its input")
			}
		})
	}
}

// gitrepo is an object param whose default gives only one of its keys.
func gitrepo() windlassv1.ParamSpec {
	return windlassv1.ParamSpec{Name: "gitrepo", Type: windlassv1.ParamTypeObject,
		Properties: map[string]windlassv1.PropertySpec{"url": {}, "commit": {}},
		Default:    windlassv1.NewObject(map[string]string{"url": "github.example.com"})}
}
