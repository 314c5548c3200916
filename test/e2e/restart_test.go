//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/pipeline"
	"github.com/windlass-dev/windlass/internal/podspec"
)

const controllerNamespace = "windlass-system"

// TestControllerKilledRepeatedlyLosesAndDuplicatesNothing starts 24
// PipelineRuns of 3 sequential tasks and kills the controller (force-deleting
// its pod, so it gets no chance to clean up) again and again while they run.
// Every run must still succeed with exactly one TaskRun per task and exactly
// one pod per TaskRun.
func TestControllerKilledRepeatedlyLosesAndDuplicatesNothing(t *testing.T) {
	const runs, kills = 24, 4
	ns := namespace(t)
	var docs []string
	for i := range runs {
		docs = append(docs, fmt.Sprintf(`apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: chain-%02d}
spec:
  pipelineSpec:
    tasks:
    - {name: one, taskSpec: {results: [{name: acc}], steps: [{image: SHELL, script: 'echo -n 1 > $(results.acc.path)'}]}}
    - {name: two, params: [{name: acc, value: $(tasks.one.results.acc)}], taskSpec: {params: [{name: acc}], results: [{name: acc}], steps: [{image: SHELL, script: 'echo -n $(params.acc)2 > $(results.acc.path)'}]}}
    - {name: three, params: [{name: acc, value: $(tasks.two.results.acc)}], taskSpec: {params: [{name: acc}], results: [{name: acc}], steps: [{image: SHELL, script: 'echo -n $(params.acc)3 > $(results.acc.path)'}]}}
    results: [{name: acc, value: $(tasks.three.results.acc)}]
`, i))
	}
	createObjects(t, ns, strings.Join(docs, "\n---\n"))

	ctx := context.Background()
	for k := 0; k < kills; k++ {
		// Kill a controller that is leading and has work in flight.
		leader := waitControllerPod(t)
		if err := kube.CoreV1().Pods(controllerNamespace).Delete(ctx, leader, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatalf("killing controller pod %s: %v", leader, err)
		}
		t.Logf("kill %d: force-deleted controller pod %s; runs done: %d/%d", k+1, leader, countDone(t, ns), runs)
		// The next kill waits for the replacement to be Ready and to have moved
		// at least one run forward, so every kill lands on a working controller.
		before := progress(t, ns)
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
			return progress(t, ns) > before || countDone(t, ns) == runs, nil
		})
		if err != nil {
			t.Fatalf("no progress after kill %d", k+1)
		}
	}
	err := wait.PollUntilContextTimeout(ctx, time.Second, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		return countDone(t, ns) == runs, nil
	})
	if err != nil {
		t.Fatalf("only %d of %d runs finished", countDone(t, ns), runs)
	}
	for i := range runs {
		name := fmt.Sprintf("chain-%02d", i)
		pr := waitPipelineDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, time.Second)
		if len(pr.Status.Results) != 1 || pr.Status.Results[0].Value.StringVal != "123" {
			t.Errorf("%s results %+v", name, pr.Status.Results)
		}
		trs := &windlassv1.TaskRunList{}
		if err := crc.List(ctx, trs, client.InNamespace(ns), client.MatchingLabels{pipeline.LabelPipelineRun: name}); err != nil {
			t.Fatal(err)
		}
		if len(trs.Items) != 3 {
			t.Errorf("%s has %d TaskRuns, want 3", name, len(trs.Items))
		}
		for _, tr := range trs.Items {
			pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: podspec.LabelTaskRun + "=" + podspec.LabelValue(tr.Name)})
			if err != nil {
				t.Fatal(err)
			}
			// Finished runs' pods are kept (logs); there must be one, never two.
			if len(pods.Items) > 1 {
				t.Errorf("TaskRun %s has %d pods", tr.Name, len(pods.Items))
			}
		}
	}
}

// waitControllerPod returns the Ready controller pod.
func waitControllerPod(t *testing.T) string {
	t.Helper()
	name := ""
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := kube.CoreV1().Pods(controllerNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=windlass"})
		if err != nil {
			return false, nil
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				continue
			}
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					name = p.Name
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatal("no Ready controller pod")
	}
	return name
}

// progress counts finished TaskRuns of the namespace.
func progress(t *testing.T, ns string) int {
	t.Helper()
	trs := &windlassv1.TaskRunList{}
	if err := crc.List(context.Background(), trs, client.InNamespace(ns)); err != nil {
		return 0
	}
	n := 0
	for _, tr := range trs.Items {
		if c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded); c != nil && c.Status != metav1.ConditionUnknown {
			n++
		}
	}
	return n
}

func countDone(t *testing.T, ns string) int {
	t.Helper()
	prs := &windlassv1.PipelineRunList{}
	if err := crc.List(context.Background(), prs, client.InNamespace(ns)); err != nil {
		return 0
	}
	n := 0
	for _, pr := range prs.Items {
		if c := prCondition(&pr); c != nil && c.Status != metav1.ConditionUnknown {
			n++
		}
	}
	return n
}
