package podspec

import (
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/resolve"
)

// Prepared is a TaskRun's spec as its pod is built from it.
type Prepared struct {
	// Declared is the spec with the params and workspaces an embedded spec
	// takes without declaring them (Tekton's propagated params and
	// workspaces) declared.
	Declared *windlassv1.TaskSpec
	// Inlined is Declared with the steps that reference a StepAction
	// replaced by it (resolve.StepActions).
	Inlined *windlassv1.TaskSpec
	// Final has every $(...) reference substituted: what Build takes.
	Final *windlassv1.TaskSpec
	// Params are the run's params bound to the spec.
	Params resolve.Bound
}

// Prepare binds a run's params and workspaces to spec (the Task taskName,
// "" for an embedded one) and substitutes every reference, as the TaskRun
// controller does before it builds the pod (and windlass lint does offline).
// Steps that reference a StepAction are inlined from actions (by name).
// Its errors are the spec's and name the field.
func Prepare(tr *windlassv1.TaskRun, spec *windlassv1.TaskSpec, taskName string, actions map[string]*windlassv1.StepActionSpec) (Prepared, error) {
	pb, err := resolve.BindParams("Task", tr.Spec.TaskSpec != nil, spec.Params, tr.Spec.Params)
	if err != nil {
		return Prepared{}, err
	}
	var implicitWs []windlassv1.WorkspaceDeclaration
	if tr.Spec.TaskSpec != nil {
		implicitWs = resolve.ImplicitWorkspaces(spec, tr.Spec.Workspaces)
	}
	if len(pb.Implicit) > 0 || len(implicitWs) > 0 {
		spec = spec.DeepCopy()
		spec.Params = append(spec.Params, pb.Implicit...)
		spec.Workspaces = append(spec.Workspaces, implicitWs...)
	}
	bound := map[string]resolve.Workspace{}
	for _, b := range tr.Spec.Workspaces {
		w := resolve.Workspace{Volume: WorkspaceVolume(b.Name)}
		switch {
		case b.PersistentVolumeClaim != nil:
			w.Claim = b.PersistentVolumeClaim.ClaimName
		case b.VolumeClaimTemplate != nil:
			w.Claim = BindingClaim(tr.Name, b)
		}
		bound[b.Name] = w
	}
	name := taskName
	if name == "" {
		name = tr.Name
	}
	// A value may name the Task's workspaces ($(workspaces.src.path) passed
	// by a pipeline): resolved before the values are substituted.
	if err := resolve.ExpandWorkspaces(pb.Values, spec, bound); err != nil {
		return Prepared{}, err
	}
	vals := resolve.Values(spec, pb.Values, resolve.Context{
		TaskRunName: tr.Name, TaskRunNamespace: tr.Namespace, TaskRunUID: string(tr.UID), TaskName: name,
		RetryCount: resolve.RetryCount(tr.Labels),
	}, bound)
	inlined, err := resolve.StepActions(spec, actions, vals)
	if err != nil {
		return Prepared{}, err
	}
	if err := resolve.CheckStepResults(inlined); err != nil {
		return Prepared{}, err
	}
	final, err := resolve.Task(inlined, vals)
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{Declared: spec, Inlined: inlined, Final: final, Params: pb}, nil
}
