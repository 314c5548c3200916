package podspec

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// TestPropagatedWorkspaces: a workspace the run binds and an embedded spec
// uses without declaring it is declared, substituted and mounted; a
// referenced Task's workspaces are its own to declare (as in Tekton).
func TestPropagatedWorkspaces(t *testing.T) {
	spec := &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Name: "s", Image: "a", Command: []string{"echo"},
		Args: []string{"$(workspaces.tr-workspace.path)"}}}}
	bindings := []windlassv1.WorkspaceBinding{{Name: "tr-workspace", EmptyDir: &corev1.EmptyDirVolumeSource{}}}

	t.Run("embedded", func(t *testing.T) {
		tr := taskRun(func(tr *windlassv1.TaskRun) {
			tr.Spec.TaskRef, tr.Spec.TaskSpec, tr.Spec.Workspaces = nil, spec.DeepCopy(), bindings
		})
		prep, err := Prepare(tr, tr.Spec.TaskSpec, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := prep.Final.Steps[0].Args; len(got) != 1 || got[0] != "/workspace/tr-workspace" {
			t.Errorf("args = %q, want the workspace's path", got)
		}
		if len(tr.Spec.TaskSpec.Workspaces) != 0 {
			t.Error("Prepare changed the run's own spec")
		}
		pod, err := Build(Input{Run: tr, Spec: prep.Final}, Config{EntrypointImage: epImage})
		if err != nil {
			t.Fatal(err)
		}
		mounted := false
		for _, m := range pod.Spec.Containers[0].VolumeMounts {
			mounted = mounted || m.Name == WorkspaceVolume("tr-workspace") && m.MountPath == "/workspace/tr-workspace"
		}
		if !mounted {
			t.Errorf("the step does not mount the propagated workspace: %+v", pod.Spec.Containers[0].VolumeMounts)
		}
	})
	t.Run("referenced", func(t *testing.T) {
		tr := taskRun(func(tr *windlassv1.TaskRun) { tr.Spec.Workspaces = bindings })
		_, err := Prepare(tr, spec, "build", nil)
		if err == nil || !strings.Contains(err.Error(), "$(workspaces.tr-workspace.path)") {
			t.Fatalf("err = %v, want the reference to the undeclared workspace named", err)
		}
	})
}

// TestWorkspacePathInAParam: a param whose value is $(workspaces.source.path)/…
// (as a pipeline passes it) reaches the step as the Task's workspace path.
func TestWorkspacePathInAParam(t *testing.T) {
	spec := &windlassv1.TaskSpec{
		Params:     []windlassv1.ParamSpec{{Name: "DOCKERFILE"}},
		Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "source", MountPath: "/src"}},
		Steps:      []windlassv1.Step{{Image: "a", Command: []string{"build"}, Args: []string{"--file=$(params.DOCKERFILE)"}}},
	}
	tr := taskRun(func(tr *windlassv1.TaskRun) {
		tr.Spec.Params = []windlassv1.Param{{Name: "DOCKERFILE", Value: *windlassv1.NewString("$(workspaces.source.path)/Dockerfile")}}
		tr.Spec.Workspaces = []windlassv1.WorkspaceBinding{{Name: "source", EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	})
	prep, err := Prepare(tr, spec, "build", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := prep.Final.Steps[0].Args[0]; got != "--file=/src/Dockerfile" {
		t.Errorf("args[0] = %q", got)
	}
}

// TestTemplateVolumes: the pod template's volumes join the pod and steps
// mount them by name; a name the pod already has, or a reserved one, is an
// error naming the field.
func TestTemplateVolumes(t *testing.T) {
	spec := &windlassv1.TaskSpec{
		Volumes:    []corev1.Volume{{Name: "own", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "src"}},
		Steps: []windlassv1.Step{{Image: "a", Command: []string{"x"},
			VolumeMounts: []corev1.VolumeMount{{Name: "custom", MountPath: "/im/a/custom/mount/path"}}}},
	}
	build := func(vols ...corev1.Volume) (*corev1.Pod, error) {
		tr := taskRun(func(tr *windlassv1.TaskRun) {
			tr.Spec.Workspaces = []windlassv1.WorkspaceBinding{{Name: "src", EmptyDir: &corev1.EmptyDirVolumeSource{}}}
			tr.Spec.PodTemplate = &windlassv1.PodTemplate{Volumes: vols}
		})
		return Build(Input{Run: tr, Spec: spec}, Config{EntrypointImage: epImage})
	}
	emptyDir := func(name string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
	}
	pod, err := build(emptyDir("custom"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range pod.Spec.Volumes {
		found = found || v.Name == "custom" && v.EmptyDir != nil
	}
	if !found {
		t.Errorf("no volume custom in %+v", pod.Spec.Volumes)
	}
	mounted := false
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		mounted = mounted || m.Name == "custom" && m.MountPath == "/im/a/custom/mount/path"
	}
	if !mounted {
		t.Errorf("the step does not mount custom: %+v", pod.Spec.Containers[0].VolumeMounts)
	}
	for name, want := range map[string]string{
		"own":                  `spec.podTemplate.volumes[0].name "own": the pod already has a volume of that name`,
		WorkspaceVolume("src"): `spec.podTemplate.volumes[0].name "ws-src": the pod already has a volume`,
		"windlass-x":           `spec.podTemplate.volumes[0].name "windlass-x": names starting with windlass- are reserved`,
	} {
		if _, err := build(emptyDir(name)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("volume %s: err = %v, want %q", name, err, want)
		}
	}
}
