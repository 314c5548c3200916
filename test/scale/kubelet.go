package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// simKubelet plays the node for every pod the controller creates: it runs
// each at once and, unless holding, ends every container the way the
// entrypoint leaves it (exit 0, its compact state as termination message).
type simKubelet struct {
	kube kubernetes.Interface
	hold atomic.Bool

	mu    sync.Mutex
	seen  map[string]time.Time // pod name -> when its creation was observed
	queue chan *corev1.Pod
}

func (k *simKubelet) setHold(h bool) { k.hold.Store(h) }

func (k *simKubelet) created(pod string) (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.seen[pod]
	return t, ok
}

func (k *simKubelet) run(ctx context.Context) {
	k.seen = map[string]time.Time{}
	k.queue = make(chan *corev1.Pod, 100000)
	f := informers.NewSharedInformerFactoryWithOptions(k.kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = podspec.LabelManagedBy + "=" + podspec.ManagedBy
	}))
	inf := f.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		pod := obj.(*corev1.Pod)
		k.mu.Lock()
		if _, dup := k.seen[pod.Name]; !dup {
			k.seen[pod.Name] = time.Now()
		}
		k.mu.Unlock()
		k.queue <- pod
	}})
	f.Start(ctx.Done())
	for range 16 {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case pod := <-k.queue:
					if err := k.play(ctx, pod); err != nil && ctx.Err() == nil {
						fmt.Fprintf(os.Stderr, "simulated kubelet: pod %s/%s: %v\n", pod.Namespace, pod.Name, err)
					}
				}
			}
		}()
	}
}

func (k *simKubelet) play(ctx context.Context, pod *corev1.Pod) error {
	p := pod.DeepCopy()
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.ContainerStatuses = nil
	hold := k.hold.Load()
	for _, c := range p.Spec.Containers {
		st := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
		if !hold {
			ms := now.UnixMilli()
			msg, err := contract.State{ExitCode: 0, Reason: contract.ReasonCompleted, StartedAt: ms, FinishedAt: ms + 1}.Encode()
			if err != nil {
				return err
			}
			st = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", Message: string(msg), StartedAt: now, FinishedAt: now,
			}}
		}
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, State: st, Ready: hold,
		})
	}
	if !hold {
		p.Status.Phase = corev1.PodSucceeded
	}
	_, err := k.kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

func sortTimes(ts []time.Time) { sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) }) }

// percentile by nearest rank; 0 for no samples.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}
