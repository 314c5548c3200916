package rollout

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

func obj(t *testing.T, o runtime.Object, apiVersion, kind string) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	return u
}

func deployment(gen, observed int64, replicas, updated, available int32, conds ...appsv1.DeploymentCondition) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: gen},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status: appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated,
			ReadyReplicas: available, AvailableReplicas: available, Conditions: conds},
	}
}

var available = appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}

var progressing = appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"}

func pod(name string, mod func(*corev1.Pod)) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}}
	if mod != nil {
		mod(&p)
	}
	return p
}

func waiting(reason, msg string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	}
}

func probeEvent(pod, msg string, at time.Time) corev1.Event {
	return corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod}, Reason: "Unhealthy", Message: msg,
		LastTimestamp: metav1.NewTime(at)}
}

func TestAssess(t *testing.T) {
	now := time.Unix(1800000000, 0)
	dep := func(d *appsv1.Deployment) *unstructured.Unstructured { return obj(t, d, "apps/v1", "Deployment") }
	tests := []struct {
		name   string
		o      Observed
		state  State
		reason string // a substring of the verdict's reason
	}{
		{name: "deployment current", o: Observed{Object: dep(deployment(2, 2, 2, 2, 2, progressing, available))}, state: Current},
		{name: "rollout not yet observed", state: InProgress, reason: "Deployment.apps/web: rollout not yet observed (generation 3, observed 2)",
			// the old status says available, and even failed: it describes the previous spec
			o: Observed{Object: dep(deployment(3, 2, 2, 2, 2, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
				Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"})),
				Pods: []corev1.Pod{pod("web-1", waiting("CrashLoopBackOff", ""))}}},
		{name: "no observed generation yet", state: InProgress, reason: "not yet observed (generation 1, observed 0)",
			o: Observed{Object: dep(deployment(1, 0, 1, 0, 0))}},
		{name: "progress deadline exceeded", state: Failed, reason: "Deployment.apps/web: Progress deadline exceeded",
			o: Observed{Object: dep(deployment(2, 2, 2, 1, 1, appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing,
				Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}))}},
		{name: "crash loop", state: Failed, reason: "Deployment.apps/web: pod web-1: container app: CrashLoopBackOff (exit code 3, 2 restarts)",
			o: Observed{Object: dep(deployment(2, 2, 2, 1, 0, progressing)), Pods: []corev1.Pod{pod("web-1", func(p *corev1.Pod) {
				waiting("CrashLoopBackOff", "back-off 10s restarting failed container")(p)
				p.Status.ContainerStatuses[0].RestartCount = 2
				p.Status.ContainerStatuses[0].LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}
			}), pod("web-0", nil)}}},
		{name: "image pull backoff", state: Failed, reason: "pod web-1: container app: ImagePullBackOff: Back-off pulling image \"nope\"",
			o: Observed{Object: dep(deployment(2, 2, 1, 1, 0, progressing)), Pods: []corev1.Pod{pod("web-1", waiting("ImagePullBackOff", "Back-off pulling image \"nope\"\nmore"))}}},
		{name: "err image pull in an init container", state: Failed, reason: "container init: ErrImagePull",
			o: Observed{Object: dep(deployment(2, 2, 1, 1, 0, progressing)), Pods: []corev1.Pod{pod("web-1", func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}
			})}}},
		{name: "readiness failing names the latest probe event", state: InProgress,
			reason: "pod web-1 not ready: Readiness probe failed: HTTP probe failed with statuscode: 404",
			o: Observed{Object: dep(deployment(2, 2, 1, 1, 0, progressing)), Pods: []corev1.Pod{pod("web-1", nil)}, Events: []corev1.Event{
				probeEvent("web-1", "Readiness probe failed: Get \"http://10.0.0.1:8080/\": connection refused", now),
				probeEvent("web-1", "Readiness probe failed: HTTP probe failed with statuscode: 404", now.Add(time.Second)),
				probeEvent("web-2", "Readiness probe failed: other pod", now.Add(time.Minute)),
				{InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1"}, Reason: "Unhealthy", Message: "Liveness probe failed: x", LastTimestamp: metav1.NewTime(now.Add(time.Hour))},
			}}},
		{name: "a container that exited, before its restart", state: InProgress,
			reason: "pod web-1 not ready: container app exited with code 1 (0 restarts)",
			o: Observed{Object: dep(deployment(2, 2, 1, 1, 0, progressing)), Pods: []corev1.Pod{pod("web-1", func(p *corev1.Pod) {
				p.Status.ContainerStatuses[0].State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
			})}, Events: []corev1.Event{probeEvent("web-1", "Readiness probe failed: connection refused", now)}}},
		{name: "unschedulable", state: InProgress, reason: "pod web-1 unschedulable: 0/1 nodes are available: 1 Insufficient cpu.",
			o: Observed{Object: dep(deployment(2, 2, 1, 1, 0, progressing)), Pods: []corev1.Pod{pod("web-1", func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.ContainerStatuses = nil
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable",
					Message: "0/1 nodes are available: 1 Insufficient cpu."}}
			})}}},
		{name: "waiting for replicas", state: InProgress, reason: "Deployment.apps/web: ",
			o: Observed{Object: dep(deployment(2, 2, 2, 1, 1, progressing))}},
		{name: "failed job", state: Failed, reason: "Job.batch/migrate: Job Failed",
			o: Observed{Object: obj(t, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "migrate"}, Status: batchv1.JobStatus{Failed: 1,
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}}}}, "batch/v1", "Job")}},
		{name: "service current", state: Current,
			o: Observed{Object: obj(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 1}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}}, "v1", "Service")}},
		{name: "configmap current", state: Current,
			o: Observed{Object: obj(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}, "v1", "ConfigMap")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Assess(tc.o)
			if v.State != tc.state || !strings.Contains(v.Reason, tc.reason) {
				t.Fatalf("Assess = %+v, want %s with %q", v, tc.state, tc.reason)
			}
		})
	}
}

func TestRestarted(t *testing.T) {
	if got := Restarted([]corev1.Pod{pod("a", nil), pod("b", nil)}); got != "" {
		t.Fatalf("no restarts: got %q", got)
	}
	got := Restarted([]corev1.Pod{pod("b", func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = 1 }), pod("a", nil)})
	if got != "pod b: container app restarted 1 times" {
		t.Fatalf("got %q", got)
	}
}

func TestNewReplicaSetAndPods(t *testing.T) {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: types.UID("d1"),
		Annotations: map[string]string{"deployment.kubernetes.io/revision": "3"}}}
	owned := func(name, rev, hash string, uid types.UID) appsv1.ReplicaSet {
		yes := true
		return appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pod-template-hash": hash},
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": rev},
			OwnerReferences: []metav1.OwnerReference{{UID: uid, Controller: &yes}}}}
	}
	rss := []appsv1.ReplicaSet{owned("old", "2", "aaa", "d1"), owned("other", "3", "ccc", "d2"), owned("new", "3", "bbb", "d1")}
	rs := NewReplicaSet(d, rss)
	if rs == nil || rs.Name != "new" {
		t.Fatalf("NewReplicaSet = %v, want new", rs)
	}
	pods := []corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "p-old", Labels: map[string]string{"pod-template-hash": "aaa"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "p-new", Labels: map[string]string{"pod-template-hash": "bbb"}}},
	}
	if got := PodsOf(rs, pods); len(got) != 1 || got[0].Name != "p-new" {
		t.Fatalf("PodsOf = %v", got)
	}
	if NewReplicaSet(&appsv1.Deployment{}, rss) != nil || PodsOf(nil, pods) != nil {
		t.Fatal("no revision yet: want no ReplicaSet and no pods")
	}
}
