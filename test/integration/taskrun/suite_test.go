// Package taskrun proves the TaskRun controller on a real API server. There is
// no kubelet: tests play it, setting pod status as the entrypoint would leave it.
package taskrun

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/internal/podspec"
	"github.com/windlass-dev/windlass/test/util"
)

const entrypointImage = "registry.example/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111"

var k8s client.Client

func TestMain(m *testing.M) {
	util.RunSuite(m, func(opts *manager.Options) {
		opts.EntrypointImage = entrypointImage
		opts.TaskNotFoundTimeout = 3 * time.Second
		opts.TransientTimeout, opts.ImagePullTimeout = 6*time.Second, 4*time.Second
	}, func(s util.Suite) {
		k8s = s.Client
	})
}

// namespace makes a namespace for one test.
func namespace(t *testing.T) string { return util.Namespace(t, k8s, "tr-") }

// apply creates objects from YAML as a user writes them.
func apply(t *testing.T, ns string, obj client.Object, manifest string) {
	util.Create(t, k8s, ns, obj, manifest)
}

// waitRun waits until cond holds for the TaskRun and returns it.
func waitRun(t *testing.T, ns, name, what string, cond func(*windlassv1.TaskRun) bool) *windlassv1.TaskRun {
	t.Helper()
	tr := &windlassv1.TaskRun{}
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tr)
		return err == nil && cond(tr), nil
	})
	if err != nil {
		b, _ := yaml.Marshal(tr.Status)
		t.Fatalf("TaskRun %s never %s:\n%s", name, what, b)
	}
	return tr
}

func succeeded(tr *windlassv1.TaskRun) *metav1.Condition {
	return meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
}

// reason is the run's Succeeded reason; "" before the controller first wrote one.
func reason(tr *windlassv1.TaskRun) string {
	if c := succeeded(tr); c != nil {
		return c.Reason
	}
	return ""
}

// waitDone waits for a final condition and checks its status and reason.
func waitDone(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string) *windlassv1.TaskRun {
	t.Helper()
	tr := waitRun(t, ns, name, "finished", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Status != metav1.ConditionUnknown
	})
	c := succeeded(tr)
	if c.Status != status || c.Reason != reason {
		t.Fatalf("TaskRun %s ended %s/%s (%s), want %s/%s", name, c.Status, c.Reason, c.Message, status, reason)
	}
	if tr.Status.CompletionTime == nil {
		t.Fatalf("TaskRun %s finished without a completionTime", name)
	}
	return tr
}

// waitPod waits for the run's pod.
func waitPod(t *testing.T, ns, run string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: podspec.PodName(run)}, pod) == nil, nil
	})
	if err != nil {
		t.Fatalf("pod of %s never created", run)
	}
	return pod
}

// terminated plays the kubelet: container i ends with the entrypoint's state JSON.
func setContainers(t *testing.T, pod *corev1.Pod, states map[string]corev1.ContainerState) {
	t.Helper()
	pod.Status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		st, ok := states[c.Name]
		if !ok {
			st = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}
		}
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, State: st})
	}
	pod.Status.Phase = corev1.PodRunning
	if err := k8s.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
}

func ended(msg string) corev1.ContainerState {
	return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", Message: msg}}
}

func running() corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
