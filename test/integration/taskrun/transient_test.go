package taskrun

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// flakyRegistry is a real registry (go-containerregistry's) holding one
// image whose entrypoint is [/app/serve]; while down is set it answers 503
// to everything, as a registry being restarted does.
type flakyRegistry struct {
	host  string
	down  atomic.Bool
	calls atomic.Int32
}

func newFlakyRegistry(t *testing.T) *flakyRegistry {
	t.Helper()
	f := &flakyRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if f.down.Load() {
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"restarting"}]}`, http.StatusServiceUnavailable)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.host = strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf.Config.Entrypoint = []string{"/app/serve"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(f.host + "/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return f
}

func condition(t *testing.T, tr *windlassv1.TaskRun) metav1.Condition {
	t.Helper()
	c := succeeded(tr)
	if c == nil {
		t.Fatalf("run %s has no condition", tr.Name)
	}
	return *c
}

// TestRegistryDownThenBack: a step without a command needs its image's
// entrypoint. While the registry answers 503 the run waits, saying so and
// until when; when the registry is back, the run gets its pod, with the
// image's entrypoint.
func TestRegistryDownThenBack(t *testing.T) {
	ns := namespace(t)
	reg := newFlakyRegistry(t)
	reg.down.Store(true)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{name: s, image: "+reg.host+"/app:1}]}}\n")
	tr := waitRun(t, ns, "run", "retrying the registry", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Reason == windlassv1.ReasonRegistryUnavailable
	})
	c := condition(t, tr)
	if c.Status != metav1.ConditionUnknown || !contains(c.Message, "spec.steps[0]") || !contains(c.Message, "UNAVAILABLE: restarting") || !contains(c.Message, "retrying until ") {
		t.Fatalf("while the registry is down: %s %s: %s", c.Status, c.Reason, c.Message)
	}
	before := reg.calls.Load()
	waitRun(t, ns, "run", "asked the registry again", func(*windlassv1.TaskRun) bool { return reg.calls.Load() > before })
	reg.down.Store(false)
	pod := waitPod(t, ns, "run")
	if got := strings.Join(pod.Spec.Containers[0].Args, " "); !contains(got, "/app/serve") {
		t.Errorf("the step runs %q, want the image's entrypoint /app/serve", got)
	}
	tr = waitRun(t, ns, "run", "pending on its pod", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Reason == windlassv1.ReasonPending
	})
	if c := condition(t, tr); c.Status != metav1.ConditionUnknown {
		t.Errorf("after the registry came back: %+v", c)
	}
}

// TestRegistryDownPastTheDeadline: a registry that stays down fails the run
// at the transient-error deadline (6s in this suite), with a reason that
// says what was unreachable; a definitive answer (the image does not
// exist) fails it at once, as the spec's error.
func TestRegistryDownPastTheDeadline(t *testing.T) {
	ns := namespace(t)
	down, up := newFlakyRegistry(t), newFlakyRegistry(t)
	down.down.Store(true)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: down}\nspec: {taskSpec: {steps: [{name: s, image: "+down.host+"/app:1}]}}\n")
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: missing}\nspec: {taskSpec: {steps: [{name: s, image: "+up.host+"/nothing:1}]}}\n")
	missing := waitDone(t, ns, "missing", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if c := condition(t, missing); !contains(c.Message, "nothing:1") || !contains(c.Message, "spec.steps[0]") {
		t.Errorf("a missing image: %s: %s", c.Reason, c.Message)
	}
	tr := waitDone(t, ns, "down", metav1.ConditionFalse, windlassv1.ReasonRegistryUnavailable)
	c := condition(t, tr)
	if !contains(c.Message, "UNAVAILABLE: restarting") || !contains(c.Message, "still failing after 6s (--transient-error-timeout)") {
		t.Errorf("message %q", c.Message)
	}
	if took := tr.Status.CompletionTime.Sub(tr.Status.StartTime.Time); took.Seconds() < 6 {
		t.Errorf("failed %s after its start, before the 6s deadline", took)
	}
}

// TestServiceAccountCreatedLater: a run naming a service account that does
// not exist yet waits for it (kubectl apply of a file with both may create
// the run first), and proceeds once it exists.
func TestServiceAccountCreatedLater(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {serviceAccountName: builder, taskSpec: {steps: [{image: x, command: [true]}]}}\n")
	tr := waitRun(t, ns, "run", "waiting for its service account", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Reason == windlassv1.ReasonServiceAccountNotFound
	})
	if c := condition(t, tr); c.Status != metav1.ConditionUnknown || !contains(c.Message, `spec.serviceAccountName: service account "builder" not found; retrying until`) {
		t.Fatalf("%s: %s", c.Status, c.Message)
	}
	if err := k8s.Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "builder"}}); err != nil {
		t.Fatal(err)
	}
	if pod := waitPod(t, ns, "run"); pod.Spec.ServiceAccountName != "builder" {
		t.Errorf("pod service account %q", pod.Spec.ServiceAccountName)
	}
}

// TestTransientImagePullWaits: "pull QPS exceeded" (the kubelet's own
// throttle) and a back-off after a refused connection are waited out; the
// run says so, and runs once the image comes. Past --image-pull-timeout
// (4s in this suite) a pull that keeps failing fails the run.
func TestTransientImagePullWaits(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskSpec: {steps: [{name: s, image: registry.example/app, command: [x]}]}}\n")
	pod := waitPod(t, ns, "run")
	setContainers(t, pod, map[string]corev1.ContainerState{"step-s": {Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "pull QPS exceeded"}}})
	tr := waitRun(t, ns, "run", "waiting for its image", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && contains(c.Message, "pull QPS exceeded")
	})
	if c := condition(t, tr); c.Status != metav1.ConditionUnknown || c.Reason != windlassv1.ReasonPending || !contains(c.Message, "retrying until") {
		t.Fatalf("%s %s: %s", c.Status, c.Reason, c.Message)
	}
	setContainers(t, pod, map[string]corev1.ContainerState{"step-s": running()})
	waitRun(t, ns, "run", "running", func(tr *windlassv1.TaskRun) bool {
		c := succeeded(tr)
		return c != nil && c.Reason == windlassv1.ReasonRunning
	})

	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: stuck}\nspec: {taskSpec: {steps: [{name: s, image: registry.example/app, command: [x]}]}}\n")
	pod = waitPod(t, ns, "stuck")
	setContainers(t, pod, map[string]corev1.ContainerState{"step-s": {Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
		Message: `Back-off pulling image "registry.example/app": ErrImagePull: failed to do request: Head "https://registry.example/v2/app/manifests/latest": dial tcp 10.0.0.1:443: connect: connection refused`}}})
	tr = waitDone(t, ns, "stuck", metav1.ConditionFalse, windlassv1.ReasonImagePullFailed)
	if c := condition(t, tr); !contains(c.Message, "connection refused") || !contains(c.Message, "still failing after 4s (--image-pull-timeout)") {
		t.Errorf("message %q", c.Message)
	}
	waitGone(t, pod)
}
