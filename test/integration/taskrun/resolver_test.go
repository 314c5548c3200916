package taskrun

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// catalogNamespace is the cluster resolver's default extra namespace.
const catalogNamespace = "windlass-catalog"

func catalogTask(t *testing.T, name string) *windlassv1.Task {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: catalogNamespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	task := &windlassv1.Task{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: catalogNamespace},
		Spec: windlassv1.TaskSpec{Steps: []windlassv1.Step{{Name: "s", Image: "img", Command: []string{"true"}}}}}
	if err := k8s.Create(ctx, task); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), task) })
	return task
}

func TestClusterResolverRunsAnotherNamespacesTaskAndPinsItsSource(t *testing.T) {
	ns := namespace(t)
	task := catalogTask(t, "resolved-"+ns)
	apply(t, ns, &windlassv1.TaskRun{}, `metadata: {name: run}
spec:
  taskRef:
    resolver: cluster
    params:
    - {name: kind, value: task}
    - {name: name, value: `+task.Name+`}
    - {name: namespace, value: windlass-catalog}
`)
	waitPod(t, ns, "run")
	// The pod is made before the status that records it is written.
	tr := waitRun(t, ns, "run", "its pinned spec", func(tr *windlassv1.TaskRun) bool { return tr.Status.TaskSpec != nil })
	if tr.Status.TaskSpec == nil || len(tr.Status.TaskSpec.Steps) != 1 || tr.Status.TaskSpec.Steps[0].Image != "img" {
		t.Fatalf("pinned spec %+v", tr.Status.TaskSpec)
	}
	want := "/apis/windlass.dev/v1alpha1/namespaces/windlass-catalog/tasks/" + task.Name + "@" + string(task.UID)
	if p := tr.Status.Provenance; p == nil || p.RefSource == nil || p.RefSource.URI != want || len(p.RefSource.Digest["sha256"]) != 64 {
		t.Fatalf("provenance %+v, want refSource %s with a sha256", p, want)
	}
}

func TestClusterResolverRefusesBadReferencesByName(t *testing.T) {
	ns := namespace(t)
	apply(t, ns, &windlassv1.TaskRun{}, `metadata: {name: elsewhere}
spec: {taskRef: {resolver: cluster, params: [{name: name, value: x}, {name: namespace, value: kube-system}]}}
`)
	tr := waitDone(t, ns, "elsewhere", metav1.ConditionFalse, windlassv1.ReasonInvalidSpec)
	if !contains(succeeded(tr).Message, `taskRef.params namespace "kube-system": the cluster resolver serves Tasks only from the run's own namespace and "windlass-catalog"`) {
		t.Errorf("message %q", succeeded(tr).Message)
	}
	catalogTask(t, "present-"+ns) // the namespace exists; the Task asked for does not
	apply(t, ns, &windlassv1.TaskRun{}, `metadata: {name: missing}
spec: {taskRef: {resolver: cluster, params: [{name: name, value: absent}, {name: namespace, value: windlass-catalog}]}}
`)
	tr = waitDone(t, ns, "missing", metav1.ConditionFalse, windlassv1.ReasonTaskNotFound)
	if !contains(succeeded(tr).Message, `Task "absent" not found in namespace "windlass-catalog"`) {
		t.Errorf("message %q", succeeded(tr).Message)
	}
	// The schema refuses a ref that is both, or neither.
	for manifest, want := range map[string]string{
		"metadata: {name: both}\nspec: {taskRef: {name: a, resolver: cluster}}\n":                     "exactly one of name or resolver must be set",
		"metadata: {name: stray}\nspec: {taskRef: {name: a, params: [{name: name, value: b}]}}\n":     "params are only for a resolver",
		"metadata: {name: hub}\nspec: {taskRef: {resolver: hub, params: [{name: name, value: x}]}}\n": `Unsupported value: "hub"`,
	} {
		err := createErr(ns, manifest)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", manifest, err, want)
		}
	}
}

// createErr creates a TaskRun from YAML and returns the API server's answer.
func createErr(ns, manifest string) error {
	tr := &windlassv1.TaskRun{}
	if err := yaml.UnmarshalStrict([]byte(manifest), tr); err != nil {
		return err
	}
	tr.Namespace = ns
	return k8s.Create(context.Background(), tr)
}
