// Command bench measures the local cluster (make bench) and prints tables: the
// bare-pod baseline every TaskRun overhead target is compared with (a pod
// running one `true` container, clocked from just before create until a watch
// shows it Running, its container terminated, and the pod Succeeded), then
// TaskRuns of 1 and 20 `true` steps clocked from just before create until a
// watch shows Succeeded=True (P1, P2 of the performance budget).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/manager"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var errWatch = errors.New("watch failed")

func allTerminated(p *corev1.Pod, n int) bool {
	done := 0
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Terminated != nil {
			done++
		}
	}
	return done == n
}

// podTimes are the moments, after create, at which a watch first saw each state.
type podTimes struct{ running, terminated, succeeded time.Duration }

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	runs := fs.Int("runs", 10, "measured runs per series (after one warm-up run)")
	image := fs.String("image", "docker.io/library/busybox:latest", "image of the measured container")
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	taskRuns := fs.Bool("taskruns", true, "also measure TaskRuns (P1, P2): Windlass must be installed")
	steps := fs.Int("steps", 20, "steps of the long TaskRun in P2")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("--runs must be at least 1, got %d", *runs)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig %q: %w", *kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ns, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	defer func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{}) }()
	if err := waitDefaultSA(ctx, kube, ns.Name); err != nil {
		return err
	}

	wc, err := newWatchClient(cfg)
	if err != nil {
		return err
	}
	var running, terminated, succeeded, tr1, trN, bareN, hand []time.Duration
	// One sample of each series per round. The order is shuffled every round:
	// the kubelet removes dead containers in a burst once a minute, and a
	// fixed order whose round lasts about half a minute would let that burst
	// land on the same series round after round. Every sample ends with its
	// pod deleted and gone (sandbox torn down), so none shares the node with
	// the previous one's cleanup.
	type series struct {
		name    string
		measure func(i, attempt int) error
	}
	all := []series{{"bare pod", func(i, a int) error {
		pt, err := barePod(ctx, kube, ns.Name, fmt.Sprintf("bare-%d-%d", i, a), *image, 1)
		if err == nil && i > 0 {
			running, terminated, succeeded = append(running, pt.running), append(terminated, pt.terminated), append(succeeded, pt.succeeded)
		}
		return err
	}}}
	if *taskRuns {
		all = append(all, series{fmt.Sprintf("bare pod of %d containers", *steps), func(i, a int) error {
			pt, err := barePod(ctx, kube, ns.Name, fmt.Sprintf("bare%d-%d-%d", *steps, i, a), *image, *steps)
			if err == nil && i > 0 {
				bareN = append(bareN, pt.terminated)
			}
			return err
		}}, series{"1-step TaskRun", func(i, a int) error {
			d, _, err := taskRunSample(ctx, wc, kube, ns.Name, fmt.Sprintf("tr1-%d-%d", i, a), *image, 1)
			if err == nil && i > 0 {
				tr1 = append(tr1, d)
			}
			return err
		}}, series{fmt.Sprintf("%d-step TaskRun", *steps), func(i, a int) error {
			d, h, err := taskRunSample(ctx, wc, kube, ns.Name, fmt.Sprintf("tr%d-%d-%d", *steps, i, a), *image, *steps)
			if err == nil && i > 0 {
				trN, hand = append(trN, d), append(hand, h...)
			}
			return err
		}})
	}
	for i := 0; i <= *runs; i++ { // round 0 warms the images and the node up
		rand.Shuffle(len(all), func(a, b int) { all[a], all[b] = all[b], all[a] })
		for _, s := range all {
			// A watch error (a just-started API server's watch cache lagging)
			// spoils that sample only: measure it again under a new name.
			if err := retryWatch(func(a int) error { return s.measure(i, a) }); err != nil {
				return fmt.Errorf("%s, round %d: %w", s.name, i, err)
			}
		}
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "series (bare pod, `true`, image present)\tn\tmedian\tp90\tmin\tmax\n")
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{
		{"create → Running", running},
		{"create → container terminated (TaskRun baseline)", terminated},
		{"create → Succeeded", succeeded},
	} {
		s := summarize(row.ds)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", row.name, s.N, secs(s.Median), secs(s.P90), secs(s.Min), secs(s.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !*taskRuns {
		return nil
	}
	bare, one, many, h, bmany := summarize(terminated), summarize(tr1), summarize(trN), summarize(hand), summarize(bareN)
	perStep := (many.Median - one.Median) / time.Duration(*steps-1)
	perContainer := (bmany.Median - bare.Median) / time.Duration(*steps-1)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nseries (TaskRun, `true` steps, image present)\tn\tmedian\tp90\tmin\tmax\n")
	fmt.Fprintf(tw, "1-step TaskRun create → Succeeded\t%d\t%s\t%s\t%s\t%s\n", one.N, secs(one.Median), secs(one.P90), secs(one.Min), secs(one.Max))
	fmt.Fprintf(tw, "%d-step TaskRun create → Succeeded\t%d\t%s\t%s\t%s\t%s\n", *steps, many.N, secs(many.Median), secs(many.P90), secs(many.Min), secs(many.Max))
	fmt.Fprintf(tw, "bare pod of %d `true` containers, create → all terminated\t%d\t%s\t%s\t%s\t%s\n", *steps, bmany.N, secs(bmany.Median), secs(bmany.P90), secs(bmany.Min), secs(bmany.Max))
	fmt.Fprintf(tw, "step → step hand-off (entrypoint timestamps)\t%d\t%s\t%s\t%s\t%s\n", h.N, secs(h.Median), secs(h.P90), secs(h.Min), secs(h.Max))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nP1 1-step TaskRun / bare pod (create → container terminated): %.3f s / %.3f s = %.2f (target ≤ 1.15)\n",
		one.Median.Seconds(), bare.Median.Seconds(), one.Median.Seconds()/bare.Median.Seconds())
	fmt.Fprintf(out, "P2 per-step cost (t%d − t1)/%d: %.3f s (target ≤ 0.25 s); the same for bare containers (the kubelet's floor): %.3f s; hand-off median %d ms (target ≤ 20 ms)\n",
		*steps, *steps-1, perStep.Seconds(), perContainer.Seconds(), h.Median.Milliseconds())
	return nil
}

// retryWatch re-measures a sample spoiled by a watch error, at most twice.
func retryWatch(f func(attempt int) error) error {
	for attempt := 0; ; attempt++ {
		err := f(attempt)
		if !errors.Is(err, errWatch) || attempt == 2 {
			return err
		}
	}
}

func newWatchClient(cfg *rest.Config) (client.WithWatch, error) {
	scheme, err := manager.NewScheme()
	if err != nil {
		return nil, err
	}
	return client.NewWithWatch(cfg, client.Options{Scheme: scheme})
}

func waitDefaultSA(ctx context.Context, kube kubernetes.Interface, ns string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s has no default service account after 30s", ns)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// settle deletes a finished pod the ordinary way and waits until it is gone:
// the kubelet removes it from the API only after tearing its sandbox down, so
// the next sample does not share the node with the previous one's cleanup.
func settle(ctx context.Context, kube kubernetes.Interface, ns, name string) error {
	if err := kube.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			// The kubelet notices container exits at its 1-second relist, so a
			// sample's figure depends on where in that second it starts.
			// Waiting on the kubelet locks every next sample to the same phase;
			// a random pause spreads the starts over the whole second instead.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(rand.N(time.Second)):
				return nil
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("pod %s/%s: still there a minute after its deletion? %w", ns, name, err)
			}
			return fmt.Errorf("pod %s/%s still exists a minute after its deletion", ns, name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// barePod creates one pod and times its states from a watch opened before the create.
func barePod(ctx context.Context, kube kubernetes.Interface, ns, name, image string, n int) (podTimes, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// ResourceVersion "0" starts the watch from the API server's cache as it
	// is, before the create below; without it the server first waits for its
	// cache to reach etcd's latest revision, which on a quiet cluster can time out.
	w, err := kube.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: "0",
	})
	if err != nil {
		return podTimes{}, err
	}
	defer w.Stop()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](0),
		},
	}
	for i := range n {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
			Name: fmt.Sprintf("step-%d", i), Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: []string{"true"},
		})
	}
	start := time.Now()
	if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return podTimes{}, err
	}
	var pt podTimes
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			_ = kube.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
			return pt, fmt.Errorf("%w: pod %s: %w", errWatch, name, apierrors.FromObject(ev.Object))
		}
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		now := time.Since(start)
		if pt.running == 0 && (p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodSucceeded) {
			pt.running = now
		}
		if pt.terminated == 0 && allTerminated(p, n) {
			pt.terminated = now
		}
		switch p.Status.Phase {
		case corev1.PodSucceeded:
			pt.succeeded = now
			return pt, settle(ctx, kube, ns, name)
		case corev1.PodFailed:
			return pt, fmt.Errorf("pod %s failed: %+v", name, p.Status.ContainerStatuses)
		}
	}
	return pt, fmt.Errorf("pod %s: watch ended before it succeeded: %w", name, ctx.Err())
}
