package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// taskRunOnce creates a TaskRun of n `true` steps and times create → the
// Succeeded condition observed True through a watch opened before the create.
func taskRunOnce(ctx context.Context, wc client.WithWatch, ns, name, image string, n int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	w, err := wc.Watch(ctx, &windlassv1.TaskRunList{}, client.InNamespace(ns),
		client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", name)},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}}) // see barePod
	if err != nil {
		return 0, err
	}
	defer w.Stop()
	steps := make([]windlassv1.Step, n)
	for i := range steps {
		steps[i] = windlassv1.Step{Name: fmt.Sprintf("s%d", i), Image: image, Command: []string{"true"}, ImagePullPolicy: corev1.PullIfNotPresent}
	}
	tr := &windlassv1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       windlassv1.TaskRunSpec{TaskSpec: &windlassv1.TaskSpec{Steps: steps}},
	}
	start := time.Now()
	if err := wc.Create(ctx, tr); err != nil {
		return 0, err
	}
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			return 0, fmt.Errorf("%w: TaskRun %s", errWatch, name)
		}
		got, ok := ev.Object.(*windlassv1.TaskRun)
		if !ok {
			continue
		}
		c := meta.FindStatusCondition(got.Status.Conditions, windlassv1.ConditionSucceeded)
		switch {
		case c == nil || c.Status == metav1.ConditionUnknown:
		case c.Status == metav1.ConditionTrue:
			return time.Since(start), nil
		default:
			return 0, fmt.Errorf("TaskRun %s failed: %s: %s", name, c.Reason, c.Message)
		}
	}
	return 0, fmt.Errorf("TaskRun %s: watch ended: %w", name, ctx.Err())
}

// taskRunSample measures one TaskRun of n steps, reads its step hand-offs
// when it has more than one, and deletes it (also when the measurement failed).
func taskRunSample(ctx context.Context, wc client.WithWatch, kube kubernetes.Interface, ns, name, image string, n int) (time.Duration, []time.Duration, error) {
	d, err := taskRunOnce(ctx, wc, ns, name, image, n)
	var h []time.Duration
	if err == nil && n > 1 {
		h, err = handoffs(ctx, kube, ns, name)
	}
	return d, h, errors.Join(err, deleteTaskRun(ctx, wc, kube, ns, name))
}

// deleteTaskRun deletes a measured run and waits until its pod is gone.
func deleteTaskRun(ctx context.Context, wc client.Client, kube kubernetes.Interface, ns, name string) error {
	tr := &windlassv1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if err := client.IgnoreNotFound(wc.Delete(ctx, tr)); err != nil {
		return err
	}
	return settle(ctx, kube, ns, podspec.PodName(name))
}

// handoffs reads the entrypoint's own timestamps from a finished run's pod:
// step i's start minus step i-1's finish.
func handoffs(ctx context.Context, kube kubernetes.Interface, ns, run string) ([]time.Duration, error) {
	pod, err := kube.CoreV1().Pods(ns).Get(ctx, podspec.PodName(run), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	type span struct{ w, s, f int64 }
	var spans []span
	order := map[string]int{}
	for i, c := range pod.Spec.Containers {
		order[c.Name] = i
	}
	spans = make([]span, len(pod.Spec.Containers))
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Terminated == nil {
			return nil, fmt.Errorf("container %s not terminated", cs.Name)
		}
		st, err := contract.ParseState(cs.State.Terminated.Message)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cs.Name, err)
		}
		spans[order[cs.Name]] = span{st.WaitedFrom, st.StartedAt, st.FinishedAt}
	}
	var out []time.Duration
	// The hand-off is from the later of "previous step finished" and "this
	// step's container was up and waiting" to "this step started": the
	// kubelet's serial container starts are measured separately (bare pod).
	for i := 1; i < len(spans); i++ {
		from := max(spans[i-1].f, spans[i].w)
		out = append(out, time.Duration(spans[i].s-from)*time.Millisecond)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
