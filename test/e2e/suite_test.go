//go:build e2e

// Package e2e runs on a real cluster (by default the local one from hack/cluster)
// with the project's images pushed and the release installed: hack/e2e-test.sh
// does all of that, then runs `go test -tags e2e ./test/e2e/...`.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/manager"
)

var (
	kube   kubernetes.Interface
	crc    client.Client         // for the windlass.dev kinds
	admin  *rest.Config          // the kubeconfig's; util.ClientAs acts as other users from it
	images = map[string]string{} // NAME -> REPOSITORY@DIGEST, from bin/images.txt
)

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func setup() error {
	path := os.Getenv("KUBECONFIG")
	if path == "" {
		return fmt.Errorf("KUBECONFIG is not set: run the e2e tier with 'make test-e2e'")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 50, 100
	admin = cfg
	if kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	scheme, err := manager.NewScheme()
	if err != nil {
		return err
	}
	if crc, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	file := os.Getenv("WINDLASS_IMAGES")
	if file == "" {
		return fmt.Errorf("WINDLASS_IMAGES is not set (the bin/images.txt that 'make images' writes)")
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			images[k] = v
		}
	}
	return sc.Err()
}

func image(t *testing.T, name string) string {
	t.Helper()
	ref, ok := images[name]
	if !ok {
		t.Fatalf("no image %q in $WINDLASS_IMAGES", name)
	}
	return ref
}

// namespace creates a namespace for one test and deletes it afterwards.
func namespace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ns, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-", Labels: map[string]string{"windlass.dev/e2e": "true"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpNamespace(t, ns.Name)
		}
		_ = kube.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	if err := waitDefaultServiceAccount(ctx, ns.Name); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// waitDefaultServiceAccount waits until the service account controller has
// made "default" in ns: pods cannot use it before.
func waitDefaultServiceAccount(ctx context.Context, ns string) error {
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s never got its default service account: %w", ns, err)
	}
	return nil
}

func dumpNamespace(t *testing.T, ns string) {
	ctx := context.Background()
	pods, _ := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range pods.Items {
		t.Logf("pod %s: phase %s, conditions %+v, containers %+v", p.Name, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
	}
	events, _ := kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	for _, e := range events.Items {
		t.Logf("event %s %s: %s %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
}

// waitPod waits until the pod reaches phase or fails.
func waitPod(t *testing.T, ns, name string, phase corev1.PodPhase, timeout time.Duration) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		pod = p
		if p.Status.Phase == corev1.PodFailed && phase != corev1.PodFailed {
			return false, fmt.Errorf("pod %s failed: %+v", name, p.Status.ContainerStatuses)
		}
		return p.Status.Phase == phase, nil
	})
	if err != nil {
		t.Fatalf("pod %s/%s never reached %s: %v", ns, name, phase, err)
	}
	return pod
}

func logs(t *testing.T, ns, pod, container string) string {
	t.Helper()
	data, err := kube.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("reading logs of %s/%s through the API: %v", ns, pod, err)
	}
	return string(data)
}
