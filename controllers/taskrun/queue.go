package taskrun

import (
	"context"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// PriorityNeedsPod is the queue priority of a TaskRun that has no pod yet.
// Starting a run's pod is the one step a user waits on; under load it goes
// ahead of status bookkeeping (finished pods, progress), which can wait a
// little without delaying anyone's work.
const PriorityNeedsPod = 10

// needsPod tells whether a TaskRun has yet to get its pod.
func needsPod(tr *windlassv1.TaskRun) bool {
	return tr.Status.PodName == "" && !isDone(tr) && tr.DeletionTimestamp.IsZero()
}

// runHandler enqueues TaskRuns, those waiting for a pod first.
func runHandler() handler.TypedEventHandler[*windlassv1.TaskRun, reconcile.Request] {
	add := func(tr *windlassv1.TaskRun, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(tr)}
		if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok && needsPod(tr) {
			p := PriorityNeedsPod
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: &p}, req)
			return
		}
		q.Add(req)
	}
	return handler.TypedFuncs[*windlassv1.TaskRun, reconcile.Request]{
		CreateFunc: func(_ context.Context, e event.TypedCreateEvent[*windlassv1.TaskRun], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
		UpdateFunc: func(_ context.Context, e event.TypedUpdateEvent[*windlassv1.TaskRun], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.ObjectNew, q)
		},
		DeleteFunc: func(_ context.Context, e event.TypedDeleteEvent[*windlassv1.TaskRun], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)})
		},
		GenericFunc: func(_ context.Context, e event.TypedGenericEvent[*windlassv1.TaskRun], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(e.Object, q)
		},
	}
}
