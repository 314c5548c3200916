package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/approval"
	"github.com/windlass-dev/windlass/internal/pipeline"
	"github.com/windlass-dev/windlass/internal/podspec"
	"github.com/windlass-dev/windlass/internal/resolve"
)

// lintNamespace is the namespace objects without one are checked in.
const lintNamespace = "default"

// checker runs the controller's checks on objects the schema accepted.
type checker struct {
	tasks     map[string]*windlassv1.Task
	pipelines map[string]*windlassv1.Pipeline
	// stepActions are the linted StepActions' specs, by name.
	stepActions map[string]*windlassv1.StepActionSpec
	// bad are the Tasks and Pipelines (name/kind) with a problem already
	// reported: runs of them are not checked again.
	bad map[string]bool
}

func check(objs []*Object) []Problem {
	c := &checker{tasks: map[string]*windlassv1.Task{}, pipelines: map[string]*windlassv1.Pipeline{},
		stepActions: map[string]*windlassv1.StepActionSpec{}, bad: map[string]bool{}}
	typed := make([]any, len(objs))
	var probs []Problem
	for i, o := range objs {
		v, err := decode(o)
		if err != nil {
			probs = append(probs, o.problem("", err.Error()))
			continue
		}
		typed[i] = v
		switch v := v.(type) {
		case *windlassv1.Task:
			c.tasks[v.Name] = v
		case *windlassv1.Pipeline:
			c.pipelines[v.Name] = v
		case *windlassv1.StepAction:
			c.stepActions[v.Name] = &v.Spec
		}
	}
	// Tasks first, then Pipelines, then runs: a run of a definition with a
	// problem is not checked again.
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	rank := func(i int) int {
		switch typed[i].(type) {
		case *windlassv1.Task:
			return 0
		case *windlassv1.Pipeline:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(order, func(a, b int) int { return rank(a) - rank(b) })
	for _, i := range order {
		o := objs[i]
		var err error
		prefix := "" // what the checked run's paths are rewritten from
		switch v := typed[i].(type) {
		case *windlassv1.Task:
			err, prefix = c.task(v), "spec.taskSpec."
		case *windlassv1.TaskRun:
			err = c.taskRun(v)
		case *windlassv1.Pipeline:
			err, prefix = c.pipeline(v), "spec.pipelineSpec."
		case *windlassv1.PipelineRun:
			err = c.pipelineRun(v)
		}
		if err != nil {
			path, names, msg := splitField(err.Error())
			if prefix != "" && strings.HasPrefix(path, prefix) {
				path = "spec." + strings.TrimPrefix(path, prefix)
			}
			path = indexTask(path, names, typed[i])
			p := o.problem(path, msg)
			if len(names) > 0 {
				p.Field += " (" + strings.Join(names, ", ") + ")"
			}
			probs = append(probs, p)
			c.bad[o.Name+"/"+o.GVK.Kind] = true
		}
	}
	return probs
}

// decode reads a Windlass object strictly into its Go type.
func decode(o *Object) (any, error) {
	var v any
	switch o.GVK {
	case windlassv1.GroupVersion.WithKind("Task"):
		v = &windlassv1.Task{}
	case windlassv1.GroupVersion.WithKind("TaskRun"):
		v = &windlassv1.TaskRun{}
	case windlassv1.GroupVersion.WithKind("Pipeline"):
		v = &windlassv1.Pipeline{}
	case windlassv1.GroupVersion.WithKind("PipelineRun"):
		v = &windlassv1.PipelineRun{}
	case windlassv1.GroupVersion.WithKind("StepAction"):
		v = &windlassv1.StepAction{}
	default:
		return nil, nil // the schema is all there is to check
	}
	raw, err := json.Marshal(o.Obj)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, err
	}
	return v, nil
}

// fieldSegment is one piece of the field path an error of the controller
// starts with: a key, an index, or a name in parentheses.
var fieldSegment = regexp.MustCompile(`^(?:(\.?[A-Za-z_][A-Za-z0-9_-]*)|(\[\d+\])|( \([^()]*\)))`)

// splitField splits "spec.tasks[0] (build).matrix.params[1] (x): message"
// into the path (spec.tasks[0].matrix.params[1]), the names met on the way
// ("build", "x") and the message. No path: "", nil, s.
func splitField(s string) (path string, names []string, msg string) {
	if !strings.HasPrefix(s, "spec") && !strings.HasPrefix(s, "metadata") {
		return "", nil, s
	}
	rest := s
	for {
		m := fieldSegment.FindStringSubmatch(rest)
		if m == nil {
			break
		}
		switch {
		case m[3] != "":
			names = append(names, strings.Trim(m[3], " ()"))
		default:
			path += m[1] + m[2]
		}
		rest = rest[len(m[0]):]
	}
	if !strings.HasPrefix(rest, ": ") {
		return "", nil, s
	}
	return path, names, rest[2:]
}

// placeholder is a value for a param a lone Task or Pipeline leaves to its run.
func placeholder(p windlassv1.ParamSpec) windlassv1.ParamValue {
	switch p.EffectiveType() {
	case windlassv1.ParamTypeArray:
		return *windlassv1.NewArray("lint", "lint", "lint", "lint") // a few: runs may index them
	case windlassv1.ParamTypeObject:
		obj := map[string]string{}
		for k := range p.Properties {
			obj[k] = "lint"
		}
		return windlassv1.ParamValue{Type: windlassv1.ParamTypeObject, ObjectVal: obj}
	}
	if len(p.Enum) > 0 {
		return *windlassv1.NewString(p.Enum[0])
	}
	// A word every string field takes, onError included ($(params.mode)
	// there must be continue or stopAndFail).
	return *windlassv1.NewString("continue")
}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: lintNamespace, UID: "lint"}
}

// task checks a Task as a run that sets only its required params would.
func (c *checker) task(t *windlassv1.Task) error {
	tr := &windlassv1.TaskRun{ObjectMeta: meta(t.Name + "-run"), Spec: windlassv1.TaskRunSpec{TaskSpec: &t.Spec}}
	tr.Spec.Params = requiredParams(t.Spec.Params)
	for _, w := range t.Spec.Workspaces {
		if !w.Optional {
			tr.Spec.Workspaces = append(tr.Spec.Workspaces, emptyDirBinding(w.Name))
		}
	}
	return c.runSpec(tr, &t.Spec, t.Name)
}

// taskRun checks a TaskRun whose Task is embedded or among the linted objects.
func (c *checker) taskRun(tr *windlassv1.TaskRun) error {
	spec, name := tr.Spec.TaskSpec, ""
	if spec == nil && tr.Spec.TaskRef != nil && tr.Spec.TaskRef.Resolver == "" {
		if t := c.tasks[tr.Spec.TaskRef.Name]; t != nil && !c.bad[t.Name+"/Task"] {
			spec, name = &t.Spec, t.Name
		}
	}
	if spec == nil {
		return nil // the Task is on the cluster (or a resolver's): only the schema applies
	}
	return c.runSpec(tr, spec, name)
}

// runSpec does what the TaskRun controller does before it creates the pod,
// with the StepActions among the linted objects; a run whose steps
// reference another StepAction (one on the cluster) is not checked.
func (c *checker) runSpec(tr *windlassv1.TaskRun, spec *windlassv1.TaskSpec, taskName string) error {
	for _, name := range resolve.StepActionRefs(spec) {
		if c.stepActions[name] == nil || c.bad[name+"/StepAction"] {
			return nil
		}
	}
	if tr.Namespace == "" {
		tr.Namespace = lintNamespace
	}
	prep, err := podspec.Prepare(tr, spec, taskName, c.stepActions)
	if err != nil {
		return err
	}
	final := prep.Final
	// The registry is not asked: an image without a command is taken to have an entrypoint.
	images := map[string]podspec.ImageConfig{}
	for _, si := range podspec.ImageEntrypointNeeded(final) {
		images[si.Image] = podspec.ImageConfig{Entrypoint: []string{"/lint"}}
	}
	_, err = podspec.Build(podspec.Input{Run: tr, Spec: final, TaskName: taskName, Images: images},
		podspec.Config{EntrypointImage: "lint.invalid/entrypoint"})
	return err
}

// requiredParams gives each declared param without a default a placeholder value.
func requiredParams(decl []windlassv1.ParamSpec) []windlassv1.Param {
	var out []windlassv1.Param
	for _, p := range decl {
		if p.Default == nil {
			out = append(out, windlassv1.Param{Name: p.Name, Value: placeholder(p)})
		}
	}
	return out
}

func emptyDirBinding(name string) windlassv1.WorkspaceBinding {
	return windlassv1.WorkspaceBinding{Name: name, EmptyDir: &corev1EmptyDir}
}

// pipeline checks a Pipeline as a run that sets only its required params would.
func (c *checker) pipeline(p *windlassv1.Pipeline) error {
	pr := &windlassv1.PipelineRun{ObjectMeta: meta(p.Name + "-run"), Spec: windlassv1.PipelineRunSpec{
		PipelineRef: &windlassv1.PipelineRef{Name: p.Name}}}
	pr.Spec.Params = requiredParams(p.Spec.Params)
	for _, w := range p.Spec.Workspaces {
		if !w.Optional {
			pr.Spec.Workspaces = append(pr.Spec.Workspaces, emptyDirBinding(w.Name))
		}
	}
	return c.run(pr, &p.Spec, p.Name)
}

func (c *checker) pipelineRun(pr *windlassv1.PipelineRun) error {
	if pr.Spec.PipelineSpec != nil {
		return c.run(pr, pr.Spec.PipelineSpec, pr.Name)
	}
	if ref := pr.Spec.PipelineRef; ref != nil && c.pipelines[ref.Name] != nil && !c.bad[ref.Name+"/Pipeline"] {
		return c.run(pr, &c.pipelines[ref.Name].Spec, ref.Name)
	}
	return nil
}

// run does what the PipelineRun controller does when a run starts: resolve
// the pipeline against the run, then plan its first TaskRuns and check them
// as the TaskRun controller would.
func (c *checker) run(pr *windlassv1.PipelineRun, spec *windlassv1.PipelineSpec, name string) error {
	if pr.Namespace == "" {
		pr.Namespace = lintNamespace
	}
	if pr.Name == "" {
		pr.Name = pr.GenerateName + "lint"
	}
	pr = pr.DeepCopy()
	now := time.Now()
	start := metav1.NewTime(now)
	pr.Status.StartTime = &start
	taskSpecs := map[string]*windlassv1.TaskSpec{}
	for _, list := range [][]windlassv1.PipelineTask{spec.Tasks, spec.Finally} {
		for _, pt := range list {
			switch {
			case pt.TaskRef == nil:
			case approval.IsApproval(pt.TaskRef):
				taskSpecs[pt.Name] = approval.TaskSpec()
			case pt.TaskRef.Resolver == "" && c.tasks[pt.TaskRef.Name] != nil && !c.bad[pt.TaskRef.Name+"/Task"]:
				taskSpecs[pt.Name] = &c.tasks[pt.TaskRef.Name].Spec
			}
		}
	}
	if err := approval.Check(spec); err != nil {
		return err
	}
	resolved, err := pipeline.Resolve(pr, name, spec, taskSpecs)
	if err != nil {
		return err
	}
	// Plan as the controller would, round after round, every TaskRun
	// succeeding with a value for each result its Task declares, until
	// nothing is left to start: every task (finally too) is planned, its
	// when expressions evaluated and its TaskRun checked.
	var children []windlassv1.TaskRun
	for round := 0; round < maxRounds; round++ {
		out, err := pipeline.Plan(pipeline.Input{Run: pr, Resolved: resolved, Children: children, Now: now,
			Config: pipeline.Config{DefaultTimeout: time.Hour, MaxMatrix: 256}})
		if err != nil || len(out.Create) == 0 {
			return err
		}
		for _, tr := range out.Create {
			ts, taskName := tr.Spec.TaskSpec, ""
			switch {
			case ts != nil:
			case tr.Spec.TaskRef == nil:
			case approval.IsApproval(tr.Spec.TaskRef):
				ts = approval.TaskSpec()
			case tr.Spec.TaskRef.Resolver == "":
				if t := c.tasks[tr.Spec.TaskRef.Name]; t != nil && !c.bad[t.Name+"/Task"] {
					ts, taskName = &t.Spec, t.Name
				}
			}
			if ts != nil && !approval.IsApproval(tr.Spec.TaskRef) {
				if err := c.runSpec(tr.DeepCopy(), ts, taskName); err != nil {
					return fmt.Errorf("%s: its TaskRun: %w", taskField(spec, tr.Labels[pipeline.LabelPipelineTask]), err)
				}
			}
			children = append(children, *succeeded(tr, ts))
		}
	}
	return nil
}

// maxRounds bounds the planning of one pipeline (each round starts at least one task).
const maxRounds = 1000

// succeeded is tr finished well, with a value for each result of ts (when known).
func succeeded(tr *windlassv1.TaskRun, ts *windlassv1.TaskSpec) *windlassv1.TaskRun {
	tr = tr.DeepCopy()
	tr.Status.Conditions = []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: metav1.ConditionTrue, Reason: "Succeeded"}}
	if ts != nil {
		for _, r := range ts.Results {
			v := placeholder(windlassv1.ParamSpec{Type: r.Type, Properties: r.Properties})
			tr.Status.Results = append(tr.Status.Results, windlassv1.TaskRunResult{Name: r.Name, Type: r.Type, Value: v})
		}
	}
	return tr
}

// taskField is the path of the pipeline task named task.
func taskField(spec *windlassv1.PipelineSpec, task string) string {
	for i, pt := range spec.Tasks {
		if pt.Name == task {
			return fmt.Sprintf("spec.pipelineSpec.tasks[%d] (%s)", i, task)
		}
	}
	for i, pt := range spec.Finally {
		if pt.Name == task {
			return fmt.Sprintf("spec.pipelineSpec.finally[%d] (%s)", i, task)
		}
	}
	return "spec.pipelineSpec"
}

var corev1EmptyDir = corev1.EmptyDirVolumeSource{}

// unindexed is a path to a pipeline task by section only (spec.tasks.when[0]).
var unindexed = regexp.MustCompile(`^(spec\.(?:pipelineSpec\.)?)(tasks|finally)(\.|$)`)

// indexTask gives a path that names a pipeline task by section only the
// task's index, found by its name (the first of names).
func indexTask(path string, names []string, obj any) string {
	m := unindexed.FindStringSubmatchIndex(path)
	if m == nil || len(names) == 0 {
		return path
	}
	var spec *windlassv1.PipelineSpec
	switch v := obj.(type) {
	case *windlassv1.Pipeline:
		spec = &v.Spec
	case *windlassv1.PipelineRun:
		spec = v.Spec.PipelineSpec
	}
	if spec == nil {
		return path
	}
	list := spec.Tasks
	if path[m[4]:m[5]] == "finally" {
		list = spec.Finally
	}
	for i, pt := range list {
		if pt.Name == names[0] {
			return fmt.Sprintf("%s[%d]%s", path[:m[5]], i, path[m[5]:])
		}
	}
	return path
}
