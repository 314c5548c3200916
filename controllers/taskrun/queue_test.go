package taskrun

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestRunHandlerPutsRunsWaitingForAPodFirst(t *testing.T) {
	run := func(name, podName string, cond metav1.ConditionStatus) *windlassv1.TaskRun {
		tr := &windlassv1.TaskRun{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: "1"}}
		tr.Status.PodName = podName
		if cond != "" {
			tr.Status.Conditions = []metav1.Condition{{Type: windlassv1.ConditionSucceeded, Status: cond}}
		}
		return tr
	}
	q := priorityqueue.New[reconcile.Request]("test")
	defer q.ShutDown()
	h := runHandler()
	ctx := context.Background()
	running, older := run("running", "running-pod", metav1.ConditionUnknown), run("running", "", "")
	older.ResourceVersion = "0"
	h.Create(ctx, event.TypedCreateEvent[*windlassv1.TaskRun]{Object: run("done", "done-pod", metav1.ConditionTrue)}, q)
	h.Update(ctx, event.TypedUpdateEvent[*windlassv1.TaskRun]{ObjectOld: older, ObjectNew: running}, q)
	h.Create(ctx, event.TypedCreateEvent[*windlassv1.TaskRun]{Object: run("new", "", "")}, q)

	want := []struct {
		name     string
		priority int
	}{{"new", PriorityNeedsPod}, {"done", 0}, {"running", 0}}
	for _, w := range want {
		item, prio, _ := q.GetWithPriority()
		if item.Name != w.name || prio != w.priority {
			t.Errorf("got %s at priority %d, want %s at %d", item.Name, prio, w.name, w.priority)
		}
		q.Done(item)
	}
}
