package podspec

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
	// TektonStepsDir holds the steps' exit codes, read-only:
	// step-<name>/exitCode, and <index> linking to step-<name>.
	TektonStepsDir = "/tekton/steps"
	// WorkspaceDir is the directory Tekton gives every step, shared (an emptyDir).
	WorkspaceDir = "/workspace"
	// VolumeWorkspaceDir backs WorkspaceDir.
	VolumeWorkspaceDir = "windlass-workspace-dir"
	// TektonScriptsDir is an alias of the steps' script directory.
	TektonScriptsDir = "/tekton/scripts"
)

// tektonAliases mounts, in a step whose script, command, args, working
// directory or env name /tekton/results, /tekton/home, /tekton/scripts,
// /tekton/steps or /workspace, the results volume there, a home or
// workspace directory shared by the steps, the steps' script directory, or
// their exit codes (read-only): Tekton's paths work unchanged. A step that
// names none of them gets nothing (the pod stays as lean), and one that
// mounts a volume of its own at such a path keeps it. It reports which
// shared directories are needed.
func tektonAliases(c *corev1.Container, script string, argv []string) (home, workspace bool) {
	text := stepText(script, c.WorkingDir, c.Env, argv)
	if strings.Contains(text, TektonResultsDir) && !mounted(c, TektonResultsDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeResults, MountPath: TektonResultsDir})
	}
	if strings.Contains(text, TektonScriptsDir) && !mounted(c, TektonScriptsDir) {
		sub, _ := filepath.Rel(contract.RunDir, contract.ScriptDir)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeRun, MountPath: TektonScriptsDir, SubPath: sub})
	}
	if strings.Contains(text, TektonHomeDir) && !mounted(c, TektonHomeDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeTektonHome, MountPath: TektonHomeDir})
		home = true
	}
	if strings.Contains(text, TektonStepsDir) && !mounted(c, TektonStepsDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeRun, MountPath: TektonStepsDir,
			SubPath: strings.TrimPrefix(contract.ExitCodesDir, contract.RunDir+"/"), ReadOnly: true})
	}
	if strings.Contains(text, WorkspaceDir) && !mounted(c, WorkspaceDir) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: VolumeWorkspaceDir, MountPath: WorkspaceDir})
		workspace = true
	}
	return home, workspace
}

// exitCodeRef is Tekton's $(steps.<name>.exitCode.path) (the name with or
// without the step- of its container).
var exitCodeRef = regexp.MustCompile(`\$\(steps\.(?:step-)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.exitCode\.path\)`)

// readsExitCodes reports whether a step of spec reads exit codes: it names
// /tekton/steps or $(steps.<name>.exitCode.path). Then every step records
// its exit code there.
func readsExitCodes(spec *windlassv1.TaskSpec) bool {
	for _, st := range spec.Steps {
		text := stepText(st.Script, st.WorkingDir, st.Env, st.Command, st.Args)
		if strings.Contains(text, TektonStepsDir) || exitCodeRef.MatchString(text) {
			return true
		}
	}
	return false
}

// exitCodes makes step i record its exit code for the others, and resolves
// the exit code references in its script, command and env to the files.
func exitCodes(c *corev1.Container, ep *contract.Step, i int) {
	ep.ExitCodeFile = contract.ExitCodesDir + "/" + c.Name + "/exitCode"
	ep.ExitCodeLink = contract.ExitCodesDir + "/" + strconv.Itoa(i)
	resolve := func(s string) string { return exitCodeRef.ReplaceAllString(s, TektonStepsDir+"/step-$1/exitCode") }
	ep.Script = resolve(ep.Script)
	ep.Command = slices.Clone(ep.Command) // it may be the spec's own args
	for j := range ep.Command {
		ep.Command[j] = resolve(ep.Command[j])
	}
	c.Env = slices.Clone(c.Env)
	for j := range c.Env {
		c.Env[j].Value = resolve(c.Env[j].Value)
	}
}

// stepText is what a step names paths in: its script, working directory,
// env values and command line, one per line.
func stepText(script, workingDir string, env []corev1.EnvVar, argv ...[]string) string {
	parts := []string{script, workingDir}
	for _, e := range env {
		parts = append(parts, e.Value)
	}
	for _, a := range argv {
		parts = append(parts, a...)
	}
	return strings.Join(parts, "\n")
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
