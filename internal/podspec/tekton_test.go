package podspec

import (
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
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
	if slices.ContainsFunc(plain.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == VolumeTektonHome }) {
		t.Error("a pod that names no Tekton path got the home volume")
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
