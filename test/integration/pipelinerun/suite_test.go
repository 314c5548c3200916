// Package pipelinerun proves the PipelineRun controller on a real API server.
// There is no kubelet: tests play the TaskRuns' outcome by writing their status.
package pipelinerun

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/test/util"
)

var k8s client.Client

// cfg is the API server's admin config; util.ClientAs acts as other users from it.
var cfg *rest.Config

func TestMain(m *testing.M) {
	util.RunSuite(m, func(opts *manager.Options) {
		opts.TaskNotFoundTimeout = 3 * time.Second
	}, func(s util.Suite) {
		cfg, k8s = s.Config, s.Client
	})
}

func namespace(t *testing.T) string { return util.Namespace(t, k8s, "pr-") }

func apply(t *testing.T, ns string, obj client.Object, manifest string) {
	util.Create(t, k8s, ns, obj, manifest)
}

func poll(t *testing.T, what string, cond func(ctx context.Context) bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		return cond(ctx), nil
	}); err != nil {
		t.Fatalf("never: %s", what)
	}
}

// waitReason waits until the run's Succeeded condition has reason.
func waitReason(t *testing.T, ns, name, reason string) {
	t.Helper()
	poll(t, name+": "+reason, func(ctx context.Context) bool {
		c := cond(getRun(t, ns, name))
		return c != nil && c.Reason == reason
	})
}

// waitTaskRunCancelled waits until the TaskRun has been asked to stop.
func waitTaskRunCancelled(t *testing.T, ns, name string) {
	t.Helper()
	poll(t, "TaskRun "+name+" cancelled", func(ctx context.Context) bool {
		tr := &windlassv1.TaskRun{}
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tr) == nil && tr.Spec.Status == windlassv1.TaskRunSpecStatusCancelled
	})
}

func getRun(t *testing.T, ns, name string) *windlassv1.PipelineRun {
	t.Helper()
	pr := &windlassv1.PipelineRun{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

func cond(pr *windlassv1.PipelineRun) *metav1.Condition {
	return meta.FindStatusCondition(pr.Status.Conditions, windlassv1.ConditionSucceeded)
}

// waitDone waits for the run's final condition and checks it.
func waitDone(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string) *windlassv1.PipelineRun {
	t.Helper()
	var pr *windlassv1.PipelineRun
	poll(t, "PipelineRun "+name+" finished", func(ctx context.Context) bool {
		pr = getRun(t, ns, name)
		c := cond(pr)
		return c != nil && c.Status != metav1.ConditionUnknown
	})
	if c := cond(pr); c.Status != status || c.Reason != reason {
		b, _ := yaml.Marshal(pr.Status)
		t.Fatalf("PipelineRun %s ended %s/%s, want %s/%s:\n%s", name, c.Status, c.Reason, status, reason, b)
	}
	if pr.Status.CompletionTime == nil {
		t.Fatalf("PipelineRun %s finished without a completionTime", name)
	}
	return pr
}

// taskRuns lists the TaskRuns in ns by name.
func taskRuns(t *testing.T, ns string) []string {
	t.Helper()
	list := &windlassv1.TaskRunList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tr := range list.Items {
		out = append(out, tr.Name)
	}
	sort.Strings(out)
	return out
}

// waitTaskRun waits until the TaskRun exists.
func waitTaskRun(t *testing.T, ns, name string) *windlassv1.TaskRun {
	t.Helper()
	tr := &windlassv1.TaskRun{}
	poll(t, "TaskRun "+name+" created (have "+fmt.Sprint(taskRuns(t, ns))+")", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tr) == nil
	})
	return tr
}

// finish plays the TaskRun's end: a final Succeeded condition and results.
func finish(t *testing.T, ns, name string, ok bool, results ...windlassv1.TaskRunResult) {
	t.Helper()
	waitTaskRun(t, ns, name)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		tr := &windlassv1.TaskRun{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, tr); err != nil {
			return err
		}
		st, reason := metav1.ConditionTrue, windlassv1.ReasonSucceeded
		if !ok {
			st, reason = metav1.ConditionFalse, windlassv1.ReasonFailed
		}
		meta.SetStatusCondition(&tr.Status.Conditions, metav1.Condition{Type: windlassv1.ConditionSucceeded, Status: st, Reason: reason, Message: "played by the test"})
		now := metav1.Now()
		tr.Status.CompletionTime = &now
		tr.Status.Results = results
		return k8s.Status().Update(context.Background(), tr)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func result(name string, v *windlassv1.ParamValue) windlassv1.TaskRunResult {
	return windlassv1.TaskRunResult{Name: name, Value: *v}
}

// updateRun changes a run's spec as a user would, retrying on conflicts with
// the controller's status writes.
func updateRun(t *testing.T, ns, name string, change func(*windlassv1.PipelineRun)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pr := getRun(t, ns, name)
		change(pr)
		return k8s.Update(context.Background(), pr)
	})
	if err != nil {
		t.Fatal(err)
	}
}
