package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/names"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// TaskRunName is the deterministic name of a task's TaskRun: a restarted
// controller computes it again and finds the TaskRun instead of making a
// second. idx is the matrix combination (-1 without a matrix).
func TaskRunName(run, task string, idx, attempt int) string {
	base := run + "-" + task
	if idx >= 0 {
		base += "-" + strconv.Itoa(idx)
	}
	suffix := ""
	if attempt > 0 {
		suffix = "-retry" + strconv.Itoa(attempt)
	}
	// A TaskRun's pod is named <taskrun>-pod: leave room for it.
	return names.Fit(base, suffix, 249)
}

// ClaimName is the PVC made for a run's workspace bound by volumeClaimTemplate.
func ClaimName(run, workspace string) string {
	return names.Fit("pvc-"+run+"-"+workspace, "", 253)
}

// BindingClaim is the PVC made for a run's binding by volumeClaimTemplate:
// ClaimName, with the template's metadata.name for "pvc" when it has one (a
// prefix, as in Tekton).
func BindingClaim(run string, b windlassv1.WorkspaceBinding) string {
	if t := b.VolumeClaimTemplate; t != nil && t.Name != "" {
		return names.Fit(t.Name+"-"+run+"-"+b.Name, "", 253)
	}
	return ClaimName(run, b.Name)
}

// newTaskRuns makes the first TaskRun(s) of a task: one, or one per matrix
// combination. A reference that cannot be resolved here is a missing result.
func (p *planner) newTaskRuns(pt *windlassv1.PipelineTask, v substitute.Values, field string) ([]*windlassv1.TaskRun, error) {
	if pt.Matrix == nil {
		tr, err := p.taskRun(pt, v, field, nil, -1, 0)
		if err != nil {
			return nil, err
		}
		return []*windlassv1.TaskRun{tr}, nil
	}
	combos, err := combinations(field, pt.Matrix, v, p.in.Config.MaxMatrix)
	if err != nil {
		return nil, invalid(err)
	}
	out := make([]*windlassv1.TaskRun, 0, len(combos))
	for i, c := range combos {
		tr, err := p.taskRun(pt, v, field, c, i, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, tr)
	}
	return out, nil
}

// missingCombinations re-makes the first attempts of matrix combinations a
// crash left uncreated; it tells whether there were any.
func (p *planner) missingCombinations(pt *windlassv1.PipelineTask, runs attempts) bool {
	v := p.values(pt)
	combos, err := combinations("", pt.Matrix, v, p.in.Config.MaxMatrix)
	if err != nil {
		return false
	}
	missing := false
	for i, c := range combos {
		if runs[i] != nil {
			continue
		}
		if tr, err := p.taskRun(pt, v, "", c, i, 0); err == nil {
			p.out.Create = append(p.out.Create, tr)
			runs[i] = map[int]*windlassv1.TaskRun{}
			missing = true
		}
	}
	return missing
}

// retry makes the next attempt of a failed TaskRun: the same spec, a new name.
func (p *planner) retry(pt *windlassv1.PipelineTask, failed *windlassv1.TaskRun, attempt int, finally bool) *windlassv1.TaskRun {
	idx := -1
	if s, ok := failed.Labels[LabelMatrixIndex]; ok {
		idx, _ = strconv.Atoi(s)
	}
	tr := &windlassv1.TaskRun{
		ObjectMeta: p.meta(pt, idx, attempt),
		Spec:       *failed.Spec.DeepCopy(),
	}
	tr.Spec.Status, tr.Spec.StatusMessage = "", ""
	tr.Spec.Timeout = p.taskTimeout(pt, finally)
	return tr
}

func sectionFinally(p *planner, pt *windlassv1.PipelineTask) bool {
	o := p.outcomes[pt.Name]
	return o != nil && o.finally
}

func (p *planner) meta(pt *windlassv1.PipelineTask, idx, attempt int) metav1.ObjectMeta {
	run := p.in.Run
	labels := map[string]string{}
	for k, v := range run.Labels {
		labels[k] = v
	}
	var annotations map[string]string
	// An embedded task's metadata labels and annotates its TaskRun (and so
	// its pod), over the run's labels, under Windlass's own.
	if ts := pt.TaskSpec; ts != nil && ts.Metadata != nil {
		maps.Copy(labels, ts.Metadata.Labels)
		annotations = maps.Clone(ts.Metadata.Annotations)
	}
	labels[LabelPipelineRun] = names.Fit(run.Name, "", 63)
	labels[LabelPipeline] = names.Fit(p.in.Resolved.Name, "", 63)
	labels[LabelPipelineTask] = pt.Name
	labels[LabelAttempt] = strconv.Itoa(attempt)
	if idx >= 0 {
		labels[LabelMatrixIndex] = strconv.Itoa(idx)
	}
	return metav1.ObjectMeta{
		Name:        TaskRunName(run.Name, pt.Name, idx, attempt),
		Namespace:   run.Namespace,
		Labels:      labels,
		Annotations: annotations,
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: windlassv1.GroupVersion.String(), Kind: "PipelineRun", Name: run.Name, UID: run.UID,
			Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true),
		}},
	}
}

// taskRun builds the first attempt of a task (or of one matrix combination).
func (p *planner) taskRun(pt *windlassv1.PipelineTask, v substitute.Values, field string, combo combination, idx, attempt int) (*windlassv1.TaskRun, error) {
	run := p.in.Run
	tr := &windlassv1.TaskRun{ObjectMeta: p.meta(pt, idx, attempt)}
	if pt.TaskRef != nil {
		tr.Spec.TaskRef = pt.TaskRef.DeepCopy()
	} else {
		tr.Spec.TaskSpec = pt.TaskSpec.DeepCopy()
		tr.Spec.TaskSpec.Metadata = nil // on the TaskRun itself, see meta
	}
	for i, param := range pt.Params {
		val, err := substParam(v, fmt.Sprintf("%s.params[%d]", field, i), param.Value)
		if err != nil {
			var se *substitute.Error
			if errors.As(err, &se) {
				return nil, invalid(err)
			}
			return nil, err
		}
		tr.Spec.Params = append(tr.Spec.Params, windlassv1.Param{Name: param.Name, Value: val})
	}
	tr.Spec.Params = append(tr.Spec.Params, combo...)
	if err := propagateParams(tr, p.in.Resolved.declared(), p.in.Resolved.Params); err != nil {
		return nil, err
	}
	bindings := map[string]windlassv1.WorkspaceBinding{}
	for _, b := range run.Spec.Workspaces {
		bindings[b.Name] = b
	}
	for i, w := range propagateWorkspaces(pt, p.in.Resolved.Workspaces) {
		b, ok := bindings[workspaceOf(w)]
		if !ok {
			continue // an optional pipeline workspace the run leaves unbound
		}
		out := *b.DeepCopy()
		out.Name = w.Name
		if b.VolumeClaimTemplate != nil {
			out.VolumeClaimTemplate = nil
			out.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: BindingClaim(run.Name, b)}
		}
		if w.SubPath != "" {
			sub, err := v.String(fmt.Sprintf("%s.workspaces[%d].subPath", field, i), w.SubPath)
			if err != nil {
				return nil, invalid(err)
			}
			out.SubPath = path.Join(b.SubPath, sub)
		}
		tr.Spec.Workspaces = append(tr.Spec.Workspaces, out)
	}
	if t := run.Spec.TaskRunTemplate; t != nil {
		tr.Spec.ServiceAccountName = t.ServiceAccountName
		tr.Spec.PodTemplate = t.PodTemplate.DeepCopy()
	}
	for _, s := range run.Spec.TaskRunSpecs {
		if s.PipelineTaskName != pt.Name {
			continue
		}
		if s.ServiceAccountName != "" {
			tr.Spec.ServiceAccountName = s.ServiceAccountName
		}
		if s.PodTemplate != nil {
			tr.Spec.PodTemplate = s.PodTemplate.DeepCopy()
		}
	}
	tr.Spec.Timeout = p.taskTimeout(pt, sectionFinally(p, pt))
	return tr, nil
}

// taskTimeout bounds a TaskRun by its task's timeout (or the one the run's
// taskRunSpecs give it instead) and by what is left of the section's and the
// run's timeouts. Nil (no bound) only when none applies,
// which is written as 0 so the TaskRun controller's default does not apply.
func (p *planner) taskTimeout(pt *windlassv1.PipelineTask, finally bool) *metav1.Duration {
	now, start, t := p.in.Now, p.in.Run.Status.StartTime.Time, p.timeouts
	var limit time.Duration
	bound := func(d time.Duration) {
		if d > 0 && (limit == 0 || d < limit) {
			limit = d
		}
	}
	own := pt.Timeout
	for _, s := range p.in.Run.Spec.TaskRunSpecs {
		if s.PipelineTaskName == pt.Name && s.Timeout != nil {
			own = s.Timeout // the run's taskRunSpecs replace the task's own
		}
	}
	if own != nil {
		bound(own.Duration)
	}
	if t.pipeline > 0 {
		bound(max(start.Add(t.pipeline).Sub(now), time.Second))
	}
	if !finally && t.tasks > 0 {
		bound(max(start.Add(t.tasks).Sub(now), time.Second))
	}
	if finally && t.finally > 0 {
		fs := now
		if p.in.Run.Status.FinallyStartTime != nil {
			fs = p.in.Run.Status.FinallyStartTime.Time
		}
		bound(max(fs.Add(t.finally).Sub(now), time.Second))
	}
	return &metav1.Duration{Duration: limit.Round(time.Second)}
}
