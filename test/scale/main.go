// Command scale measures the PipelineRun engine at scale (make bench-scale):
// the real controller binary, as its own process, against a real API server
// and etcd (envtest), with a simulated kubelet that drives every pod the
// controller creates to Succeeded with the termination state the entrypoint
// would write. It prints:
//
//	P3: N PipelineRuns of 3 sequential tasks created at once: sustained
//	    TaskRuns completed per second, TaskRun created → pod created p50/p99,
//	    PipelineRun create → Succeeded p50/p99;
//	P4: the controller's resident memory with M PipelineRuns live (each with
//	    a running TaskRun and pod).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/test/util"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	runs := flag.Int("runs", 500, "PipelineRuns of P3, created at once")
	live := flag.Int("live", 1000, "live PipelineRuns of P4")
	controllerArgs := flag.String("controller-args", "", "extra flags for the controller, space separated")
	requests := flag.Bool("api-requests", false, "print the API server's request counts for Windlass kinds, pods and events after P3")
	profile := flag.String("apiserver-profile", "", "write a 15 s CPU profile of the API server taken during P3 to this file")
	flag.Parse()

	env, cfg, err := util.StartEnv()
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = 2000, 4000
	scheme, err := manager.NewScheme()
	if err != nil {
		return err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	// The simulated kubelet talks protobuf, as a real kubelet does.
	pcfg := rest.CopyConfig(cfg)
	pcfg.ContentType = "application/vnd.kubernetes.protobuf"
	pcfg.AcceptContentTypes = pcfg.ContentType + ",application/json"
	kubeletClient, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "windlass-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kubeconfig, err := writeKubeconfig(env, dir)
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "controller")
	build := exec.Command("go", "build", "-o", bin, "./cmd/controller")
	build.Dir, build.Stdout, build.Stderr = util.RepoRoot(), os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the controller: %w", err)
	}

	// Interrupted (Ctrl-C, a timeout), the deferred stops still run: no API
	// server, etcd or controller is left behind.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	kubelet := &simKubelet{kube: kubeletClient}
	go kubelet.run(ctx)

	// P3
	ctrl, err := startController(bin, kubeconfig, dir, *controllerArgs)
	if err != nil {
		return err
	}
	cpu0, self0, busy0, wall0 := ctrl.cpu(), selfCPU(), machineBusy(), time.Now()
	api0, etcd0 := childCPU("kube-apiserver"), childCPU("etcd")
	if *profile != "" {
		go func() {
			data, err := kube.CoreV1().RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", "15").Timeout(time.Minute).DoRaw(ctx)
			if err == nil {
				err = os.WriteFile(*profile, data, 0o644)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "API server profile:", err)
			}
		}()
	}
	p3, err := throughput(ctrl.watch(ctx), c, kubelet, *runs)
	if err != nil {
		ctrl.stop()
		return err
	}
	ctrlCPU, benchCPU, busy, wall := ctrl.cpu()-cpu0, selfCPU()-self0, machineBusy()-busy0, time.Since(wall0)
	apiCPU, etcdCPU := childCPU("kube-apiserver")-api0, childCPU("etcd")-etcd0
	if *requests {
		data, _ := kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "apiserver_request_total{") && (strings.Contains(line, "windlass") || strings.Contains(line, "resource=\"pods\"") || strings.Contains(line, "events")) {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}
	p3peak := ctrl.peakRSS()
	ctrl.stop()

	// P4: a fresh controller (no cache of P3's objects), runs that stay live.
	if err := deleteAll(ctx, c, kube, "p3"); err != nil {
		return err
	}
	kubelet.setHold(true)
	ctrl, err = startController(bin, kubeconfig, dir, *controllerArgs)
	if err != nil {
		return err
	}
	defer ctrl.stop()
	rss, err := liveMemory(ctrl.watch(ctx), c, kube, ctrl, *live)
	if err != nil {
		return err
	}

	fmt.Printf("\nP3: %d PipelineRuns × 3 sequential tasks, created at once (controller defaults%s)\n", *runs, argsNote(*controllerArgs))
	fmt.Printf("  TaskRuns completed: %d in %.1f s; sustained (10th→90th percentile of completions): %.1f TaskRuns/s (target ≥ 50)\n",
		p3.completed, p3.span.Seconds(), p3.sustained)
	fmt.Printf("  TaskRun created → pod created: p50 %s, p99 %s (target p99 ≤ 1 s)\n", ms(p3.podP50), ms(p3.podP99))
	fmt.Printf("  PipelineRun create → Succeeded: p50 %.1f s, p99 %.1f s\n", p3.prP50.Seconds(), p3.prP99.Seconds())
	fmt.Printf("  controller peak RSS during P3: %d MiB\n", p3peak>>20)
	fmt.Printf("  CPU during P3: machine %.0f s busy of %.0f s available; controller %.0f s, this harness (simulated kubelet, watches) %.0f s, API server %.0f s, etcd %.0f s, rest %.0f s\n",
		busy, wall.Seconds()*float64(runtime.NumCPU()), ctrlCPU, benchCPU, apiCPU, etcdCPU, busy-ctrlCPU-benchCPU-apiCPU-etcdCPU)
	fmt.Printf("  per TaskRun: API server %.1f ms, etcd %.1f ms, controller %.1f ms of CPU\n",
		1000*apiCPU/float64(p3.completed), 1000*etcdCPU/float64(p3.completed), 1000*ctrlCPU/float64(p3.completed))
	fmt.Printf("P4: controller RSS with %d live PipelineRuns (each with a running TaskRun and pod): %d MiB, peak %d MiB (target ≤ 300 MiB)\n",
		*live, rss>>20, ctrl.peakRSS()>>20)
	return nil
}

func argsNote(a string) string {
	if a == "" {
		return ""
	}
	return " plus " + a
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func writeKubeconfig(env *envtest.Environment, dir string) (string, error) {
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "windlass-scale", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// controllerProc is the controller binary running as its own process.
type controllerProc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has ended
}

// watch returns a context cancelled when ctx is or when the controller
// exits: a controller that fails to start ends the benchmark at once.
func (p *controllerProc) watch(ctx context.Context) context.Context {
	wctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-p.exited:
			cancel(fmt.Errorf("the controller exited (%v): see bin/scale-controller.log", p.cmd.ProcessState))
		case <-wctx.Done():
		}
	}()
	return wctx
}

func startController(bin, kubeconfig, dir, extra string) (*controllerProc, error) {
	args := []string{
		"--entrypoint-image=registry.example/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"--metrics-bind-address=0", "--health-probe-bind-address=127.0.0.1:0",
	}
	if extra != "" {
		args = append(args, strings.Fields(extra)...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	logf, err := os.Create(filepath.Join(util.RepoRoot(), "bin", "scale-controller.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &controllerProc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *controllerProc) stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// status reads a field (kB) of /proc/PID/status.
func (p *controllerProc) status(field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			var kb int64
			_, _ = fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, field+":")), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// cpu is the process's user+system CPU seconds so far.
func (p *controllerProc) cpu() float64 { return procCPU(p.cmd.Process.Pid) }

// childCPU is the CPU seconds so far of this process's children named comm
// (envtest's kube-apiserver and etcd).
func childCPU(comm string) float64 {
	var total float64
	for _, pid := range util.ChildPIDs(comm) {
		total += procCPU(pid)
	}
	return total
}

// procCPU is a process's user+system CPU seconds so far.
func procCPU(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data)[strings.LastIndexByte(string(data), ')')+2:])
	var ut, st float64
	_, _ = fmt.Sscanf(f[11], "%f", &ut)
	_, _ = fmt.Sscanf(f[12], "%f", &st)
	return (ut + st) / 100 // USER_HZ
}

func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// machineBusy is the CPU seconds all cores spent not idle, from /proc/stat.
func machineBusy() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(strings.SplitN(string(data), "\n", 2)[0])[1:]
	var total, idle float64
	for i, v := range f {
		var x float64
		_, _ = fmt.Sscanf(v, "%f", &x)
		total += x
		if i == 3 || i == 4 { // idle, iowait
			idle += x
		}
	}
	return (total - idle) / 100
}

func (p *controllerProc) rss() int64     { return p.status("VmRSS") }
func (p *controllerProc) peakRSS() int64 { return p.status("VmHWM") }

// pipelineRun is a run of three sequential one-step tasks (or, held, one task).
func pipelineRun(ns, name string, tasks int) *windlassv1.PipelineRun {
	spec := &windlassv1.PipelineSpec{}
	for i := range tasks {
		pt := windlassv1.PipelineTask{
			Name:     fmt.Sprintf("t%d", i),
			TaskSpec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Name: "run", Image: "busybox", Command: []string{"true"}}}},
		}
		if i > 0 {
			pt.RunAfter = []string{fmt.Sprintf("t%d", i-1)}
		}
		spec.Tasks = append(spec.Tasks, pt)
	}
	return &windlassv1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: windlassv1.PipelineRunSpec{PipelineSpec: spec}}
}

type p3Result struct {
	completed                    int
	span                         time.Duration
	sustained                    float64
	podP50, podP99, prP50, prP99 time.Duration
}

// throughput creates n PipelineRuns at once and times them through watches.
func throughput(ctx context.Context, c client.WithWatch, k *simKubelet, n int) (p3Result, error) {
	const ns = "p3"
	if err := createNamespace(ctx, c, ns); err != nil {
		return p3Result{}, err
	}
	var mu sync.Mutex
	trCreated := map[string]time.Time{}
	var trDone []time.Time
	seenDone := map[string]bool{}
	prStart, prDone := map[string]time.Time{}, map[string]time.Duration{}

	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go watchAll(wctx, c, &windlassv1.TaskRunList{}, ns, func(ev watch.Event) {
		{
			tr, ok := ev.Object.(*windlassv1.TaskRun)
			if !ok {
				return
			}
			now := time.Now()
			mu.Lock()
			if _, seen := trCreated[tr.Name]; !seen && ev.Type == watch.Added {
				trCreated[tr.Name] = now
			}
			if cnd := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded); cnd != nil && cnd.Status == metav1.ConditionTrue && !seenDone[tr.Name] {
				seenDone[tr.Name] = true
				trDone = append(trDone, now)
			}
			mu.Unlock()
		}
	})
	allDone := make(chan struct{})
	go watchAll(wctx, c, &windlassv1.PipelineRunList{}, ns, func(ev watch.Event) {
		{
			pr, ok := ev.Object.(*windlassv1.PipelineRun)
			if !ok {
				return
			}
			cnd := meta.FindStatusCondition(pr.Status.Conditions, windlassv1.ConditionSucceeded)
			if cnd == nil || cnd.Status == metav1.ConditionUnknown {
				return
			}
			mu.Lock()
			if _, done := prDone[pr.Name]; !done {
				if cnd.Status != metav1.ConditionTrue {
					fmt.Fprintf(os.Stderr, "PipelineRun %s: %s: %s\n", pr.Name, cnd.Reason, cnd.Message)
				}
				prDone[pr.Name] = time.Since(prStart[pr.Name])
				if len(prDone) == n {
					close(allDone)
				}
			}
			mu.Unlock()
		}
	})

	// Create them all at once, from 32 clients' worth of concurrency.
	work := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := fmt.Sprintf("run-%04d", i)
				mu.Lock()
				prStart[name] = time.Now()
				mu.Unlock()
				if err := c.Create(ctx, pipelineRun(ns, name, 3)); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return p3Result{}, err
	}
	timeout := time.After(15 * time.Minute)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-allDone:
			break wait
		case <-tick.C:
			mu.Lock()
			fmt.Fprintf(os.Stderr, "P3 progress: %d TaskRuns created, %d finished, %d of %d PipelineRuns done\n", len(trCreated), len(trDone), len(prDone), n)
			mu.Unlock()
		case <-ctx.Done():
			return p3Result{}, context.Cause(ctx)
		case <-timeout:
			mu.Lock()
			defer mu.Unlock()
			return p3Result{}, fmt.Errorf("only %d of %d PipelineRuns finished in 15 minutes", len(prDone), n)
		}
	}
	stop()

	mu.Lock()
	defer mu.Unlock()
	var podLat, prLat []time.Duration
	for tr, at := range trCreated {
		if pod, ok := k.created(tr + "-pod"); ok {
			podLat = append(podLat, pod.Sub(at))
		}
	}
	for _, d := range prDone {
		prLat = append(prLat, d)
	}
	sortTimes(trDone)
	res := p3Result{completed: len(trDone)}
	if len(trDone) > 10 {
		lo, hi := trDone[len(trDone)/10], trDone[len(trDone)*9/10]
		res.sustained = float64(len(trDone)*8/10) / hi.Sub(lo).Seconds()
		res.span = trDone[len(trDone)-1].Sub(trDone[0])
	}
	res.podP50, res.podP99 = percentile(podLat, 50), percentile(podLat, 99)
	res.prP50, res.prP99 = percentile(prLat, 50), percentile(prLat, 99)
	return res, nil
}

// liveMemory creates n runs whose first task's pod keeps running, waits until
// the controller has made all their TaskRuns and pods, then reads its RSS.
func liveMemory(ctx context.Context, c client.Client, kube kubernetes.Interface, ctrl *controllerProc, n int) (int64, error) {
	const ns = "p4"
	if err := createNamespace(ctx, c, ns); err != nil {
		return 0, err
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				_ = c.Create(ctx, pipelineRun(ns, fmt.Sprintf("live-%04d", i), 3))
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		list := &windlassv1.PipelineRunList{}
		if err := c.List(ctx, list, client.InNamespace(ns)); err != nil {
			return 0, err
		}
		running := 0
		for _, pr := range list.Items {
			if cnd := meta.FindStatusCondition(pr.Status.Conditions, windlassv1.ConditionSucceeded); cnd != nil && cnd.Reason == windlassv1.ReasonRunning && len(pr.Status.ChildReferences) > 0 {
				running++
			}
		}
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return 0, err
		}
		if running == n && len(pods.Items) == n {
			break
		}
		if ctx.Err() != nil {
			return 0, context.Cause(ctx)
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("after 10 minutes %d of %d runs are running with %d pods", running, n, len(pods.Items))
		}
		time.Sleep(time.Second) // polling a large list, not waiting for a race
	}
	// Steady state: the largest of a few readings a second apart.
	var rss int64
	for range 5 {
		rss = max(rss, ctrl.rss())
		time.Sleep(time.Second)
	}
	return rss, nil
}

// watchAll feeds every event of a kind in ns to handle until ctx ends,
// re-opening the watch whenever the server closes it or reports an error. It
// starts from the API server's cache (resourceVersion 0): a consistent start
// can time out while the cache catches up under load. Re-opened watches replay
// existing objects as Added, so handle must be idempotent.
func watchAll(ctx context.Context, c client.WithWatch, list client.ObjectList, ns string, handle func(watch.Event)) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, list, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}})
		if err != nil {
			time.Sleep(100 * time.Millisecond) // the API server is busy: try again
			continue
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break
			}
			handle(ev)
		}
		w.Stop()
	}
}

func createNamespace(ctx context.Context, c client.Client, name string) error {
	return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// deleteAll removes a namespace's runs, TaskRuns and pods (envtest has no
// garbage collector or namespace controller to do it).
func deleteAll(ctx context.Context, c client.Client, kube kubernetes.Interface, ns string) error {
	for _, obj := range []client.Object{&windlassv1.PipelineRun{}, &windlassv1.TaskRun{}} {
		if err := c.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil {
			return err
		}
	}
	return kube.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{})
}
