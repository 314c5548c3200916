package podspec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
)

// TestTektonPathAliases: a step naming /tekton/results or /tekton/home gets
// them (the results volume; one home volume shared by the steps); a step
// that names neither gets nothing, nor does the pod.
func TestTektonPathAliases(t *testing.T) {
	in := Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{
		{Name: "script", Image: "a", Script: "date > /tekton/results/now\ncp x /tekton/home/.config"},
		{Name: "args", Image: "a", Command: []string{"sh", "-c"}, Args: []string{"cat /tekton/results/now"}},
		{Name: "env", Image: "a", Command: []string{"x"}, Env: []corev1.EnvVar{{Name: "HOME", Value: "/tekton/home"}}},
		{Name: "plain", Image: "a", Command: []string{"x"}},
		{Name: "own", Image: "a", Script: "ls /tekton/results", VolumeMounts: []corev1.VolumeMount{{Name: "mine", MountPath: "/tekton/results"}}},
	}, Volumes: []corev1.Volume{{Name: "mine", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}
	pod, err := Build(in, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{ // step: volume at /tekton/results, at /tekton/home
		"step-script": {VolumeResults, VolumeTektonHome}, "step-args": {VolumeResults, ""}, "step-env": {"", VolumeTektonHome},
		"step-plain": {"", ""}, "step-own": {"mine", ""},
	}
	for _, c := range pod.Spec.Containers {
		got := [2]string{}
		for _, m := range c.VolumeMounts {
			switch m.MountPath {
			case TektonResultsDir:
				got[0] = m.Name
			case TektonHomeDir:
				got[1] = m.Name
			}
		}
		if got != want[c.Name] {
			t.Errorf("%s: mounts at /tekton/results and /tekton/home %q, want %q", c.Name, got, want[c.Name])
		}
	}
	homes := 0
	for _, v := range pod.Spec.Volumes {
		if v.Name == VolumeTektonHome {
			homes++
		}
	}
	if homes != 1 {
		t.Errorf("%d home volumes, want one shared", homes)
	}
	plain, err := Build(Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Image: "a", Command: []string{"x"}}}}}, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(plain.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == VolumeTektonHome || v.Name == VolumeWorkspaceDir }) {
		t.Error("a pod that names no Tekton path got the home or /workspace volume")
	}
}

// TestWorkspaceDir: /workspace, Tekton's directory every step has, is one
// emptyDir shared by the steps that name it; a step that mounts a volume of
// its own there keeps it (Tekton lets the user's mount win).
func TestWorkspaceDir(t *testing.T) {
	in := Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{
		{Name: "write", Image: "a", Script: "echo x > /workspace/stuff"},
		{Name: "cd", Image: "a", WorkingDir: "/workspace", Command: []string{"ls"}},
		{Name: "plain", Image: "a", Command: []string{"x"}},
		{Name: "override", Image: "a", Script: "test ! -f /workspace/stuff", VolumeMounts: []corev1.VolumeMount{{Name: "empty", MountPath: "/workspace"}}},
	}, Volumes: []corev1.Volume{{Name: "empty", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}
	pod, err := Build(in, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"step-write": VolumeWorkspaceDir, "step-cd": VolumeWorkspaceDir, "step-plain": "", "step-override": "empty"}
	for _, c := range pod.Spec.Containers {
		got := ""
		for _, m := range c.VolumeMounts {
			if m.MountPath == WorkspaceDir {
				got += m.Name
			}
		}
		if got != want[c.Name] {
			t.Errorf("%s: mount at /workspace %q, want %q", c.Name, got, want[c.Name])
		}
	}
	n := 0
	for _, v := range pod.Spec.Volumes {
		if v.Name == VolumeWorkspaceDir {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d /workspace volumes, want one shared", n)
	}
}

// TestIsolatedWorkspaces: a workspace a step or sidecar lists is mounted
// only there (at the use's mountPath if given); the others everywhere; a
// use of an undeclared workspace is the spec's error.
func TestIsolatedWorkspaces(t *testing.T) {
	run := taskRun(nil)
	run.Spec.Workspaces = []windlassv1.WorkspaceBinding{
		{Name: "src", EmptyDir: &corev1.EmptyDirVolumeSource{}}, {Name: "creds", Secret: &corev1.SecretVolumeSource{SecretName: "s"}},
	}
	spec := &windlassv1.TaskSpec{
		Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "src"}, {Name: "creds"}, {Name: "cache", Optional: true}},
		Steps: []windlassv1.Step{
			{Name: "fetch", Image: "a", Command: []string{"x"}, Workspaces: []windlassv1.WorkspaceUsage{{Name: "creds", MountPath: "/keys"}, {Name: "cache"}}},
			{Name: "build", Image: "a", Command: []string{"x"}},
		},
		Sidecars: []windlassv1.Sidecar{{Name: "db", Image: "d", Workspaces: []windlassv1.WorkspaceUsage{{Name: "creds"}}}},
	}
	pod, err := Build(Input{Run: run, Spec: spec}, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	paths := func(c corev1.Container) map[string]string {
		out := map[string]string{}
		for _, m := range c.VolumeMounts {
			if m.Name == WorkspaceVolume("src") || m.Name == WorkspaceVolume("creds") || m.Name == WorkspaceVolume("cache") {
				out[m.Name] = m.MountPath
			}
		}
		return out
	}
	want := map[string]map[string]string{
		"step-fetch": {WorkspaceVolume("src"): "/workspace/src", WorkspaceVolume("creds"): "/keys"},
		"step-build": {WorkspaceVolume("src"): "/workspace/src"},
		"sidecar-db": {WorkspaceVolume("src"): "/workspace/src", WorkspaceVolume("creds"): "/workspace/creds"},
	}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if w, ok := want[c.Name]; ok {
			if got := paths(c); !maps.Equal(got, w) {
				t.Errorf("%s: workspace mounts %v, want %v", c.Name, got, w)
			}
			delete(want, c.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("containers not found: %v", want)
	}
	spec.Steps[1].Workspaces = []windlassv1.WorkspaceUsage{{Name: "nope"}}
	if _, err := Build(Input{Run: run, Spec: spec}, Config{EntrypointImage: epImage}); err == nil || err.Error() != `spec.steps[1].workspaces[0]: the Task declares no workspace "nope"` {
		t.Errorf("an undeclared workspace: %v", err)
	}
}

// TestOwnMountWins: a sidecar that mounts a workspace's volume itself at the
// workspace's path (as Tekton's sidecars must) gets that one mount there.
func TestOwnMountWins(t *testing.T) {
	run := taskRun(nil)
	run.Spec.Workspaces = []windlassv1.WorkspaceBinding{{Name: "signals", EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	spec := &windlassv1.TaskSpec{
		Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "signals"}},
		Steps:      []windlassv1.Step{{Image: "a", Command: []string{"x"}}},
	}
	pod, err := Build(Input{Run: run, Spec: spec}, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	vol := ""
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		if m.MountPath == "/workspace/signals" {
			vol = m.Name
		}
	}
	spec.Sidecars = []windlassv1.Sidecar{{Name: "s", Image: "a", Command: []string{"y"},
		VolumeMounts: []corev1.VolumeMount{{Name: vol, MountPath: "/workspace/signals", ReadOnly: true}}}}
	if pod, err = Build(Input{Run: run, Spec: spec}, Config{EntrypointImage: epImage}); err != nil {
		t.Fatal(err)
	}
	var at []corev1.VolumeMount
	for _, m := range pod.Spec.InitContainers[0].VolumeMounts {
		if m.MountPath == "/workspace/signals" {
			at = append(at, m)
		}
	}
	if len(at) != 1 || !at[0].ReadOnly || at[0].Name != vol {
		t.Errorf("sidecar mounts at /workspace/signals: %+v, want its own one (volume %q, read-only)", at, vol)
	}
}

// TestExitCodes: when a step reads exit codes ($(steps.<name>.exitCode.path)
// or /tekton/steps), every step records its own, and the readers see them
// read-only at /tekton/steps; a Task that reads none records none.
func TestExitCodes(t *testing.T) {
	spec := &windlassv1.TaskSpec{Steps: []windlassv1.Step{
		{Name: "exit-with-1", Image: "a", Script: "exit 1", OnError: windlassv1.OnErrorContinue},
		{Name: "check", Image: "a", Script: "cat $(steps.step-exit-with-1.exitCode.path) $(steps.exit-with-1.exitCode.path)\nls /tekton/steps/0/"},
	}}
	pod, err := Build(Input{Run: taskRun(nil), Spec: spec}, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range pod.Spec.Containers {
		args := strings.Join(c.Args, " ")
		want := fmt.Sprintf("--exit-code-file /windlass/run/steps/%s/exitCode --exit-code-link /windlass/run/steps/%d", c.Name, i)
		if !strings.Contains(args, want) {
			t.Errorf("%s: args %q lack %q", c.Name, args, want)
		}
		ro := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.MountPath == TektonStepsDir && m.ReadOnly && m.SubPath == "steps" && m.Name == VolumeRun
		})
		if ro != (i == 1) {
			t.Errorf("%s: read-only /tekton/steps mounted: %v", c.Name, ro)
		}
	}
	script := ""
	for _, e := range pod.Spec.Containers[1].Env {
		if e.Name == contract.EnvScript {
			script = e.Value
		}
	}
	if want := "cat /tekton/steps/step-exit-with-1/exitCode /tekton/steps/step-exit-with-1/exitCode\n"; !strings.HasPrefix(script, want) {
		t.Errorf("script %q, want it to begin %q", script, want)
	}
	if spec.Steps[1].Script != "cat $(steps.step-exit-with-1.exitCode.path) $(steps.exit-with-1.exitCode.path)\nls /tekton/steps/0/" {
		t.Error("Build modified its input")
	}
	plain, err := Build(Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Image: "a", Script: "exit 1"}}}}, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(plain.Spec.Containers[0].Args, " "), "exit-code") {
		t.Error("a Task that reads no exit code records them")
	}
}

// TestTektonScriptsAlias: a step naming /tekton/scripts sees the steps'
// script directory there (Tekton's stepaction-passing-results lists it).
func TestTektonScriptsAlias(t *testing.T) {
	in := Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{
		{Name: "lists", Image: "a", Script: "cat /tekton/scripts/*"},
		{Name: "plain", Image: "a", Script: "true"},
	}}}
	pod, err := Build(in, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	want := corev1.VolumeMount{Name: VolumeRun, MountPath: TektonScriptsDir, SubPath: "scripts"}
	if !slices.ContainsFunc(pod.Spec.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == want.Name && m.MountPath == want.MountPath && m.SubPath == want.SubPath
	}) {
		t.Errorf("step-lists mounts %+v, want %+v", pod.Spec.Containers[0].VolumeMounts, want)
	}
	if slices.ContainsFunc(pod.Spec.Containers[1].VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == TektonScriptsDir }) {
		t.Errorf("step-plain gets %s", TektonScriptsDir)
	}
}
