package pipeline

import (
	"maps"
	"slices"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/resolve"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// propagateParams lets a task spec embedded in a pipeline use the pipeline's
// params without declaring them, as Tekton's propagated params do: each
// $(params.<name>) in the spec that the spec does not declare but the pipeline
// does is declared on the TaskRun's copy of the spec (as the pipeline declares
// it) and passed the run's value, unless the pipeline task passes it itself.
// Referenced Tasks are left alone: their params are theirs to declare.
func propagateParams(tr *windlassv1.TaskRun, pipelineParams []windlassv1.ParamSpec, values map[string]windlassv1.ParamValue) error {
	ts := tr.Spec.TaskSpec
	if ts == nil || len(pipelineParams) == 0 {
		return nil
	}
	declared := map[string]bool{}
	for _, p := range ts.Params {
		declared[p.Name] = true
	}
	pipeline := map[string]*windlassv1.ParamSpec{}
	for i := range pipelineParams {
		pipeline[pipelineParams[i].Name] = &pipelineParams[i]
	}
	given := map[string]bool{}
	for _, p := range tr.Spec.Params {
		given[p.Name] = true
	}
	var names []string
	for _, s := range resolve.SpecStrings(ts) {
		for _, path := range substitute.Paths("params", s) {
			if name, ok := paramOf(path, declared, pipeline); ok && !declared[name] && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		decl := *pipeline[name].DeepCopy()
		decl.Default = nil
		ts.Params = append(ts.Params, decl)
		v := values[name]
		if !given[name] {
			tr.Spec.Params = append(tr.Spec.Params, windlassv1.Param{Name: name, Value: *v.DeepCopy()})
			continue
		}
		// An object the pipeline task passes too is merged key by key over
		// the run's (Tekton's scope and precedence for object params).
		for i := range tr.Spec.Params {
			if p := &tr.Spec.Params[i]; p.Name == name && p.Value.Type == windlassv1.ParamTypeObject && v.Type == windlassv1.ParamTypeObject {
				merged := maps.Clone(v.ObjectVal)
				maps.Copy(merged, p.Value.ObjectVal)
				p.Value = *windlassv1.NewObject(merged)
			}
		}
	}
	return nil
}

// paramOf is the param a reference path names: the path itself or, for an
// object member (obj.key), a leading part of it. A param the task spec
// declares wins over the pipeline's.
func paramOf(path string, declared map[string]bool, pipeline map[string]*windlassv1.ParamSpec) (string, bool) {
	for p := path; ; {
		if declared[p] || pipeline[p] != nil {
			return p, true
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			return "", false
		}
		p = p[:i]
	}
}

// propagateWorkspaces binds, for a task spec embedded in a pipeline, each
// workspace its $(workspaces.<name>...) references use that the pipeline task
// does not bind but the pipeline declares (or, embedded in the run, takes
// implicitly): Tekton's propagated workspaces. The TaskRun's embedded spec
// then declares it (see resolve.ImplicitWorkspaces). Referenced Tasks are
// left alone: their workspaces are theirs to declare and the pipeline
// task's to bind.
func propagateWorkspaces(pt *windlassv1.PipelineTask, pipeline []string) []windlassv1.WorkspacePipelineTaskBinding {
	out := pt.Workspaces
	if pt.TaskSpec == nil {
		return out
	}
	for _, name := range resolve.UsedWorkspaces(pt.TaskSpec) {
		if !slices.Contains(pipeline, name) ||
			slices.ContainsFunc(out, func(w windlassv1.WorkspacePipelineTaskBinding) bool { return w.Name == name }) {
			continue
		}
		out = append(slices.Clip(out), windlassv1.WorkspacePipelineTaskBinding{Name: name, Workspace: name})
	}
	return out
}
