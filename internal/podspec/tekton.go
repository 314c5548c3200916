package podspec

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Tekton's documented paths, kept working for Tasks that name them.
const (
	// TektonResultsDir is an alias of the results directory.
	TektonResultsDir = "/tekton/results"
	// TektonHomeDir is a home directory shared by the steps (an emptyDir).
	TektonHomeDir = "/tekton/home"
	// VolumeTektonHome backs TektonHomeDir.
	VolumeTektonHome = "windlass-tekton-home"
)

// tektonAliases mounts, in a step whose script, command, args, working
// directory or env name /tekton/results or /tekton/home, the results
// volume there and a home volume shared by the steps: Tekton's paths work
// unchanged. A step that names neither gets nothing (the pod stays as lean).
// It reports whether the home volume is needed.
func tektonAliases(c *corev1.Container, script string, argv []string) (home bool) {
	text := strings.Join(append(append([]string{script, c.WorkingDir}, argv...), envValues(c.Env)...), "\n")
	if strings.Contains(text, TektonResultsDir) && !mounted(c, TektonResultsDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeResults, MountPath: TektonResultsDir})
	}
	if strings.Contains(text, TektonHomeDir) && !mounted(c, TektonHomeDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeTektonHome, MountPath: TektonHomeDir})
		return true
	}
	return false
}

func envValues(env []corev1.EnvVar) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		out = append(out, e.Value)
	}
	return out
}

func mounted(c *corev1.Container, path string) bool {
	return slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == path })
}
