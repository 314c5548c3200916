package podspec

import (
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
