package podspec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
)

// Tekton's documented paths, kept working for Tasks that name them.
const (
	// TektonResultsDir is an alias of the results directory.
	TektonResultsDir = "/tekton/results"
	// TektonHomeDir is a home directory shared by the steps (an emptyDir).
	TektonHomeDir = "/tekton/home"
	// VolumeTektonHome backs TektonHomeDir.
	VolumeTektonHome = "windlass-tekton-home"
	// TektonScriptsDir is an alias of the steps' script directory.
	TektonScriptsDir = "/tekton/scripts"
)

// tektonAliases mounts, in a step whose script, command, args, working
// directory or env name /tekton/results, /tekton/home or /tekton/scripts,
// the results volume there, a home volume shared by the steps, and the
// steps' script directory: Tekton's paths work unchanged. A step that names neither gets nothing (the pod stays as lean).
// It reports whether the home volume is needed.
func tektonAliases(c *corev1.Container, script string, argv []string) (home bool) {
	text := strings.Join(append(append([]string{script, c.WorkingDir}, argv...), envValues(c.Env)...), "\n")
	if strings.Contains(text, TektonResultsDir) && !mounted(c, TektonResultsDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeResults, MountPath: TektonResultsDir})
	}
	if strings.Contains(text, TektonScriptsDir) && !mounted(c, TektonScriptsDir) {
		sub, _ := filepath.Rel(contract.RunDir, contract.ScriptDir)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeRun, MountPath: TektonScriptsDir, SubPath: sub})
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

// isolatedWorkspaces are the workspaces a step or sidecar lists: each is
// mounted only in those that list it (Tekton's isolated workspaces).
func isolatedWorkspaces(spec *windlassv1.TaskSpec) map[string]bool {
	out := map[string]bool{}
	for _, st := range spec.Steps {
		for _, u := range st.Workspaces {
			out[u.Name] = true
		}
	}
	for _, sc := range spec.Sidecars {
		for _, u := range sc.Workspaces {
			out[u.Name] = true
		}
	}
	return out
}

// workspaceMounts are the workspace mounts (all: one per bound workspace)
// one container gets: every workspace no container isolates, and those its
// uses name, at the use's mountPath when it gives one. field names the
// container's uses in errors.
func workspaceMounts(all []corev1.VolumeMount, spec *windlassv1.TaskSpec, isolated map[string]bool, uses []windlassv1.WorkspaceUsage, field string) ([]corev1.VolumeMount, error) {
	if len(isolated) == 0 {
		return all, nil
	}
	byVolume := map[string]corev1.VolumeMount{}
	for _, m := range all {
		byVolume[m.Name] = m
	}
	var out []corev1.VolumeMount
	for _, w := range spec.Workspaces {
		if m, ok := byVolume[WorkspaceVolume(w.Name)]; ok && !isolated[w.Name] {
			out = append(out, m)
		}
	}
	for j, u := range uses {
		if !slices.ContainsFunc(spec.Workspaces, func(w windlassv1.WorkspaceDeclaration) bool { return w.Name == u.Name }) {
			return nil, fmt.Errorf("%s.workspaces[%d]: the Task declares no workspace %q", field, j, u.Name)
		}
		m, ok := byVolume[WorkspaceVolume(u.Name)]
		if !ok {
			continue // an optional workspace the run leaves unbound
		}
		if u.MountPath != "" {
			m.MountPath = u.MountPath
		}
		out = append(out, m)
	}
	return out, nil
}
