//go:build e2e

package e2e

// Faults on the real cluster: a step pod deleted or evicted, the API server
// and etcd restarted, the registry stopped. These tests disturb the whole
// (shared) cluster, so they are not parallel and live in the file that sorts
// last: they run after every other sequential test, while the parallel ones
// are still paused, and each restores the cluster and waits until it is
// healthy before it returns.

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// TestFaultStepPodDeletedOrEvicted deletes one run's step pod and evicts
// another's (Eviction API) while their step runs: each TaskRun fails within
// seconds with a reason naming what happened, and the pipeline task's
// `retries: 1` runs a second attempt, which succeeds.
func TestFaultStepPodDeletedOrEvicted(t *testing.T) {
	ns := namespace(t)
	var docs []string
	for _, name := range []string{"deleted", "evicted"} {
		docs = append(docs, fmt.Sprintf(`apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: %s}
spec:
  pipelineSpec:
    tasks:
    - name: work
      retries: 1
      taskSpec:
        steps:
        - image: SHELL
          script: |
            echo attempt $(context.task.retry-count)
            if [ $(context.task.retry-count) = 0 ]; then sleep 300; fi
`, name))
	}
	createObjects(t, ns, strings.Join(docs, "\n---\n"))
	ctx := context.Background()
	for _, name := range []string{"deleted", "evicted"} {
		trName := name + "-work"
		pod := podspec.PodName(trName)
		waitTaskRun(t, ns, trName, "running its step", time.Minute, func(tr *windlassv1.TaskRun) bool {
			c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
			return c != nil && c.Reason == windlassv1.ReasonRunning && len(tr.Status.Steps) == 1 && tr.Status.Steps[0].Running != nil
		})
		start := time.Now()
		var err error
		if name == "deleted" {
			err = kube.CoreV1().Pods(ns).Delete(ctx, pod, metav1.DeleteOptions{})
		} else {
			err = kube.CoreV1().Pods(ns).EvictV1(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns}})
		}
		if err != nil {
			t.Fatalf("%s pod %s: %v", name, pod, err)
		}
		tr := waitTaskRun(t, ns, trName, "failed", 30*time.Second, func(tr *windlassv1.TaskRun) bool {
			c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
			return c != nil && c.Status == metav1.ConditionFalse
		})
		took := time.Since(start)
		c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
		t.Logf("pod %s %s: TaskRun %s failed %.1fs later: %s: %s", pod, name, trName, took.Seconds(), c.Reason, c.Message)
		want := map[string]string{"deleted": windlassv1.ReasonPodDeleted, "evicted": windlassv1.ReasonPodEvicted}[name]
		if c.Reason != want || !strings.Contains(c.Message, pod) || !strings.Contains(c.Message, " "+name+" ") {
			t.Errorf("TaskRun %s: %s: %s; want reason %s and a message saying the pod was %s", trName, c.Reason, c.Message, want, name)
		}
		if took > 10*time.Second {
			t.Errorf("TaskRun %s took %s to notice its pod was %s", trName, took, name)
		}
		if s := tr.Status.Steps[0].Terminated; s == nil {
			t.Errorf("TaskRun %s: the killed step has no terminated state: %+v", trName, tr.Status.Steps[0])
		}
	}
	for _, name := range []string{"deleted", "evicted"} {
		pr := waitPipelineDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
		var got []string
		for _, c := range pr.Status.ChildReferences {
			got = append(got, fmt.Sprintf("%s@%d", c.Name, c.Attempt))
		}
		if want := fmt.Sprintf("[%s-work@0 %s-work-retry1@1]", name, name); fmt.Sprint(got) != want {
			t.Errorf("PipelineRun %s attempts %v, want %s", name, got, want)
		}
		retry := getTaskRun(t, ns, name+"-work-retry1")
		if log := logs(t, ns, retry.Status.PodName, "step-unnamed-0"); !strings.Contains(log, "attempt 1") {
			t.Errorf("the retry's log: %q", log)
		}
	}
}

// waitTaskRun waits until cond holds for the TaskRun.
func waitTaskRun(t *testing.T, ns, name, what string, timeout time.Duration, cond func(*windlassv1.TaskRun) bool) *windlassv1.TaskRun {
	t.Helper()
	tr := &windlassv1.TaskRun{}
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		return crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tr) == nil && cond(tr), nil
	})
	if err != nil {
		t.Fatalf("TaskRun %s never %s: %+v", name, what, tr.Status)
	}
	return tr
}

// component runs hack/cluster/component.sh ACTION NAME: stops or starts one
// component of the local cluster (the test runs as root on its host).
func component(t *testing.T, action, name string) {
	t.Helper()
	componentOut(t, action, name)
}

// componentOut is component, returning what the script printed: the seconds it took.
func componentOut(t *testing.T, action, name string) string {
	t.Helper()
	out, err := componentScript(action, name)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", action, name, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func componentScript(action, name string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "hack", "cluster", "component.sh")
	out, err := exec.Command(script, action, name).CombinedOutput()
	return string(out), err
}

// apiAnswers reports whether the API server answers /readyz (which checks etcd too).
func apiAnswers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err == nil
}

// waitClusterHealthy waits until the API server answers, the node is Ready
// and a Ready controller pod holds the leader Lease.
func waitClusterHealthy(t *testing.T, timeout time.Duration) {
	t.Helper()
	what := "the API server answering"
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if !apiAnswers(ctx) {
			return false, nil
		}
		what = "the node Ready"
		nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil || len(nodes.Items) == 0 {
			return false, nil
		}
		for _, n := range nodes.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
					return false, nil
				}
			}
		}
		what = "a Ready controller pod leading"
		return controllerLeading(ctx), nil
	})
	if err != nil {
		t.Fatalf("the cluster is not healthy after %s: waiting for %s", timeout, what)
	}
}

// controllerLeading reports whether a Ready controller pod holds the Lease.
func controllerLeading(ctx context.Context) bool {
	lease, err := kube.CoordinationV1().Leases(controllerNamespace).Get(ctx, manager.LeaderElectionID, metav1.GetOptions{})
	if err != nil {
		return false
	}
	if lease.Spec.HolderIdentity == nil || lease.Spec.RenewTime == nil || time.Since(lease.Spec.RenewTime.Time) > 15*time.Second {
		return false
	}
	pods, err := kube.CoreV1().Pods(controllerNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=controller"})
	if err != nil {
		return false
	}
	for _, p := range pods.Items {
		if !strings.HasPrefix(*lease.Spec.HolderIdentity, p.Name) || p.DeletionTimestamp != nil {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return true
			}
		}
	}
	return false
}

// TestFaultAPIServerOrEtcdRestarted runs batches of 20 PipelineRuns (two
// tasks each, the second using the first's result): one undisturbed, for the
// wall time to compare with, one during which kube-apiserver is restarted,
// one during which etcd is. Every run must succeed with exactly its two
// planned TaskRuns and one pod per TaskRun; the cluster must then be healthy
// (node Ready, a controller leading).
func TestFaultAPIServerOrEtcdRestarted(t *testing.T) {
	baseline := faultBatch(t, "")
	for _, c := range []string{"kube-apiserver", "etcd"} {
		took := faultBatch(t, c)
		t.Logf("20 PipelineRuns with %s restarted: %.1fs (undisturbed: %.1fs)", c, took.Seconds(), baseline.Seconds())
	}
}

// faultBatch runs the 20 PipelineRuns, restarting the component (if any)
// once a quarter of their TaskRuns have finished, and returns the wall time.
func faultBatch(t *testing.T, restart string) time.Duration {
	t.Helper()
	const runs = 20
	ns := namespace(t)
	var docs []string
	for i := range runs {
		docs = append(docs, fmt.Sprintf(`apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: run-%02d}
spec:
  pipelineSpec:
    tasks:
    - {name: first, taskSpec: {results: [{name: out}], steps: [{image: SHELL, script: 'sleep 2; echo -n %d > $(results.out.path)'}]}}
    - {name: second, params: [{name: in, value: $(tasks.first.results.out)}], taskSpec: {params: [{name: in}], steps: [{image: SHELL, script: 'sleep 1; test $(params.in) = %d'}]}}
`, i, i, i))
	}
	ctx := context.Background()
	restartsBefore := controllerRestarts(t)
	start := time.Now()
	createObjects(t, ns, strings.Join(docs, "\n---\n"))
	if restart != "" {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
			return progress(t, ns) >= runs/2, nil
		})
		if err != nil {
			t.Fatalf("the runs did not get going before the %s restart", restart)
		}
		t.Logf("restarting %s with %d of %d TaskRuns finished", restart, progress(t, ns), 2*runs)
		down := time.Now()
		out := componentOut(t, "restart", restart)
		err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			return apiAnswers(ctx), nil
		})
		if err != nil {
			t.Fatalf("the API server does not answer 2m after %s restarted", restart)
		}
		t.Logf("%s restarted: the API server answered again %.1fs after the stop began (the script's stop+start: %ss)",
			restart, time.Since(down).Seconds(), strings.TrimSpace(out))
	}
	err := wait.PollUntilContextTimeout(ctx, time.Second, 6*time.Minute, true, func(ctx context.Context) (bool, error) {
		return countDone(t, ns) == runs, nil
	})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("only %d of %d runs finished", countDone(t, ns), runs)
	}
	for i := range runs {
		name := fmt.Sprintf("run-%02d", i)
		waitPipelineDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, time.Second)
	}
	// Exactly the planned TaskRuns, one pod each: nothing made twice.
	trs := &windlassv1.TaskRunList{}
	if err := crc.List(ctx, trs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range trs.Items {
		names = append(names, tr.Name)
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: podspec.LabelTaskRun + "=" + podspec.LabelValue(tr.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) != 1 {
			t.Errorf("TaskRun %s has %d pods, want 1", tr.Name, len(pods.Items))
		}
	}
	var want []string
	for i := range runs {
		want = append(want, fmt.Sprintf("run-%02d-first", i), fmt.Sprintf("run-%02d-second", i))
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("TaskRuns %v, want %v", names, want)
	}
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 2*runs {
		t.Errorf("%d pods in the namespace, want %d (%v)", len(pods.Items), 2*runs, err)
	}
	waitClusterHealthy(t, 3*time.Minute)
	if restart != "" {
		t.Logf("controller container restarts during the %s restart: %d", restart, controllerRestarts(t)-restartsBefore)
	}
	return took
}

// controllerRestarts sums the restart counts of the controller pods.
func controllerRestarts(t *testing.T) int {
	t.Helper()
	pods, err := kube.CoreV1().Pods(controllerNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=controller"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			n += int(cs.RestartCount)
		}
	}
	return n
}

// TestFaultRegistryDown stops the local registry while runs start whose step
// image the node has not pulled yet (a new tag of the shell image). Back
// within about 20 s, the runs wait (Pending, saying which image and until
// when) and then succeed. Kept down past the controller's
// --image-pull-timeout (set to 20s for this part, then restored), they fail
// with ImagePullFailed naming the image and the unreachable registry. The
// registry is started again in every case.
func TestFaultRegistryDown(t *testing.T) {
	t.Cleanup(func() {
		if out, err := componentScript("start", "registry"); err != nil && !strings.Contains(out, "was not stopped") {
			t.Errorf("starting the registry again: %v\n%s", err, out)
		}
	})
	const runs = 3
	t.Run("back within 20s", func(t *testing.T) {
		ns := namespace(t)
		// The node must have every other image the runs use (the entrypoint's
		// was pushed by this build): only the fresh tag is missing.
		createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: warm}
spec:
  taskSpec:
    steps: [{image: SHELL, script: 'true'}]
`)
		waitRunDone(t, ns, "warm", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
		img := freshTag(t)
		component(t, "stop", "registry")
		stopped := time.Now()
		startRegistryRuns(t, ns, img, runs)
		for i := range runs {
			waitTaskRun(t, ns, fmt.Sprintf("pull-%d", i), "waiting for its image", time.Minute, func(tr *windlassv1.TaskRun) bool {
				c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
				return c != nil && c.Status == metav1.ConditionUnknown && strings.Contains(c.Message, "cannot pull image "+img) &&
					strings.Contains(c.Message, "retrying until")
			})
		}
		c := meta.FindStatusCondition(getTaskRun(t, ns, "pull-0").Status.Conditions, windlassv1.ConditionSucceeded)
		t.Logf("while the registry is down: %s: %s", c.Reason, c.Message)
		// The outage this part is about: about 20 s, then the registry returns.
		time.Sleep(time.Until(stopped.Add(20 * time.Second)))
		component(t, "start", "registry")
		back := time.Now()
		for i := range runs {
			waitRunDone(t, ns, fmt.Sprintf("pull-%d", i), metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
		}
		t.Logf("registry down %.1fs; all %d runs succeeded %.1fs after it returned", back.Sub(stopped).Seconds(), runs, time.Since(back).Seconds())
	})
	t.Run("kept down past --image-pull-timeout", func(t *testing.T) {
		ns := namespace(t)
		img := freshTag(t)
		setControllerArg(t, "--image-pull-timeout=", "20s")
		component(t, "stop", "registry")
		stopped := time.Now()
		startRegistryRuns(t, ns, img, runs)
		for i := range runs {
			name := fmt.Sprintf("pull-%d", i)
			tr := waitRunDone(t, ns, name, metav1.ConditionFalse, windlassv1.ReasonImagePullFailed, 2*time.Minute)
			msg := message(tr)
			if i == 0 {
				t.Logf("%s failed %.1fs after the registry stopped: %s", name, time.Since(stopped).Seconds(), msg)
			}
			registry := strings.SplitN(img, "/", 2)[0]
			if !strings.Contains(msg, img) || !strings.Contains(msg, registry) || !strings.Contains(msg, "--image-pull-timeout") || strings.Contains(msg, "was running") {
				t.Errorf("%s: the message should name the image %s, the registry %s and the timeout (and no step as running): %s", name, img, registry, msg)
			}
		}
		component(t, "start", "registry")
	})
}

// startRegistryRuns creates TaskRuns pull-0..n-1 whose one step uses img.
func startRegistryRuns(t *testing.T, ns, img string, n int) {
	t.Helper()
	var docs []string
	for i := range n {
		docs = append(docs, fmt.Sprintf(`apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: pull-%d}
spec:
  taskSpec:
    steps: [{image: %s, script: 'echo pulled'}]
`, i, img))
	}
	createObjects(t, ns, strings.Join(docs, "\n---\n"))
}

// freshTag tags the shell image anew in the local registry: a reference the
// node has never pulled, so its kubelet must ask the registry.
func freshTag(t *testing.T) string {
	t.Helper()
	src, err := name.ParseReference(image(t, "shell"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := name.NewTag(fmt.Sprintf("%s/windlass/fault:%d", src.Context().RegistryStr(), time.Now().UnixNano()), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(dst, desc); err != nil {
		t.Fatal(err)
	}
	return dst.String()
}

// setControllerArg sets the controller's flag (prefix "--flag=") to value,
// waits until a controller pod with it leads, and restores the Deployment's
// args when the test ends (waiting again).
func setControllerArg(t *testing.T, prefix, value string) {
	t.Helper()
	ctx := context.Background()
	deployments := kube.AppsV1().Deployments(controllerNamespace)
	d, err := deployments.Get(ctx, "windlass-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	orig := append([]string(nil), d.Spec.Template.Spec.Containers[0].Args...)
	set := func(args []string) {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			d, err := deployments.Get(ctx, "windlass-controller", metav1.GetOptions{})
			if err != nil {
				return err
			}
			d.Spec.Template.Spec.Containers[0].Args = args
			_, err = deployments.Update(ctx, d, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("updating the controller's args: %v", err)
		}
		waitControllerRolledOut(t, args)
	}
	t.Cleanup(func() { set(orig) })
	var args []string
	for _, a := range orig {
		if !strings.HasPrefix(a, prefix) {
			args = append(args, a)
		}
	}
	set(append(args, prefix+value))
}

// waitControllerRolledOut waits until the only controller pod runs with args, is Ready and leads.
func waitControllerRolledOut(t *testing.T, args []string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := kube.CoreV1().Pods(controllerNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=controller"})
		if err != nil || len(pods.Items) != 1 || fmt.Sprint(pods.Items[0].Spec.Containers[0].Args) != fmt.Sprint(args) {
			return false, nil
		}
		return controllerLeading(ctx), nil
	})
	if err != nil {
		t.Fatalf("no controller pod with args %v leads", args)
	}
}
