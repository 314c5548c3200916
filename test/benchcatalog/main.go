// Command benchcatalog measures P7 of the performance budget on the local
// cluster (make bench-catalog): each catalog task run as a TaskRun beside a
// bare pod that runs the same tool containers with the same arguments (no
// Windlass controller, entrypoint or results), in alternating order, and the
// BuildKit build of a small app cold (no cache) and warm (registry cache of
// the same source). Windlass's share of a task is (TaskRun - bare pod) /
// TaskRun, both measured from create to done by the same client.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-catalog:", err)
		os.Exit(1)
	}
}

// bench holds the clients and the namespace of one run.
type bench struct {
	c    client.Client
	kube kubernetes.Interface
	ns   string
	seq  int
}

// sample is one measured run: its wall time and the tool's own time from its log.
type sample struct{ wall, tool time.Duration }

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flagSet()
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig %q: %w", *kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	scheme, err := manager.NewScheme()
	if err != nil {
		return err
	}
	b := &bench{}
	if b.c, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	if b.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-catalog-"}}
	if err := b.c.Create(ctx, ns); err != nil {
		return err
	}
	b.ns = ns.Name
	defer func() { _ = b.c.Delete(context.Background(), ns) }()
	cases, err := b.setUp(ctx)
	if err != nil {
		return fmt.Errorf("setting up: %w", err)
	}
	fmt.Fprintf(out, "namespace %s, %d rounds; each task as a TaskRun and as a bare pod with the same containers, alternating\n", b.ns, *rounds)
	results := map[string]map[string][]sample{} // case -> "taskrun"/"pod" -> samples
	for r := 0; r < *rounds; r++ {
		for _, cs := range cases {
			if results[cs.name] == nil {
				results[cs.name] = map[string][]sample{}
			}
			order := []string{"taskrun", "pod"}
			if r%2 == 1 {
				order = []string{"pod", "taskrun"}
			}
			for _, kind := range order {
				var s sample
				var err error
				if kind == "taskrun" {
					s, err = b.taskRun(ctx, cs)
				} else {
					s, err = b.pod(ctx, cs)
				}
				if err != nil {
					return fmt.Errorf("%s as a %s: %w", cs.name, kind, err)
				}
				results[cs.name][kind] = append(results[cs.name][kind], s)
			}
		}
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "task\tbare pod p50\tTaskRun p50\tWindlass share\ttool's own (log) p50\t")
	for _, cs := range cases {
		pod, tr := p50(results[cs.name]["pod"], false), p50(results[cs.name]["taskrun"], false)
		tool := "-"
		if t := p50(results[cs.name]["taskrun"], true); t > 0 {
			tool = secs(t)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f%%\t%s\t\n", cs.name, secs(pod), secs(tr), 100*(tr-pod).Seconds()/tr.Seconds(), tool)
	}
	_ = tw.Flush()
	cold, warm := p50(results["buildkit-build cold"]["taskrun"], false), p50(results["buildkit-build warm"]["taskrun"], false)
	fmt.Fprintf(out, "\nbuild of the app: cold %s, warm (every layer from the registry cache) %s: %.2fx\n", secs(cold), secs(warm), warm.Seconds()/cold.Seconds())
	fmt.Fprintln(out, "target: Windlass's share <= 10% of each catalog task's wall time")
	return nil
}

func p50(s []sample, tool bool) time.Duration {
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = x.wall
		if tool {
			d[i] = x.tool
		}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d) == 0 {
		return 0
	}
	return d[len(d)/2]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// taskRun runs the case's TaskRun and times it from create to its end.
func (b *bench) taskRun(ctx context.Context, cs benchCase) (sample, error) {
	b.seq++
	tr := cs.taskRun(fmt.Sprintf("tr-%d", b.seq))
	tr.Namespace = b.ns
	start := time.Now()
	if err := b.c.Create(ctx, tr); err != nil {
		return sample{}, err
	}
	var cond *metav1.Condition
	err := poll(ctx, func() (bool, error) {
		if err := b.c.Get(ctx, client.ObjectKeyFromObject(tr), tr); err != nil {
			return false, err
		}
		cond = meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
		return cond != nil && cond.Status != metav1.ConditionUnknown, nil
	})
	wall := time.Since(start)
	if err != nil {
		return sample{}, err
	}
	if cond.Status != metav1.ConditionTrue {
		return sample{}, fmt.Errorf("TaskRun %s: %s: %s", tr.Name, cond.Reason, cond.Message)
	}
	logs, err := b.logs(ctx, tr.Status.PodName, "step-"+cs.step)
	if err != nil {
		return sample{}, err
	}
	return sample{wall: wall, tool: toolTime(logs)}, nil
}

// pod runs the case's bare pod and times it from create to the moment its
// containers have all ended (as make bench does: the pod's phase follows later,
// on the kubelet's own schedule, and a TaskRun does not wait for it either).
func (b *bench) pod(ctx context.Context, cs benchCase) (sample, error) {
	b.seq++
	p := cs.pod(fmt.Sprintf("pod-%d", b.seq))
	p.Namespace = b.ns
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	start := time.Now()
	if err := b.c.Create(ctx, p); err != nil {
		return sample{}, err
	}
	err := poll(ctx, func() (bool, error) {
		if err := b.c.Get(ctx, client.ObjectKeyFromObject(p), p); err != nil {
			return false, err
		}
		ended := len(p.Status.ContainerStatuses) == len(p.Spec.Containers)
		for _, cs := range p.Status.ContainerStatuses {
			ended = ended && cs.State.Terminated != nil
		}
		return ended || p.Status.Phase == corev1.PodFailed, nil
	})
	wall := time.Since(start)
	if err != nil {
		return sample{}, err
	}
	failed := p.Status.Phase == corev1.PodFailed
	for _, cs := range p.Status.ContainerStatuses {
		failed = failed || cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0
	}
	if failed {
		logs, _ := b.logs(ctx, p.Name, cs.step)
		return sample{}, fmt.Errorf("pod %s failed: %s", p.Name, logs)
	}
	return sample{wall: wall}, nil
}

func poll(ctx context.Context, done func() (bool, error)) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after 10 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (b *bench) logs(ctx context.Context, pod, container string) (string, error) {
	data, err := b.kube.CoreV1().Pods(b.ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(ctx)
	return string(data), err
}

// toolTime reads the tool's own time from the last line that reports one:
// git-clone "in 0.12s", buildkit-build "build 1.23s", trivy-scan "in 2.34s".
var toolTimeRE = regexp.MustCompile(`(?:build| in) ([0-9]+\.[0-9]+)s`)

func toolTime(logs string) time.Duration {
	var d time.Duration
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		if m := toolTimeRE.FindAllStringSubmatch(sc.Text(), -1); m != nil {
			f, _ := strconv.ParseFloat(m[len(m)-1][1], 64)
			d = time.Duration(f * float64(time.Second))
		}
	}
	return d
}
