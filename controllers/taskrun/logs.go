package taskrun

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// readLogResults reads the results the last step framed into the tail of its
// log: the pod needs no API credentials for them, and a frame holds far more
// than a termination message.
func (r *Reconciler) readLogResults(ctx context.Context, pod *corev1.Pod, spec *windlassv1.TaskSpec) (map[string]string, error) {
	if r.Kube == nil {
		return nil, fmt.Errorf("results are in the pod log but no log client is configured")
	}
	last := len(spec.Steps) - 1
	container := podspec.StepContainer(last, spec.Steps[last].Name)
	// The frame is base64 of gzip'ed JSON: 64 KiB of results is at most ~90 KiB,
	// which the runtime may store as several 16 KiB partial lines.
	raw, err := r.Kube.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{
		Container: container, TailLines: ptr.To[int64](16), LimitBytes: ptr.To[int64](4 << 20),
	}).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading results from the log of %s/%s: %w", pod.Name, container, err)
	}
	res, err := contract.DecodeResultsFrame(string(raw))
	if err != nil {
		return nil, fmt.Errorf("results in the log of %s/%s: %w", pod.Name, container, err)
	}
	return res, nil
}
