package podspec

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/resolve"
)

// Config is the controller's part of every pod.
type Config struct {
	// EntrypointImage holds /entrypoint; it is mounted into every step as an image volume.
	EntrypointImage string
	// InitContainerFallback copies the entrypoint with one init container instead,
	// for runtimes that cannot mount image volumes (containerd < 2.1).
	InitContainerFallback bool
	// MaxResultBytes bounds a run's results in total (default 64 KiB).
	MaxResultBytes int
}

// ImageConfig is what the registry says an image runs when a step gives no command.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
}

// Input is everything one pod is built from.
type Input struct {
	// Run is the TaskRun: its name, namespace, UID, labels, service account,
	// pod template and workspace bindings.
	Run *windlassv1.TaskRun
	// Spec is the Task, resolved and with every reference substituted.
	Spec *windlassv1.TaskSpec
	// TaskName labels the pod; empty for an embedded spec.
	TaskName string
	// Images maps the image of each step without a command (and without a
	// script) to its configuration, looked up by the controller.
	Images map[string]ImageConfig
	// Credentials are the annotated Secrets of the run's service account.
	Credentials []Credential
	// PodSecurity is the Pod Security Standard level the run's namespace
	// enforces (its pod-security.kubernetes.io/enforce label); see ApplyPodSecurity.
	PodSecurity string
}

// Credential is a Secret of the run's service account annotated
// windlass.dev/docker-N or windlass.dev/git-N.
type Credential struct {
	Kind       string // docker or git
	URL        string // the annotation's value
	SecretName string
	SecretType corev1.SecretType
}

// terminationMessagesTotal is what the kubelet shares among a pod's containers.
const terminationMessagesTotal = 12 * 1024

// ErrReservedName is returned for a Task volume that uses the builder's prefix.
var ErrReservedName = errors.New("names starting with windlass- are reserved")

// Build returns the pod for a run. Errors name the field at fault.
func Build(in Input, cfg Config) (*corev1.Pod, error) {
	run, spec := in.Run, in.Spec
	if cfg.EntrypointImage == "" {
		return nil, errors.New("no entrypoint image configured")
	}
	for i, v := range spec.Volumes {
		if strings.HasPrefix(v.Name, "windlass-") {
			return nil, fmt.Errorf("spec.volumes[%d].name %q: %w", i, v.Name, ErrReservedName)
		}
	}
	volumes, wsMounts, err := workspaceVolumes(run, spec)
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        PodName(run.Name),
			Namespace:   run.Namespace,
			Labels:      podLabels(run, in.TaskName),
			Annotations: maps.Clone(run.Annotations),
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: windlassv1.GroupVersion.String(), Kind: "TaskRun", Name: run.Name, UID: run.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:      corev1.RestartPolicyNever,
			ServiceAccountName: run.Spec.ServiceAccountName,
		},
	}
	binVolume := corev1.Volume{Name: VolumeBin, VolumeSource: corev1.VolumeSource{
		Image: &corev1.ImageVolumeSource{Reference: cfg.EntrypointImage, PullPolicy: corev1.PullIfNotPresent},
	}}
	if cfg.InitContainerFallback {
		binVolume.VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{
			Name: "windlass-init", Image: cfg.EntrypointImage,
			Command:      contract.CopyCommand(),
			VolumeMounts: []corev1.VolumeMount{{Name: VolumeBin, MountPath: contract.BinDir}},
		})
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, binVolume,
		corev1.Volume{Name: VolumeRun, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		corev1.Volume{Name: VolumeResults, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	pod.Spec.Volumes = append(pod.Spec.Volumes, volumes...)
	pod.Spec.Volumes = append(pod.Spec.Volumes, spec.Volumes...)
	if err := addTemplateVolumes(&pod.Spec, run.Spec.PodTemplate); err != nil {
		return nil, err
	}
	credVolumes, credMounts, creds := credentials(in.Credentials)
	pod.Spec.Volumes = append(pod.Spec.Volumes, credVolumes...)

	internal := []corev1.VolumeMount{
		{Name: VolumeBin, MountPath: contract.BinDir, ReadOnly: true},
		{Name: VolumeRun, MountPath: contract.RunDir},
		{Name: VolumeResults, MountPath: contract.ResultsDir},
	}
	var podEnv []corev1.EnvVar
	if pt := run.Spec.PodTemplate; pt != nil {
		podEnv = pt.Env
	}

	isolated := isolatedWorkspaces(spec)
	for i, sc := range spec.Sidecars {
		scMounts, err := workspaceMounts(wsMounts, spec, isolated, sc.Workspaces, fmt.Sprintf("spec.sidecars[%d]", i))
		if err != nil {
			return nil, err
		}
		c := corev1.Container{
			Name: SidecarContainer(i, sc.Name), Image: sc.Image, Args: sc.Args,
			Env:        mergeEnv(podEnv, sc.Env),
			EnvFrom:    sc.EnvFrom,
			WorkingDir: sc.WorkingDir, Resources: sc.ComputeResources, SecurityContext: sc.SecurityContext,
			Ports: sc.Ports, ReadinessProbe: sc.ReadinessProbe, StartupProbe: sc.StartupProbe,
			ImagePullPolicy: sc.ImagePullPolicy,
			// A native sidecar: the kubelet starts it before the steps and stops it after them.
			RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			VolumeMounts:  concatMounts(internal[:1], scMounts, sc.VolumeMounts),
		}
		if c.StartupProbe == nil && c.ReadinessProbe != nil {
			// Steps start once the sidecar is ready, not merely running.
			c.StartupProbe = c.ReadinessProbe.DeepCopy()
		}
		if sc.Script != "" {
			// The entrypoint's flags, then the sidecar's own args.
			ep := contract.Step{Name: c.Name, NoTerminationMessage: true, ScriptDir: contract.SidecarScriptDir, Script: sc.Script}
			c.Command = append([]string{contract.Entrypoint}, ep.Args()...)
			c.Env = appendEnv(c.Env, ep.Env())
		} else {
			c.Command = sc.Command
		}
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, c)
	}

	budget := terminationMessagesTotal / (len(spec.Steps) + len(pod.Spec.InitContainers))
	budget = min(budget, 4096)
	maxResults := cfg.MaxResultBytes
	if maxResults <= 0 {
		maxResults = 64 << 10
	}
	masks := &maskVolumes{}
	tektonHome, workspaceDir := false, false
	recordExitCodes := readsExitCodes(spec)
	for i, st := range spec.Steps {
		c, ep, err := stepContainer(i, st, spec, in, podEnv, budget, maxResults)
		if err != nil {
			return nil, err
		}
		if recordExitCodes {
			exitCodes(&c, &ep, i)
		}
		stMounts, err := workspaceMounts(wsMounts, spec, isolated, st.Workspaces, fmt.Sprintf("spec.steps[%d]", i))
		if err != nil {
			return nil, err
		}
		c.VolumeMounts = concatMounts(internal, credMounts, stMounts, c.VolumeMounts)
		home, workspace := tektonAliases(&c, ep.Script, ep.Command)
		tektonHome = tektonHome || home
		workspaceDir = workspaceDir || workspace
		ep.MaskEnv, ep.MaskPaths = masks.apply(&c, pod.Spec.Volumes)
		if len(creds) > 0 {
			ep.Credentials, ep.UserHomeCredentials = creds, true
			if !hasEnv(c.Env, contract.EnvHome) {
				ep.Home = contract.HomeDir
			}
		}
		c.Command, c.Args = []string{contract.Entrypoint}, ep.Args()
		c.Env = appendEnv(c.Env, ep.Env())
		pod.Spec.Containers = append(pod.Spec.Containers, c)
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, masks.volumes...)
	if tektonHome {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: VolumeTektonHome, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	if workspaceDir {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: VolumeWorkspaceDir, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	applyPodTemplate(&pod.Spec, run.Spec.PodTemplate)
	if err := ApplyPodSecurity(pod, in.PodSecurity); err != nil {
		return nil, err
	}
	return pod, nil
}

// StepImage is a step that runs its image's own entrypoint.
type StepImage struct {
	Step  int
	Image string
}

// ImageEntrypointNeeded lists, in step order, the steps that run their image's
// own entrypoint (no script, no command of their own or from the
// stepTemplate): Build needs Input.Images for exactly these images.
func ImageEntrypointNeeded(spec *windlassv1.TaskSpec) []StepImage {
	tpl := spec.StepTemplate
	if tpl == nil {
		tpl = &windlassv1.StepTemplate{}
	}
	var out []StepImage
	for i, st := range spec.Steps {
		if st.Script == "" && len(st.Command) == 0 && len(tpl.Command) == 0 {
			out = append(out, StepImage{Step: i, Image: firstNonEmpty(st.Image, tpl.Image)})
		}
	}
	return out
}

// stepContainer merges the stepTemplate into a step, and returns its
// container and what its entrypoint is told (set as the container's command,
// args and env by Build, with the masks and credentials).
func stepContainer(i int, st windlassv1.Step, spec *windlassv1.TaskSpec, in Input, podEnv []corev1.EnvVar, budget, maxResults int) (corev1.Container, contract.Step, error) {
	tpl := spec.StepTemplate
	if tpl == nil {
		tpl = &windlassv1.StepTemplate{}
	}
	c := corev1.Container{
		Name:            StepContainer(i, st.Name),
		Image:           firstNonEmpty(st.Image, tpl.Image),
		WorkingDir:      firstNonEmpty(st.WorkingDir, tpl.WorkingDir),
		ImagePullPolicy: corev1.PullPolicy(firstNonEmpty(string(st.ImagePullPolicy), string(tpl.ImagePullPolicy))),
		Resources:       st.ComputeResources,
		SecurityContext: st.SecurityContext,
		EnvFrom:         append(append([]corev1.EnvFromSource{}, tpl.EnvFrom...), st.EnvFrom...),
		Env:             mergeEnv(mergeEnv(podEnv, tpl.Env), st.Env),
		VolumeMounts:    append(append([]corev1.VolumeMount{}, tpl.VolumeMounts...), st.VolumeMounts...),
		// Read by the controller: the step's state, written by the entrypoint.
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
	if len(c.Resources.Limits) == 0 && len(c.Resources.Requests) == 0 {
		c.Resources = tpl.ComputeResources
	}
	if c.SecurityContext == nil {
		c.SecurityContext = tpl.SecurityContext
	}
	if len(c.EnvFrom) == 0 {
		c.EnvFrom = nil
	}
	if len(c.VolumeMounts) == 0 {
		c.VolumeMounts = nil
	}
	field := fmt.Sprintf("spec.steps[%d]", i)
	if c.Image == "" {
		return c, contract.Step{}, fmt.Errorf("%s: no image (and no stepTemplate.image)", field)
	}

	ep := contract.Step{
		Name:              c.Name,
		PostFile:          contract.PostFile(i),
		ScriptDir:         contract.ScriptDir,
		ResultsDir:        contract.ResultsDir,
		TerminationBudget: budget,
		// Where the step may say why it failed (read by the entrypoint only then).
		MessageFile: contract.MessageFile(i),
		Script:      st.Script,
	}
	// The step's own command line, run by the entrypoint after "--".
	var argv []string
	switch {
	case st.Script != "":
		argv = firstNonNil(st.Args, tpl.Args)
	case len(st.Command) > 0:
		argv = append(append([]string{}, st.Command...), firstNonNil(st.Args, tpl.Args)...)
	case len(tpl.Command) > 0:
		argv = append(append([]string{}, tpl.Command...), firstNonNil(st.Args, tpl.Args)...)
	default:
		ic, ok := in.Images[c.Image]
		if !ok {
			return c, ep, fmt.Errorf("%s: image %s has no known entrypoint (the controller looks it up in the registry)", field, c.Image)
		}
		// As Tekton: the image's entrypoint, then the step's args or else
		// the image's cmd; an image without an entrypoint runs its cmd
		// with the step's args after it.
		args := firstNonNil(st.Args, tpl.Args)
		switch {
		case len(ic.Entrypoint) == 0:
			argv = append(append([]string{}, ic.Cmd...), args...)
		case args == nil:
			argv = append(append([]string{}, ic.Entrypoint...), ic.Cmd...)
		default:
			argv = append(append([]string{}, ic.Entrypoint...), args...)
		}
		if len(argv) == 0 {
			return c, ep, fmt.Errorf("%s: image %s defines no entrypoint or cmd; give the step a command or a script", field, c.Image)
		}
	}

	ep.Command = argv
	if i > 0 {
		ep.WaitFile = contract.PostFile(i - 1)
	}
	ep.OnErrorContinue = st.OnError == windlassv1.OnErrorContinue
	if st.Timeout != nil && st.Timeout.Duration > 0 {
		ep.Timeout = st.Timeout.Duration
	}
	if st.StdoutConfig != nil {
		ep.StdoutPath = st.StdoutConfig.Path
	}
	if st.StderrConfig != nil {
		ep.StderrPath = st.StderrConfig.Path
	}
	if len(st.Results) > 0 {
		ep.Dirs = append(ep.Dirs, contract.StepResultDir(resolve.StepKey(i, st.Name)))
	}
	// Earlier steps' results are read when the step starts.
	ep.StepResults = len(contract.StepResultRefs(stepText("", "", c.Env, argv))) > 0
	if i == len(spec.Steps)-1 {
		for k, r := range spec.Results {
			ep.Results = append(ep.Results, r.Name)
			if r.Value == nil {
				continue
			}
			ref, err := resolve.ResultFromStep(r)
			if err != nil {
				return c, ep, fmt.Errorf("spec.results[%d].value: %w", k, err)
			}
			ep.ResultsFrom = append(ep.ResultsFrom, r.Name+"="+contract.StepResultPath(ref.Step, ref.Result))
		}
		if len(spec.Results) > 0 {
			ep.MaxResultBytes = maxResults
		}
	}
	return c, ep, nil
}

// workspaceVolumes returns a volume per bound workspace and the mounts every
// step and sidecar gets. Unbound optional workspaces are simply absent.
func workspaceVolumes(run *windlassv1.TaskRun, spec *windlassv1.TaskSpec) ([]corev1.Volume, []corev1.VolumeMount, error) {
	bindings := map[string]windlassv1.WorkspaceBinding{}
	for _, b := range run.Spec.Workspaces {
		bindings[b.Name] = b
	}
	var vols []corev1.Volume
	var mounts []corev1.VolumeMount
	for _, w := range spec.Workspaces {
		b, ok := bindings[w.Name]
		if !ok {
			if w.Optional {
				continue
			}
			return nil, nil, fmt.Errorf("spec.workspaces: workspace %q is required by the Task but not bound by the run", w.Name)
		}
		name := WorkspaceVolume(w.Name)
		var src corev1.VolumeSource
		switch {
		case b.EmptyDir != nil:
			src.EmptyDir = b.EmptyDir
		case b.PersistentVolumeClaim != nil:
			src.PersistentVolumeClaim = b.PersistentVolumeClaim
		case b.VolumeClaimTemplate != nil:
			src.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: BindingClaim(run.Name, b)}
		case b.ConfigMap != nil:
			src.ConfigMap = b.ConfigMap
		case b.Secret != nil:
			src.Secret = b.Secret
		case b.Projected != nil:
			src.Projected = b.Projected
		case b.CSI != nil:
			src.CSI = b.CSI
		default:
			return nil, nil, fmt.Errorf("workspace %q: the binding has no volume source", w.Name)
		}
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: src})
		mounts = append(mounts, corev1.VolumeMount{
			Name: name, MountPath: resolve.WorkspacePath(w), SubPath: b.SubPath,
			ReadOnly: w.ReadOnly || b.ConfigMap != nil || b.Secret != nil || b.Projected != nil || b.CSI != nil && b.CSI.ReadOnly != nil && *b.CSI.ReadOnly,
		})
	}
	for _, b := range run.Spec.Workspaces {
		if !declared(spec.Workspaces, b.Name) {
			return nil, nil, fmt.Errorf("spec.workspaces: workspace %q is bound by the run but not declared by the Task", b.Name)
		}
	}
	return vols, mounts, nil
}

// credentials mounts each credential Secret and describes them to the entrypoint,
// which writes them into $HOME before each step.
func credentials(creds []Credential) ([]corev1.Volume, []corev1.VolumeMount, []contract.Credential) {
	if len(creds) == 0 {
		return nil, nil, nil
	}
	vols := []corev1.Volume{{Name: VolumeCredsHome, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	mounts := []corev1.VolumeMount{{Name: VolumeCredsHome, MountPath: contract.HomeDir}}
	var desc []contract.Credential
	for i, c := range creds {
		name := fmt.Sprintf("%s%d", volumeCredsPrefix, i)
		dir := contract.CredentialDir(i)
		vols = append(vols, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: c.SecretName, DefaultMode: ptr.To[int32](0o444),
		}}})
		mounts = append(mounts, corev1.VolumeMount{Name: name, MountPath: dir, ReadOnly: true})
		desc = append(desc, contract.Credential{Kind: c.Kind, URL: c.URL, Dir: dir, Type: string(c.SecretType), Secret: c.SecretName})
	}
	return vols, mounts, desc
}

// VolumeCredsHome is the home directory the credentials are written to
// (contract.HomeDir), shared by the steps.
const VolumeCredsHome = "windlass-home"

// volumeCredsPrefix names the credential Secrets' volumes: the entrypoint
// knows their secret values from the credentials' description.
const volumeCredsPrefix = "windlass-creds-"

func isCredentialVolume(name string) bool { return strings.HasPrefix(name, volumeCredsPrefix) }

func hasEnv(env []corev1.EnvVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return true
		}
	}
	return false
}

// WorkspaceVolume is the pod volume backing a workspace.
func WorkspaceVolume(name string) string {
	return "ws-" + strings.ToLower(strings.ReplaceAll(name, "_", "-"))
}

func declared(ws []windlassv1.WorkspaceDeclaration, name string) bool {
	for _, w := range ws {
		if w.Name == name {
			return true
		}
	}
	return false
}

func applyPodTemplate(ps *corev1.PodSpec, pt *windlassv1.PodTemplate) {
	if pt == nil {
		return
	}
	ps.NodeSelector = pt.NodeSelector
	ps.Tolerations = pt.Tolerations
	ps.Affinity = pt.Affinity
	ps.SecurityContext = pt.SecurityContext
	ps.ImagePullSecrets = pt.ImagePullSecrets
	ps.RuntimeClassName = pt.RuntimeClassName
	if pt.PriorityClassName != nil {
		ps.PriorityClassName = *pt.PriorityClassName
	}
	ps.HostAliases = pt.HostAliases
}

// addTemplateVolumes adds the pod template's volumes to the pod, after the
// Task's: a name already taken (by a Task volume, a workspace's ws-<name> or
// Windlass's windlass-*) is an error.
func addTemplateVolumes(ps *corev1.PodSpec, pt *windlassv1.PodTemplate) error {
	if pt == nil {
		return nil
	}
	for i, v := range pt.Volumes {
		field := fmt.Sprintf("spec.podTemplate.volumes[%d].name %q", i, v.Name)
		if strings.HasPrefix(v.Name, "windlass-") {
			return fmt.Errorf("%s: %w", field, ErrReservedName)
		}
		if slices.ContainsFunc(ps.Volumes, func(o corev1.Volume) bool { return o.Name == v.Name }) {
			return fmt.Errorf("%s: the pod already has a volume of that name (a Task volume, or a workspace's)", field)
		}
		ps.Volumes = append(ps.Volumes, *v.DeepCopy())
	}
	return nil
}

func podLabels(run *windlassv1.TaskRun, task string) map[string]string {
	l := maps.Clone(run.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelManagedBy] = ManagedBy
	l[LabelTaskRun] = LabelValue(run.Name)
	if task != "" {
		l[LabelTask] = LabelValue(task)
	}
	return l
}

// mergeEnv returns base with over applied: a variable of over replaces the
// one of the same name in base, in place; new ones are appended.
func mergeEnv(base, over []corev1.EnvVar) []corev1.EnvVar {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := append([]corev1.EnvVar{}, base...)
	for _, e := range over {
		replaced := false
		for i := range out {
			if out[i].Name == e.Name {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

// concatMounts joins lists of mounts; a mount at a path an earlier list
// already mounts replaces that one (the user's own mounts, given last, win
// over the workspaces mounted for them, as in Tekton).
func concatMounts(lists ...[]corev1.VolumeMount) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for _, l := range lists {
		for _, m := range l {
			if i := slices.IndexFunc(out, func(o corev1.VolumeMount) bool { return o.MountPath == m.MountPath }); i >= 0 {
				out[i] = m
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstNonNil(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

// appendEnv appends the entrypoint's variables (their values already escaped
// for the kubelet's expansion) to a container's.
func appendEnv(env []corev1.EnvVar, vars []contract.EnvVar) []corev1.EnvVar {
	for _, v := range vars {
		env = append(env, corev1.EnvVar{Name: v.Name, Value: v.Value})
	}
	return env
}
