//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/windlass-dev/windlass/internal/contract"
)

// TestEntrypointOrdersStepsThroughAnImageVolume runs the pod anatomy the
// TaskRun controller will build, by hand: no init container, the entrypoint
// reaching every step read-only through an image volume, steps started
// together and run in order by file hand-off, a failure skipping the rest,
// and each step's state in its termination message.
func TestEntrypointOrdersStepsThroughAnImageVolume(t *testing.T) {
	ns := namespace(t)
	step := func(i int, name, script string) corev1.Container {
		// What the entrypoint is told, built as the pod builder builds it.
		ep := contract.Step{Name: name, PostFile: contract.PostFile(i), ScriptDir: contract.ScriptDir, Script: script}
		if i > 0 {
			ep.WaitFile = contract.PostFile(i - 1)
		}
		var env []corev1.EnvVar
		for _, e := range ep.Env() {
			env = append(env, corev1.EnvVar{Name: e.Name, Value: e.Value})
		}
		return corev1.Container{
			Name: "step-" + name, Image: image(t, "shell"),
			Command:                  []string{contract.Entrypoint},
			Args:                     ep.Args(),
			Env:                      env,
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			VolumeMounts: []corev1.VolumeMount{
				{Name: "windlass-bin", MountPath: contract.BinDir, ReadOnly: true},
				{Name: "windlass-run", MountPath: contract.RunDir},
			},
		}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "steps"},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{
				// The first step is slow: the others must wait for it, not race it.
				step(0, "one", "sleep 1; echo one >> /windlass/run/order"),
				step(1, "two", "echo two >> /windlass/run/order; cat /windlass/run/order; exit 7"),
				step(2, "three", "echo three >> /windlass/run/order"),
			},
			Volumes: []corev1.Volume{
				{Name: "windlass-bin", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{
					Reference: image(t, "entrypoint"), PullPolicy: corev1.PullIfNotPresent}}},
				{Name: "windlass-run", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}
	if len(pod.Spec.InitContainers) != 0 {
		t.Fatal("the anatomy under test has no init container")
	}
	if _, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got := waitPod(t, ns, "steps", corev1.PodFailed, 2*time.Minute)
	if out := logs(t, ns, "steps", "step-two"); strings.TrimSpace(out) != "one\ntwo" {
		t.Fatalf("step two saw %q, want step one's line before its own", out)
	}
	want := map[string]struct {
		reason string
		exit   int
	}{
		"step-one":   {contract.ReasonCompleted, 0},
		"step-two":   {contract.ReasonError, 7},
		"step-three": {contract.ReasonSkipped, 0},
	}
	for _, cs := range got.Status.ContainerStatuses {
		term := cs.State.Terminated
		if term == nil {
			t.Fatalf("%s not terminated: %+v", cs.Name, cs.State)
		}
		st, err := contract.ParseState(term.Message)
		if err != nil {
			t.Fatalf("%s: %v (message %q)", cs.Name, err, term.Message)
		}
		w := want[cs.Name]
		if st.Reason != w.reason || st.ExitCode != w.exit {
			t.Errorf("%s: state %+v, want reason %s exit %d", cs.Name, st, w.reason, w.exit)
		}
	}
	if out := logs(t, ns, "steps", "step-three"); strings.Contains(out, "three") {
		t.Errorf("the step after a failure ran: %q", out)
	}
}
