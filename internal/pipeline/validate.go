package pipeline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/dag"
	"github.com/windlass-dev/windlass/internal/resolve"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// Resolved is a pipeline checked against one run: params bound, graph built.
type Resolved struct {
	Spec   *windlassv1.PipelineSpec
	Name   string // the Pipeline's name, or the run's for an embedded spec
	Params map[string]windlassv1.ParamValue
	// Implicit are the params an embedded spec takes without declaring
	// them; they reach its tasks' embedded task specs like declared ones.
	Implicit []windlassv1.ParamSpec
	// Unused are the run's params a referenced Pipeline does not declare.
	Unused []string
	// Workspaces are the workspaces the pipeline's tasks may use: those it
	// declares and, for an embedded spec, those the run binds that it does
	// not declare (Tekton's propagated workspaces).
	Workspaces []string
	Graph      *dag.Graph
	// TaskSpecs are the specs of tasks and finally tasks, where known
	// (embedded, or the referenced Task as read when the run started).
	TaskSpecs map[string]*windlassv1.TaskSpec
}

// Resolve checks everything about spec that does not depend on how its tasks
// end: params, workspaces, references, the graph. Its error becomes the run's
// InvalidSpec message and names the field at fault.
func Resolve(run *windlassv1.PipelineRun, name string, spec *windlassv1.PipelineSpec, taskSpecs map[string]*windlassv1.TaskSpec) (*Resolved, error) {
	// An embedded pipelineSpec takes the params it does not declare; a
	// referenced Pipeline ignores them (listed in Unused for a warning).
	bound, err := resolve.BindParams("Pipeline", run.Spec.PipelineSpec != nil, spec.Params, run.Spec.Params)
	if err != nil {
		return nil, err
	}
	r := &Resolved{Spec: spec, Name: name, Params: bound.Values, Implicit: bound.Implicit, Unused: bound.Unused,
		TaskSpecs: map[string]*windlassv1.TaskSpec{}}
	for n, ts := range taskSpecs {
		r.TaskSpecs[n] = ts
	}
	for _, sec := range sections(spec) {
		for i := range sec.tasks {
			if ts := sec.tasks[i].TaskSpec; ts != nil {
				r.TaskSpecs[sec.tasks[i].Name] = ts
			}
		}
	}
	if r.Workspaces, err = checkWorkspaces(run, spec); err != nil {
		return nil, err
	}
	inTasks := map[string]bool{}
	for _, pt := range spec.Tasks {
		inTasks[pt.Name] = true
	}
	inFinally := map[string]bool{}
	for _, pt := range spec.Finally {
		inFinally[pt.Name] = true
	}
	for i, s := range run.Spec.TaskRunSpecs {
		if !inTasks[s.PipelineTaskName] && !inFinally[s.PipelineTaskName] {
			return nil, fmt.Errorf("spec.taskRunSpecs[%d].pipelineTaskName: the pipeline has no task %q", i, s.PipelineTaskName)
		}
	}

	// Every $(params...), $(context...) and $(workspaces...) reference must
	// resolve now; task references are checked below, against the graph.
	static := r.values(run, nil)
	static.Roots = []string{"params", "context", "workspaces"}
	static.Strings["context.pipelineTask.retries"] = "0"
	deps := map[string][]string{}
	order := make([]string, 0, len(spec.Tasks))
	for _, sec := range sections(spec) {
		section, list := sec.name, sec.tasks
		for i := range list {
			pt := &list[i]
			field := fmt.Sprintf("spec.pipelineSpec.%s[%d] (%s)", section, i, pt.Name)
			for _, f := range taskFields(pt, true) {
				if m := wholeArrayRef.FindStringSubmatch(f.s); m != nil && (static.Arrays[substitute.Canonical(m[1])] != nil || static.Objects[substitute.Canonical(m[1])] != nil) {
					continue // a whole array or object, checked against its use when the TaskRun is made
				}
				if _, err := static.String(fmt.Sprintf("spec.pipelineSpec.%s[%d].%s (%s)", section, i, f.field, pt.Name), f.s); err != nil {
					return nil, err
				}
			}
			if section == "tasks" && usesStatus(pt) {
				return nil, fmt.Errorf("%s: $(tasks.<name>.status) and $(tasks.status) are only available to finally tasks", field)
			}
			if err := checkMatrix(field, pt); err != nil {
				return nil, err
			}
			for _, ref := range ResultRefs(pt) {
				switch {
				case ref.Section == "finally":
					return nil, fmt.Errorf("%s: $(finally.%s.results.%s): only pipeline results may use finally tasks' results", field, ref.Task, ref.Result)
				case !inTasks[ref.Task]:
					return nil, fmt.Errorf("%s: $(tasks.%s.results.%s) names no task of tasks", field, ref.Task, ref.Result)
				case ref.Task == pt.Name:
					return nil, fmt.Errorf("%s: $(tasks.%s.results.%s): a task cannot use its own result", field, ref.Task, ref.Result)
				}
				if err := r.checkDeclared(field, ref); err != nil {
					return nil, err
				}
				if section == "tasks" {
					deps[pt.Name] = append(deps[pt.Name], ref.Task)
				}
			}
			for _, task := range matrixRefs(pt) {
				if !slices.ContainsFunc(spec.Tasks, func(t windlassv1.PipelineTask) bool { return t.Name == task && t.Matrix != nil }) {
					return nil, fmt.Errorf("%s: $(tasks.%s.matrix...) names no task of tasks with a matrix", field, task)
				}
				if section == "tasks" {
					deps[pt.Name] = append(deps[pt.Name], task)
				}
			}
			if section == "tasks" {
				deps[pt.Name] = append(deps[pt.Name], pt.RunAfter...)
				order = append(order, pt.Name)
			}
		}
	}
	if r.Graph, err = dag.Build(order, deps); err != nil {
		return nil, fmt.Errorf("spec.pipelineSpec.tasks: %w", err)
	}
	for i, res := range spec.Results {
		field := fmt.Sprintf("spec.pipelineSpec.results[%d] (%s)", i, res.Name)
		for _, s := range valueStrings(res.Value) {
			for _, m := range resultRef.FindAllStringSubmatch(s, -1) {
				ref := ResultRef{Section: m[1], Task: m[2], Result: m[4]}
				if (ref.Section == "tasks" && !inTasks[ref.Task]) || (ref.Section == "finally" && !inFinally[ref.Task]) {
					return nil, fmt.Errorf("%s: $(%s.%s.results.%s) names no task of %s", field, ref.Section, ref.Task, ref.Result, ref.Section)
				}
				if err := r.checkDeclared(field, ref); err != nil {
					return nil, err
				}
			}
		}
	}
	return r, nil
}

// checkDeclared fails a reference to a result the task's spec (when known) does not declare.
func (r *Resolved) checkDeclared(field string, ref ResultRef) error {
	ts := r.TaskSpecs[ref.Task]
	if ts == nil {
		return nil
	}
	var declared []string
	for _, res := range ts.Results {
		if res.Name == ref.Result {
			return nil
		}
		declared = append(declared, res.Name)
	}
	return fmt.Errorf("%s: $(%s.%s.results.%s): task %q declares no result %q (declared: %s)",
		field, ref.Section, ref.Task, ref.Result, ref.Task, ref.Result, orNone(declared))
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

func valueStrings(v windlassv1.ParamValue) []string {
	switch v.Type {
	case windlassv1.ParamTypeArray:
		return v.ArrayVal
	case windlassv1.ParamTypeObject:
		out := []string{}
		for _, k := range sortedKeys(v.ObjectVal) {
			out = append(out, v.ObjectVal[k])
		}
		return out
	}
	return []string{v.StringVal}
}

// checkWorkspaces checks the run's bindings against the pipeline's
// declarations and returns the workspaces its tasks may use: the declared
// ones and, for a spec embedded in the run, the run's bindings it does not
// declare (taken implicitly, as Tekton propagates them).
func checkWorkspaces(run *windlassv1.PipelineRun, spec *windlassv1.PipelineSpec) ([]string, error) {
	declared := map[string]windlassv1.PipelineWorkspaceDeclaration{}
	var names []string
	for _, w := range spec.Workspaces {
		declared[w.Name] = w
		names = append(names, w.Name)
	}
	usable := slices.Clone(names)
	bound := map[string]bool{}
	for i, b := range run.Spec.Workspaces {
		if _, ok := declared[b.Name]; !ok {
			if run.Spec.PipelineSpec == nil {
				return nil, fmt.Errorf("spec.workspaces[%d]: the Pipeline declares no workspace %q (declared: %s)", i, b.Name, orNone(names))
			}
			if !bound[b.Name] {
				usable = append(usable, b.Name)
			}
		}
		bound[b.Name] = true
	}
	for _, w := range spec.Workspaces {
		if !w.Optional && !bound[w.Name] {
			return nil, fmt.Errorf("spec.workspaces: workspace %q is required by the Pipeline but not bound by the run", w.Name)
		}
	}
	for _, sec := range sections(spec) {
		for i, pt := range sec.tasks {
			for j, w := range pt.Workspaces {
				if !slices.Contains(usable, workspaceOf(w)) {
					return nil, fmt.Errorf("spec.pipelineSpec.%s[%d].workspaces[%d]: the Pipeline declares no workspace %q (declared: %s)",
						sec.name, i, j, workspaceOf(w), orNone(usable))
				}
			}
		}
	}
	return usable, nil
}

type section struct {
	name  string
	tasks []windlassv1.PipelineTask
}

// sections are tasks then finally, in that order.
func sections(spec *windlassv1.PipelineSpec) []section {
	return []section{{"tasks", spec.Tasks}, {"finally", spec.Finally}}
}

func workspaceOf(w windlassv1.WorkspacePipelineTaskBinding) string {
	if w.Workspace != "" {
		return w.Workspace
	}
	return w.Name
}

func checkMatrix(field string, pt *windlassv1.PipelineTask) error {
	if pt.Matrix == nil {
		return nil
	}
	own := map[string]bool{}
	for _, p := range pt.Params {
		own[p.Name] = true
	}
	for i, p := range pt.Matrix.Params {
		if own[p.Name] {
			return fmt.Errorf("%s.matrix.params[%d]: param %q is also set in params", field, i, p.Name)
		}
		if p.Value.Type != windlassv1.ParamTypeArray && !wholeArrayRef.MatchString(p.Value.StringVal) {
			return fmt.Errorf("%s.matrix.params[%d] (%s): a matrix param needs an array value (or a $(...[*]) reference to one)", field, i, p.Name)
		}
	}
	for i, inc := range pt.Matrix.Include {
		for j, p := range inc.Params {
			if p.Value.Type != windlassv1.ParamTypeString {
				return fmt.Errorf("%s.matrix.include[%d].params[%d] (%s): include params take string values", field, i, j, p.Name)
			}
		}
	}
	return nil
}

// values builds what references resolve to for the run: params, context and
// pipeline workspaces; done holds the finished tasks' outcomes (nil: none yet).
func (r *Resolved) values(run *windlassv1.PipelineRun, done map[string]*taskOutcome) substitute.Values {
	v := substitute.Values{
		Roots:   []string{"params", "context", "workspaces", "tasks", "finally"},
		Strings: map[string]string{},
		Arrays:  map[string][]string{},
		Objects: map[string]map[string]string{},
	}
	for name, p := range r.Params {
		resolve.AddValue(v, "params."+name, p)
	}
	v.Strings["context.pipelineRun.name"] = run.Name
	v.Strings["context.pipelineRun.namespace"] = run.Namespace
	v.Strings["context.pipelineRun.uid"] = string(run.UID)
	v.Strings["context.pipeline.name"] = r.Name
	bound := map[string]bool{}
	for _, b := range run.Spec.Workspaces {
		bound[b.Name] = true
	}
	for _, w := range r.Workspaces {
		v.Strings["workspaces."+w+".bound"] = fmt.Sprint(bound[w])
	}
	v.Defer = taskWorkspaceVar
	for name, o := range done {
		section := "tasks"
		if o.finally {
			section = "finally"
		}
		for rn, rv := range o.results {
			resolve.AddValue(v, section+"."+name+".results."+rn, rv)
		}
		for k, n := range o.matrix {
			v.Strings[section+"."+name+".matrix."+k] = strconv.Itoa(n)
		}
	}
	return v
}

// declared are the params the pipeline's tasks see: those it declares and,
// for an embedded spec, those it takes implicitly.
func (r *Resolved) declared() []windlassv1.ParamSpec {
	if len(r.Implicit) == 0 {
		return r.Spec.Params
	}
	return append(slices.Clone(r.Spec.Params), r.Implicit...)
}

// taskWorkspaceVar tells a $(workspaces.<w>.path), .claim or .volume, which
// a pipeline has no value for: as in Tekton, a task's param may carry it to
// the TaskRun, where it names the Task's workspace <w> (see
// resolve.ExpandWorkspaces).
func taskWorkspaceVar(path string) bool {
	rest, ok := strings.CutPrefix(path, "workspaces.")
	if !ok {
		return false
	}
	i := strings.LastIndex(rest, ".")
	if i <= 0 {
		return false
	}
	switch rest[i+1:] {
	case "path", "claim", "volume":
		return true
	}
	return false
}
