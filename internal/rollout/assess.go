// Package rollout holds the deploy tool's decisions as pure code: from the
// objects it observed to a verdict (current, in progress, failed and why), the
// set to prune, the inventory of revisions, blue-green colors and the canary's
// share of the replicas. The tool (tasks/deploy) does the I/O.
package rollout

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Labels and names the deploy tool puts on what it applies.
const (
	// LabelDeploy marks every object of an app's deploys: windlass.dev/deploy=APP.
	LabelDeploy = "windlass.dev/deploy"
	// LabelColor tells a blue-green app's two Deployments apart (selector and pods).
	LabelColor = "windlass.dev/color"
	// LabelTrack tells a canary app's stable and canary Deployments apart.
	LabelTrack = "windlass.dev/track"
	// FieldManager is the server-side apply field manager.
	FieldManager = "windlass-deploy"
)

// State is where an object is on its way to current.
type State string

const (
	Current    State = "Current"
	InProgress State = "InProgress"
	Failed     State = "Failed"
)

// Verdict is Assess's answer: the state, and for anything not current, why
// (naming the object, and the pod and container when one is the cause).
type Verdict struct {
	State  State
	Reason string
}

// Observed is what the tool saw of one applied object: the object, and for a
// workload the pods of its newest revision with their events.
type Observed struct {
	Object *unstructured.Unstructured
	Pods   []corev1.Pod
	Events []corev1.Event
}

// fatalWaiting are container waiting reasons that will not fix themselves:
// the rollout fails fast on them instead of waiting for its timeout.
var fatalWaiting = map[string]bool{
	"CrashLoopBackOff":           true,
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// Describe names an object as the verdicts do: Kind.group/name, or Kind/name
// for the core group.
func Describe(u *unstructured.Unstructured) string { return RefOf(u).String() }

// Assess decides whether an applied object is current. kstatus computes the
// object's own state (a failed Job, ProgressDeadlineExceeded, replicas not yet
// updated or available); the pods say why a workload is not there yet, and
// fail it fast on a crash loop or an image that cannot be pulled.
func Assess(o Observed) Verdict {
	what := Describe(o.Object)
	if gen, obs, ok := generations(o.Object); ok && obs < gen {
		// The controller has not seen this spec yet: its status (and its
		// pods) still describe the previous one.
		return Verdict{InProgress, fmt.Sprintf("%s: rollout not yet observed (generation %d, observed %d)", what, gen, obs)}
	}
	res, err := status.Compute(o.Object)
	if err != nil {
		return Verdict{InProgress, fmt.Sprintf("%s: %v", what, err)}
	}
	switch res.Status {
	case status.CurrentStatus:
		return Verdict{State: Current}
	case status.FailedStatus:
		return Verdict{Failed, fmt.Sprintf("%s: %s", what, res.Message)}
	}
	if v, ok := assessPods(what, o.Pods, o.Events); ok {
		return v
	}
	msg := res.Message
	if msg == "" {
		msg = string(res.Status)
	}
	return Verdict{InProgress, fmt.Sprintf("%s: %s", what, msg)}
}

func generations(u *unstructured.Unstructured) (gen, observed int64, ok bool) {
	gen = u.GetGeneration()
	observed, found, err := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	if gen == 0 || err != nil {
		return 0, 0, false
	}
	if !found {
		// A workload's controller writes status.observedGeneration once it
		// has seen it; other kinds (Service, Job) may have none at all.
		if !workload(u) {
			return 0, 0, false
		}
	}
	return gen, observed, true
}

func workload(u *unstructured.Unstructured) bool {
	gk := u.GroupVersionKind().GroupKind()
	switch gk.Group + "/" + gk.Kind {
	case "apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet":
		return true
	}
	return false
}

// assessPods looks for the first pod (by name) that explains the wait: a fatal
// container state fails the rollout; an unschedulable pod or a failing
// readiness probe is the reason it is still in progress.
func assessPods(what string, pods []corev1.Pod, events []corev1.Event) (Verdict, bool) {
	pods = append([]corev1.Pod(nil), pods...)
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
			if w := cs.State.Waiting; w != nil && fatalWaiting[w.Reason] {
				return Verdict{Failed, fmt.Sprintf("%s: pod %s: container %s: %s", what, p.Name, cs.Name, waitingText(cs))}, true
			}
		}
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				return Verdict{InProgress, fmt.Sprintf("%s: pod %s unschedulable: %s", what, p.Name, c.Message)}, true
			}
		}
		if p.Status.Phase == corev1.PodRunning && !podReady(p) {
			for _, cs := range p.Status.ContainerStatuses {
				if t := cs.State.Terminated; t != nil {
					return Verdict{InProgress, fmt.Sprintf("%s: pod %s not ready: container %s exited with code %d (%d restarts)",
						what, p.Name, cs.Name, t.ExitCode, cs.RestartCount)}, true
				}
			}
			if e := LatestProbeEvent(p.Name, events); e != "" {
				return Verdict{InProgress, fmt.Sprintf("%s: pod %s not ready: %s", what, p.Name, e)}, true
			}
		}
	}
	return Verdict{}, false
}

func waitingText(cs corev1.ContainerStatus) string {
	w := cs.State.Waiting
	s := w.Reason
	if t := cs.LastTerminationState.Terminated; t != nil && w.Reason == "CrashLoopBackOff" {
		s += fmt.Sprintf(" (exit code %d", t.ExitCode)
		if t.Reason != "" && t.Reason != "Error" {
			s += ", " + t.Reason
		}
		s += fmt.Sprintf(", %d restarts)", cs.RestartCount)
		return s
	}
	if w.Message != "" {
		s += ": " + firstLine(w.Message)
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// LatestProbeEvent returns the message of the pod's latest readiness-probe
// event ("Readiness probe failed: HTTP probe failed with statuscode: 404"),
// or "".
func LatestProbeEvent(pod string, events []corev1.Event) string {
	var latest *corev1.Event
	var at metav1.Time
	for i := range events {
		e := &events[i]
		if e.InvolvedObject.Kind != "Pod" || e.InvolvedObject.Name != pod || e.Reason != "Unhealthy" ||
			!strings.HasPrefix(e.Message, "Readiness probe") {
			continue
		}
		t := eventTime(e)
		if latest == nil || !t.Before(&at) {
			latest, at = e, t
		}
	}
	if latest == nil {
		return ""
	}
	return firstLine(latest.Message)
}

func eventTime(e *corev1.Event) metav1.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp
	case !e.EventTime.IsZero():
		return metav1.Time{Time: e.EventTime.Time}
	}
	return e.FirstTimestamp
}

// Restarted says which pod's container restarted ("" if none): a canary whose
// container restarts is not promoted, even when it is ready again.
func Restarted(pods []corev1.Pod) string {
	pods = append([]corev1.Pod(nil), pods...)
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.RestartCount > 0 {
				return fmt.Sprintf("pod %s: container %s restarted %d times", p.Name, cs.Name, cs.RestartCount)
			}
		}
	}
	return ""
}

// NewReplicaSet returns the Deployment's ReplicaSet for its current revision
// (owned by it, with its deployment.kubernetes.io/revision), or nil.
func NewReplicaSet(d *appsv1.Deployment, rss []appsv1.ReplicaSet) *appsv1.ReplicaSet {
	const ann = "deployment.kubernetes.io/revision"
	want := d.Annotations[ann]
	if want == "" {
		return nil
	}
	for i := range rss {
		rs := &rss[i]
		if ref := metav1.GetControllerOf(rs); ref == nil || ref.UID != d.UID {
			continue
		}
		if rs.Annotations[ann] == want {
			return rs
		}
	}
	return nil
}

// PodsOf returns the pods of a ReplicaSet (by its pod-template-hash).
func PodsOf(rs *appsv1.ReplicaSet, pods []corev1.Pod) []corev1.Pod {
	if rs == nil {
		return nil
	}
	hash := rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
	var out []corev1.Pod
	for _, p := range pods {
		if hash != "" && p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] == hash {
			out = append(out, p)
		}
	}
	return out
}
