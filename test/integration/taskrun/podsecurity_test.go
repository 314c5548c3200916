package taskrun

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// restrictedNamespace makes a namespace that enforces the restricted Pod
// Security Standard, and checks that the API server's admission does refuse
// a pod that sets nothing (else the tests below would prove nothing).
func restrictedNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tr-restricted-",
		Labels: map[string]string{podspec.LabelPodSecurityEnforce: podspec.PodSecurityRestricted}}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns.Name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if err := k8s.Create(context.Background(), plain); !apierrors.IsForbidden(err) {
		t.Fatalf("the API server's Pod Security admission let a plain pod into a restricted namespace: %v", err)
	}
	return ns.Name
}

const restrictedTask = `
metadata: {name: build}
spec:
  results: [{name: digest}]
  volumes: [{name: scratch, emptyDir: {}}]
  sidecars: [{name: cache, image: busybox, script: sleep 100}]
  steps:
  - name: compile
    image: golang
    command: [go, build]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  - name: publish
    image: busybox
    script: echo x > $(results.digest.path)
`

// A Task that sets no security context runs unchanged in a restricted
// namespace: the pod the controller makes is admitted by the API server's
// Pod Security admission, and the run goes on as anywhere else.
func TestRestrictedNamespaceRunsATaskUnchanged(t *testing.T) {
	ns := restrictedNamespace(t)
	apply(t, ns, &windlassv1.Task{}, restrictedTask)
	apply(t, ns, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}}\n")
	pod := waitPod(t, ns, "run")
	if sc := pod.Spec.SecurityContext; sc == nil || !ptr.Deref(sc.RunAsNonRoot, false) || ptr.Deref(sc.RunAsUser, 0) != podspec.RestrictedUID ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v", sc)
	}
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		if sc := c.SecurityContext; sc == nil || ptr.Deref(sc.AllowPrivilegeEscalation, true) || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 {
			t.Errorf("%s: securityContext %+v", c.Name, sc)
		}
	}
	setContainers(t, pod, map[string]corev1.ContainerState{
		"step-compile": ended(`{"c":0,"r":"Completed"}`),
		"step-publish": ended(`{"c":0,"r":"Completed","res":{"digest":"x"}}`),
	})
	waitDone(t, ns, "run", metav1.ConditionTrue, windlassv1.ReasonSucceeded)

	// In a namespace that enforces nothing, the pod is left as the Task says.
	plain := namespace(t)
	apply(t, plain, &windlassv1.Task{}, restrictedTask)
	apply(t, plain, &windlassv1.TaskRun{}, "metadata: {name: run}\nspec: {taskRef: {name: build}}\n")
	pod = waitPod(t, plain, "run")
	if sc := pod.Spec.SecurityContext; sc != nil && (sc.RunAsNonRoot != nil || sc.RunAsUser != nil || sc.SeccompProfile != nil) || pod.Spec.Containers[0].SecurityContext != nil {
		t.Errorf("an unrestricted namespace's pod got security contexts: %+v %+v", pod.Spec.SecurityContext, pod.Spec.Containers[0].SecurityContext)
	}
}

// A step that asks for root in a restricted namespace fails the run at once,
// without a pod, with a message naming the step, the field and the policy.
func TestRestrictedNamespaceRefusesARootStep(t *testing.T) {
	ns := restrictedNamespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, `
metadata: {name: root}
spec:
  taskSpec:
    steps:
    - {name: ok, image: busybox, script: "true"}
    - name: as-root
      image: busybox
      script: id
      securityContext: {runAsUser: 0}
`)
	tr := waitDone(t, ns, "root", metav1.ConditionFalse, windlassv1.ReasonPodSecurity)
	msg := succeeded(tr).Message
	for _, want := range []string{`step "as-root" (spec.steps[1])`, "securityContext.runAsUser=0", `"restricted" Pod Security Standard`, ns} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if tr.Status.PodName != "" {
		t.Errorf("a pod was made: %s", tr.Status.PodName)
	}
	waitEvent(t, ns, "root", windlassv1.ReasonPodSecurity)
}
