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
		prep, err := Prepare(tr, tr.Spec.TaskSpec, "")
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
		_, err := Prepare(tr, spec, "build")
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
	prep, err := Prepare(tr, spec, "build")
	if err != nil {
		t.Fatal(err)
	}
	if got := prep.Final.Steps[0].Args[0]; got != "--file=/src/Dockerfile" {
		t.Errorf("args[0] = %q", got)
	}
}
