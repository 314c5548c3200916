package taskrun

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/runstatus"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/failure"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// outcome is what the pod says about the run: still going, or done with a reason.
type outcome struct {
	done    bool
	reason  string // a windlassv1.Reason* constant
	message string
	// resultsInLog: the last step framed its results into its log; the
	// controller must read them before it can finish the run.
	resultsInLog bool
	results      map[string]string
	// waiting: not done, the pod waits for what may still come: an image
	// after a transient pull failure, or a claim the scheduler has not seen
	// yet (the message says which and why). waitReason is the run's reason
	// should it still wait at the deadline: ImagePullFailed when empty.
	waiting    string
	waitReason string
}

// isDone reports whether the run has a final Succeeded condition.
func isDone(tr *windlassv1.TaskRun) bool { return runstatus.Done(tr.Status.Conditions) }

func setCondition(tr *windlassv1.TaskRun, status metav1.ConditionStatus, reason, message string) {
	runstatus.Set(&tr.Status.Conditions, tr.Generation, status, reason, message)
}

// finish marks the run done.
func finish(tr *windlassv1.TaskRun, now time.Time, succeeded bool, reason, message string) {
	status := metav1.ConditionFalse
	if succeeded {
		status = metav1.ConditionTrue
	}
	setCondition(tr, status, reason, message)
	t := metav1.NewTime(now)
	tr.Status.CompletionTime = &t
}

// stepStates fills status.steps from the pod, in step order, and returns the
// parsed entrypoint state of each terminated step (nil where none).
func stepStates(tr *windlassv1.TaskRun, spec *windlassv1.TaskSpec, pod *corev1.Pod) []*contract.State {
	byName := map[string]corev1.ContainerStatus{}
	for _, cs := range pod.Status.ContainerStatuses {
		byName[cs.Name] = cs
	}
	tr.Status.Steps = make([]windlassv1.StepState, len(spec.Steps))
	parsed := make([]*contract.State, len(spec.Steps))
	for i, st := range spec.Steps {
		name := podspec.StepContainer(i, st.Name)
		s := windlassv1.StepState{Name: st.Name, Container: name}
		if s.Name == "" {
			s.Name = strings.TrimPrefix(name, "step-")
		}
		cs, ok := byName[name]
		if ok {
			s.ImageID = cs.ImageID
			s.Waiting, s.Running = cs.State.Waiting, cs.State.Running
			if term := cs.State.Terminated; term != nil {
				t := term.DeepCopy()
				if es, err := contract.ParseState(term.Message); err == nil {
					parsed[i] = &es
					// The step's own exit code, reason and times, not the shim's.
					t.ExitCode, t.Reason, t.Message = int32(es.ExitCode), es.Reason, es.Message
					if es.StartedAt > 0 {
						t.StartedAt = metav1.NewTime(time.UnixMilli(es.StartedAt))
					}
					if es.FinishedAt > 0 {
						t.FinishedAt = metav1.NewTime(time.UnixMilli(es.FinishedAt))
					}
				}
				s.Terminated = t
			}
		}
		tr.Status.Steps[i] = s
	}
	sidecars := map[string]corev1.ContainerStatus{}
	for _, cs := range pod.Status.InitContainerStatuses {
		sidecars[cs.Name] = cs
	}
	tr.Status.Sidecars = nil
	for i, sc := range spec.Sidecars {
		name := podspec.SidecarContainer(i, sc.Name)
		cs := sidecars[name]
		tr.Status.Sidecars = append(tr.Status.Sidecars, windlassv1.SidecarState{
			Name: sc.Name, Container: name, Ready: cs.Ready,
			Running: cs.State.Running, Waiting: cs.State.Waiting, Terminated: cs.State.Terminated,
		})
	}
	return parsed
}

// podOutcome decides whether the run is over and why. A pod deleted or
// evicted before its steps all succeeded ends the run at once, with a reason
// that says so: its killed steps would otherwise look like failing ones, and
// only once the kubelet has stopped them.
func podOutcome(spec *windlassv1.TaskSpec, pod *corev1.Pod, states []*contract.State) outcome {
	out := containerOutcome(spec, pod, states)
	if out.done && out.reason == windlassv1.ReasonSucceeded {
		return out
	}
	if reason, msg, ok := podStopped(pod); ok {
		return outcome{done: true, reason: reason, message: msg}
	}
	return out
}

// podStopped tells whether the pod is being deleted or was evicted, and how:
// the DisruptionTarget condition the API server, the kubelet or the scheduler
// set before they stop a pod names the cause.
func podStopped(pod *corev1.Pod) (reason, message string, stopped bool) {
	var cause *corev1.PodCondition
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue {
			cause = &pod.Status.Conditions[i]
		}
	}
	evicted := pod.Status.Phase == corev1.PodFailed && pod.Status.Reason == "Evicted"
	if cause != nil {
		switch cause.Reason {
		case "EvictionByEvictionAPI", "TerminationByKubelet", "PreemptionByScheduler":
			evicted = true
		}
	}
	switch {
	case evicted:
		why := strings.TrimSpace(pod.Status.Reason + " " + pod.Status.Message)
		if cause != nil {
			why = strings.TrimSpace(cause.Reason + ": " + cause.Message)
		}
		return windlassv1.ReasonPodEvicted, fmt.Sprintf("The pod %s was evicted before the run finished (%s).", pod.Name, why), true
	case !pod.DeletionTimestamp.IsZero():
		msg := fmt.Sprintf("The pod %s was deleted before the run finished", pod.Name)
		if cause != nil {
			msg += fmt.Sprintf(" (%s: %s)", cause.Reason, cause.Message)
		}
		return windlassv1.ReasonPodDeleted, msg + ".", true
	}
	return "", "", false
}

// containerOutcome decides, from the containers' states (not the pod phase,
// which lags by the sandbox teardown), whether the run is over and why.
func containerOutcome(spec *windlassv1.TaskSpec, pod *corev1.Pod, states []*contract.State) outcome {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			msg := "the pod cannot be scheduled: " + c.Message
			if claimNotFound.MatchString(c.Message) {
				// The run's claims are made just before its pod: the
				// scheduler may see the pod first, and tries again when the
				// claim comes.
				return outcome{waiting: msg, waitReason: windlassv1.ReasonUnschedulable}
			}
			return outcome{done: true, reason: windlassv1.ReasonUnschedulable, message: msg}
		}
	}
	var out outcome // what a run still pulling its images says
	all := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range all {
		if w := cs.State.Waiting; w != nil {
			definitive, pulling := failure.ImagePull(w.Reason, w.Message)
			msg := fmt.Sprintf("container %s cannot pull image %s: %s: %s", cs.Name, pullingImage(w.Message, cs.Image), w.Reason, w.Message)
			if definitive {
				return outcome{done: true, reason: windlassv1.ReasonImagePullFailed, message: msg}
			}
			if pulling && out.waiting == "" {
				out.waiting = msg
			}
			if w.Reason == "CreateContainerConfigError" || w.Reason == "CreateContainerError" {
				return outcome{done: true, reason: windlassv1.ReasonCreateContainerErr,
					message: fmt.Sprintf("container %s cannot be created: %s: %s", cs.Name, w.Reason, w.Message)}
			}
		}
	}
	if pod.Status.Phase == corev1.PodFailed && len(states) > 0 && states[len(states)-1] == nil {
		// Evicted or killed before the steps ended.
		return outcome{done: true, reason: windlassv1.ReasonFailed, message: fmt.Sprintf("the pod failed: %s %s", pod.Status.Reason, pod.Status.Message)}
	}
	for _, s := range states {
		if s == nil {
			return out // a step has not finished
		}
	}
	// Every step has ended: the first real failure decides.
	for i, s := range states {
		name := podspec.StepContainer(i, spec.Steps[i].Name)
		switch s.Reason {
		case contract.ReasonTimeoutExceeded:
			return outcome{done: true, reason: windlassv1.ReasonStepTimedOut, message: fmt.Sprintf("%s: %s", name, s.Message)}
		case contract.ReasonResultsTooLarge:
			return outcome{done: true, reason: windlassv1.ReasonResultsTooLarge, message: s.Message}
		case contract.ReasonStartError:
			return outcome{done: true, reason: windlassv1.ReasonFailed, message: fmt.Sprintf("%s could not start: %s", name, s.Message)}
		case contract.ReasonError:
			if spec.Steps[i].OnError != windlassv1.OnErrorContinue {
				msg := fmt.Sprintf("%s exited with code %d", name, s.ExitCode)
				if s.Message != "" { // the step's own word, from its message file
					msg += ": " + s.Message
				}
				return outcome{done: true, reason: windlassv1.ReasonFailed, message: msg}
			}
		}
	}
	last := states[len(states)-1]
	return outcome{done: true, reason: windlassv1.ReasonSucceeded, message: "All steps completed.", results: last.Results, resultsInLog: last.ResultsInLog}
}

// claimNotFound is the scheduler's word for a claim it has not seen.
var claimNotFound = regexp.MustCompile(`persistentvolumeclaim "[^"]*" not found`)

// pullingImage is the container's image, unless the kubelet's pull message
// names another one (`pulling image "REF"`, `pull and unpack image "REF"`):
// the image that fails may be an image volume of the container (the
// entrypoint's). A ref that only spells the container's image out in full
// (a registry, a :latest added) is the container's.
func pullingImage(message, containerImage string) string {
	_, rest, ok := strings.Cut(message, `image "`)
	if !ok {
		return containerImage
	}
	ref, _, ok := strings.Cut(rest, `"`)
	if !ok || ref == "" || strings.Contains(ref, containerImage) || strings.Contains(containerImage, ref) {
		return containerImage
	}
	return ref
}

// typedResults checks raw result files against the declared types and returns
// them in declaration order. Array and object results must be JSON.
func typedResults(spec *windlassv1.TaskSpec, raw map[string]string) ([]windlassv1.TaskRunResult, error) {
	var out []windlassv1.TaskRunResult
	for _, r := range spec.Results {
		v, ok := raw[r.Name]
		if !ok {
			continue
		}
		res := windlassv1.TaskRunResult{Name: r.Name, Type: r.Type}
		switch r.Type {
		case windlassv1.ParamTypeArray:
			var a []string
			if err := json.Unmarshal([]byte(v), &a); err != nil {
				return nil, fmt.Errorf("result %q is declared as an array but is not a JSON array of strings: %w", r.Name, err)
			}
			res.Value = *windlassv1.NewArray(a...)
		case windlassv1.ParamTypeObject:
			var o map[string]string
			if err := json.Unmarshal([]byte(v), &o); err != nil {
				return nil, fmt.Errorf("result %q is declared as an object but is not a JSON object of strings: %w", r.Name, err)
			}
			var missing []string
			for k := range r.Properties {
				if _, ok := o[k]; !ok {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				return nil, fmt.Errorf("result %q lacks the declared key(s) %s", r.Name, strings.Join(missing, ", "))
			}
			res.Value = *windlassv1.NewObject(o)
		default:
			res.Type = windlassv1.ParamTypeString
			res.Value = *windlassv1.NewString(v)
		}
		out = append(out, res)
	}
	return out, nil
}

// runningStep names the step that was running (or next to run) when a run was
// stopped, for the timeout and cancel messages.
func runningStep(tr *windlassv1.TaskRun) string {
	for _, s := range tr.Status.Steps {
		if s.Terminated == nil {
			return s.Container
		}
	}
	return ""
}

// markStopped records the steps that had not finished as stopped with reason.
func markStopped(tr *windlassv1.TaskRun, reason string, now time.Time) {
	for i := range tr.Status.Steps {
		s := &tr.Status.Steps[i]
		if s.Terminated != nil {
			continue
		}
		s.Running, s.Waiting = nil, nil
		s.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, Reason: reason, FinishedAt: metav1.NewTime(now)}
	}
}
