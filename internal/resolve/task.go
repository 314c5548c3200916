package resolve

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// Context is what a run knows about itself, for $(context.*).
type Context struct {
	TaskRunName, TaskRunNamespace, TaskRunUID string
	// TaskName is the referenced Task's name, or the run's name for an embedded spec.
	TaskName string
	// RetryCount is which retry of its pipeline task the run is (0: the
	// first attempt, or a TaskRun no PipelineRun made); see RetryCount.
	RetryCount int
}

// RetryCount reads a TaskRun's attempt from its labels
// (windlassv1.LabelAttempt); 0 when it has none or not a number.
func RetryCount(labels map[string]string) int {
	n, err := strconv.Atoi(labels[windlassv1.LabelAttempt])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// Workspace is what a bound workspace resolves to.
type Workspace struct {
	// Claim is the PersistentVolumeClaim's name, empty for other volume kinds.
	Claim string
	// Volume is the pod volume backing it.
	Volume string
}

// WorkspacePath is where a declared workspace is mounted in every step.
func WorkspacePath(w windlassv1.WorkspaceDeclaration) string {
	if w.MountPath != "" {
		return w.MountPath
	}
	return path.Join("/workspace", w.Name)
}

// Values builds what every $(...) in a Task resolves to for one run.
func Values(spec *windlassv1.TaskSpec, params map[string]windlassv1.ParamValue, ctx Context, bound map[string]Workspace) substitute.Values {
	v := substitute.Values{
		Roots:   []string{"params", "results", "workspaces", "context", "credentials"},
		Strings: map[string]string{},
		Arrays:  map[string][]string{},
		Objects: map[string]map[string]string{},
	}
	for name, p := range params {
		AddValue(v, "params."+name, p)
	}
	for _, r := range spec.Results {
		v.Strings["results."+r.Name+".path"] = path.Join(contract.ResultsDir, r.Name)
	}
	maps.Copy(v.Strings, workspaceValues(spec, bound))
	// Where the run's credentials are written (Tekton's $(credentials.path)).
	v.Strings["credentials.path"] = contract.HomeDir
	v.Strings["context.taskRun.name"] = ctx.TaskRunName
	v.Strings["context.taskRun.namespace"] = ctx.TaskRunNamespace
	v.Strings["context.taskRun.uid"] = ctx.TaskRunUID
	v.Strings["context.task.name"] = ctx.TaskName
	v.Strings["context.task.retry-count"] = strconv.Itoa(ctx.RetryCount)
	return v
}

// workspaceValues are what $(workspaces.<w>.path|bound|claim|volume)
// resolve to for the spec's workspaces.
func workspaceValues(spec *windlassv1.TaskSpec, bound map[string]Workspace) map[string]string {
	out := map[string]string{}
	for _, w := range spec.Workspaces {
		key := "workspaces." + w.Name
		b, ok := bound[w.Name]
		out[key+".bound"] = fmt.Sprint(ok)
		out[key+".path"], out[key+".claim"], out[key+".volume"] = "", "", ""
		if ok {
			out[key+".path"] = WorkspacePath(w)
			out[key+".claim"] = b.Claim
			out[key+".volume"] = b.Volume
		}
	}
	return out
}

// ExpandWorkspaces resolves the $(workspaces...) references in the params'
// values, in place: as in Tekton, a pipeline passes
// $(workspaces.<w>.path) in a task's param to the TaskRun, where it names
// the Task's workspace <w>. Other references are left as they are.
func ExpandWorkspaces(params map[string]windlassv1.ParamValue, spec *windlassv1.TaskSpec, bound map[string]Workspace) error {
	v := substitute.Values{Roots: []string{"workspaces"}, Strings: workspaceValues(spec, bound)}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		p := params[name]
		field := fmt.Sprintf("spec.params (%s)", name)
		var err error
		switch p.Type {
		case windlassv1.ParamTypeArray:
			p.ArrayVal = slices.Clone(p.ArrayVal)
			for i := range p.ArrayVal {
				if p.ArrayVal[i], err = v.String(fmt.Sprintf("%s[%d]", field, i), p.ArrayVal[i]); err != nil {
					return err
				}
			}
		case windlassv1.ParamTypeObject:
			p.ObjectVal = maps.Clone(p.ObjectVal)
			for k := range p.ObjectVal {
				if p.ObjectVal[k], err = v.String(field+"."+k, p.ObjectVal[k]); err != nil {
					return err
				}
			}
		default:
			if p.StringVal, err = v.String(field, p.StringVal); err != nil {
				return err
			}
		}
		params[name] = p
	}
	return nil
}

// AddValue makes a param or result value answer for the reference key.
func AddValue(v substitute.Values, key string, p windlassv1.ParamValue) {
	switch p.Type {
	case windlassv1.ParamTypeArray:
		v.Arrays[key] = p.ArrayVal
	case windlassv1.ParamTypeObject:
		v.Objects[key] = p.ObjectVal
	default:
		v.Strings[key] = p.StringVal
	}
}

// Task returns a copy of spec with every reference in its steps, stepTemplate,
// sidecars and volumes substituted. The first unresolvable reference is
// returned as a *substitute.Error naming its field.
func Task(spec *windlassv1.TaskSpec, v substitute.Values) (*windlassv1.TaskSpec, error) {
	out := spec.DeepCopy()
	s := &subst{v: v}
	for i := range out.Steps {
		st := &out.Steps[i]
		s.v = stepValues(v, i, st)
		s.container(fmt.Sprintf("spec.steps[%d]", i), containerFields{&st.Image, &st.Command, &st.Args, &st.Script,
			&st.WorkingDir, st.Env, st.EnvFrom, st.VolumeMounts})
		s.onError(fmt.Sprintf("spec.steps[%d].onError", i), &st.OnError)
		if st.StdoutConfig != nil {
			s.str(fmt.Sprintf("spec.steps[%d].stdoutConfig.path", i), &st.StdoutConfig.Path)
		}
		if st.StderrConfig != nil {
			s.str(fmt.Sprintf("spec.steps[%d].stderrConfig.path", i), &st.StderrConfig.Path)
		}
	}
	s.v = v
	if t := out.StepTemplate; t != nil {
		s.container("spec.stepTemplate", containerFields{&t.Image, &t.Command, &t.Args, nil,
			&t.WorkingDir, t.Env, t.EnvFrom, t.VolumeMounts})
	}
	for i := range out.Sidecars {
		sc := &out.Sidecars[i]
		s.container(fmt.Sprintf("spec.sidecars[%d]", i), containerFields{&sc.Image, &sc.Command, &sc.Args, &sc.Script,
			&sc.WorkingDir, sc.Env, sc.EnvFrom, sc.VolumeMounts})
	}
	for i := range out.Volumes {
		vol := &out.Volumes[i]
		f := fmt.Sprintf("spec.volumes[%d]", i)
		switch {
		case vol.ConfigMap != nil:
			s.str(f+".configMap.name", &vol.ConfigMap.Name)
		case vol.Secret != nil:
			s.str(f+".secret.secretName", &vol.Secret.SecretName)
		case vol.PersistentVolumeClaim != nil:
			s.str(f+".persistentVolumeClaim.claimName", &vol.PersistentVolumeClaim.ClaimName)
		case vol.HostPath != nil:
			s.str(f+".hostPath.path", &vol.HostPath.Path)
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return out, nil
}

// stepValues adds what $(step.results.<r>.path) of step i resolves to (of
// a step that declares results: the other $(step...) are Tekton's
// artifacts, left as they are, and CheckStepResults refuses
// $(step.results...) in a step without results).
func stepValues(v substitute.Values, i int, st *windlassv1.Step) substitute.Values {
	if len(st.Results) == 0 {
		return v
	}
	v.Roots = append(slices.Clone(v.Roots), "step")
	strs := make(map[string]string, len(v.Strings)+len(st.Results))
	for k, s := range v.Strings {
		strs[k] = s
	}
	for _, r := range st.Results {
		strs["step.results."+r.Name+".path"] = contract.StepResultPath(StepKey(i, st.Name), r.Name)
	}
	v.Strings = strs
	return v
}

// containerFields are the substitutable fields steps, the stepTemplate and
// sidecars share (script is nil for the stepTemplate).
type containerFields struct {
	image           *string
	command, args   *[]string
	script, workDir *string
	env             []corev1.EnvVar
	envFrom         []corev1.EnvFromSource
	mounts          []corev1.VolumeMount
}

func (s *subst) container(f string, c containerFields) {
	s.str(f+".image", c.image)
	s.list(f+".command", c.command)
	s.list(f+".args", c.args)
	if c.script != nil {
		s.str(f+".script", c.script)
	}
	s.str(f+".workingDir", c.workDir)
	s.env(f+".env", c.env)
	s.envFrom(f+".envFrom", c.envFrom)
	s.mounts(f+".volumeMounts", c.mounts)
}

// subst applies Values field by field and keeps the first error.
type subst struct {
	v   substitute.Values
	err error
}

func (s *subst) str(field string, p *string) {
	if s.err != nil {
		return
	}
	*p, s.err = s.v.String(field, *p)
}

// onError substitutes a step's onError ($(params.X) is allowed there) and
// checks that what results is a policy.
func (s *subst) onError(field string, p *windlassv1.OnErrorType) {
	if s.err != nil || *p == "" {
		return
	}
	written := string(*p)
	got, err := s.v.String(field, written)
	if err != nil {
		s.err = err
		return
	}
	switch windlassv1.OnErrorType(got) {
	case windlassv1.OnErrorContinue, windlassv1.OnErrorStopAndFail:
		*p = windlassv1.OnErrorType(got)
	default:
		s.err = fmt.Errorf("%s: %q (from %s) is not an onError policy: want %s or %s",
			field, got, written, windlassv1.OnErrorContinue, windlassv1.OnErrorStopAndFail)
	}
}

func (s *subst) list(field string, p *[]string) {
	if s.err != nil {
		return
	}
	*p, s.err = s.v.List(field, *p)
}

func (s *subst) env(field string, env []corev1.EnvVar) {
	for i := range env {
		s.str(fmt.Sprintf("%s[%d].value", field, i), &env[i].Value)
	}
}

func (s *subst) envFrom(field string, from []corev1.EnvFromSource) {
	for i := range from {
		if from[i].ConfigMapRef != nil {
			s.str(fmt.Sprintf("%s[%d].configMapRef.name", field, i), &from[i].ConfigMapRef.Name)
		}
		if from[i].SecretRef != nil {
			s.str(fmt.Sprintf("%s[%d].secretRef.name", field, i), &from[i].SecretRef.Name)
		}
	}
}

func (s *subst) mounts(field string, m []corev1.VolumeMount) {
	for i := range m {
		s.str(fmt.Sprintf("%s[%d].name", field, i), &m[i].Name)
		s.str(fmt.Sprintf("%s[%d].mountPath", field, i), &m[i].MountPath)
		s.str(fmt.Sprintf("%s[%d].subPath", field, i), &m[i].SubPath)
	}
}
