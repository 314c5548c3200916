//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

const (
	systemNamespace = "windlass-system"
	leaseName       = "windlass-controller.windlass.dev"
)

// TestControllerIsReadyAndServesMetrics: the release manifest was applied by
// hack/e2e-test.sh; the controller must be Ready, hold the lease and serve metrics.
func TestControllerIsReadyAndServesMetrics(t *testing.T) {
	ctx := context.Background()
	var dep *appsv1.Deployment
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := kube.AppsV1().Deployments(systemNamespace).Get(ctx, "windlass-controller", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		dep = d
		return d.Status.ReadyReplicas == 1 && d.Status.ObservedGeneration == d.Generation, nil
	})
	if err != nil {
		t.Fatalf("controller Deployment never Ready: %v (status %+v)", err, dep)
	}
	if got, want := dep.Spec.Template.Spec.Containers[0].Image, image(t, "controller"); got != want {
		t.Errorf("controller runs image %s, want the one just built: %s", got, want)
	}

	want := fmt.Sprintf(`leader_election_master_status{name="%s"} 1`, leaseName)
	var body string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		data, err := kube.CoreV1().Services(systemNamespace).ProxyGet("http", "windlass-controller-metrics", "metrics", "/metrics", nil).DoRaw(ctx)
		body = string(data)
		return err == nil && strings.Contains(body, want), nil
	})
	if err != nil {
		t.Fatalf("metrics through the Service never showed %q: %v\n%.2000s", want, err, body)
	}
	lease, err := kube.CoordinationV1().Leases(systemNamespace).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || !strings.HasPrefix(*lease.Spec.HolderIdentity, "windlass-controller-") {
		t.Fatalf("lease %s not held by the controller pod: %+v, %v", leaseName, lease, err)
	}
}

// TestPodFromLocalImageRunsAndLogsAreRead: an image we built, pulled from the
// local registry by containerd, runs; its output is read through the API server.
func TestPodFromLocalImageRunsAndLogsAreRead(t *testing.T) {
	ns := namespace(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "shell", Image: image(t, "shell"),
				Command: []string{"sh", "-c", `echo "hello from $(cat /etc/hostname) as $(id -u)"`},
			}},
		},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, ns, "hello", corev1.PodSucceeded, 2*time.Minute)
	if out := logs(t, ns, "hello", "shell"); !strings.Contains(out, "hello from hello as 0") {
		t.Fatalf("logs = %q, want the greeting with the pod's hostname", out)
	}
}

// TestImageVolumeServesAStaticBinary: a Kubernetes image volume (containerd 2)
// mounts the controller image read-only into a shell container, and its static
// binary runs from there as a non-root user. The engine's step pods rely on this.
func TestImageVolumeServesAStaticBinary(t *testing.T) {
	ns := namespace(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "image-volume"},
		Spec: corev1.PodSpec{
			RestartPolicy:   corev1.RestartPolicyNever,
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](65532), RunAsNonRoot: ptr.To(true)},
			Containers: []corev1.Container{{
				Name: "run", Image: image(t, "shell"),
				Command:      []string{"sh", "-c", "/opt/windlass/controller --version && touch /opt/windlass/x 2>/dev/null || echo read-only"},
				VolumeMounts: []corev1.VolumeMount{{Name: "controller", MountPath: "/opt/windlass"}},
			}},
			Volumes: []corev1.Volume{{
				Name: "controller",
				VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{
					Reference: image(t, "controller"), PullPolicy: corev1.PullIfNotPresent,
				}},
			}},
		},
	}
	if _, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, ns, "image-volume", corev1.PodSucceeded, 2*time.Minute)
	out := logs(t, ns, "image-volume", "run")
	if !strings.Contains(out, "windlass controller") || !strings.Contains(out, "read-only") {
		t.Fatalf("logs = %q, want the controller's version line and a read-only mount", out)
	}
}

// TestPVCFromStorageClassBindsAndPersists: a claim on the default StorageClass is
// provisioned and bound, written by one pod and read back by another.
func TestPVCFromStorageClassBindsAndPersists(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t)
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("16Mi")}},
		},
	}
	if _, err := kube.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mkPod := func(name, script string) {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{
					// docker.io/library/busybox resolves to the local registry inside the cluster.
					Name: "c", Image: "docker.io/library/busybox:latest", Command: []string{"sh", "-c", script},
					VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
				}},
				Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"},
				}}},
			},
		}
		if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPod(t, ns, name, corev1.PodSucceeded, 3*time.Minute)
	}
	mkPod("writer", "echo persisted-$(date +%s) > /data/proof && cat /data/proof")
	written := strings.TrimSpace(logs(t, ns, "writer", "c"))
	got, err := kube.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
	if err != nil || got.Status.Phase != corev1.ClaimBound || got.Spec.StorageClassName == nil || *got.Spec.StorageClassName != "local-path" {
		t.Fatalf("claim not bound through the default class local-path: %+v, %v", got, err)
	}
	mkPod("reader", "cat /data/proof")
	if read := strings.TrimSpace(logs(t, ns, "reader", "c")); read != written || !strings.HasPrefix(read, "persisted-") {
		t.Fatalf("reader saw %q, writer wrote %q", read, written)
	}
}
