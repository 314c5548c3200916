// Package deploy proves the catalog's deploy tool (tasks/deploy, the built
// binary) against a real API server, as a user bound only to the README's Role
// in one namespace. There are no controllers: the objects here (ConfigMaps, a
// Service, a Job nobody runs) are current, or never, on the API server alone.
// The e2e tier proves rollouts on the real cluster.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/windlass-dev/windlass/internal/rollout"
	"github.com/windlass-dev/windlass/test/util"
)

var (
	k8s        client.Client
	tool       string // the built deploy binary
	kubeconfig string // the user "deployer", with no rights but the tests' RoleBindings
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	env, cfg, err := util.StartEnv()
	if err != nil {
		return 0, err
	}
	defer func() { _ = env.Stop() }()
	if k8s, err = client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme}); err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "deploy-integration-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	tool = filepath.Join(dir, "deploy")
	build := exec.Command("go", "build", "-o", tool, "./tasks/deploy")
	build.Dir = util.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("building tasks/deploy: %w\n%s", err, out)
	}
	user, err := env.AddUser(envtest.User{Name: "deployer"}, cfg)
	if err != nil {
		return 0, err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return 0, err
	}
	kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// namespace makes a namespace where the user "deployer" has the README's Role
// (plus Jobs, which the overlays here hold).
func namespace(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	ns := util.Namespace(t, k8s, "deploy-")
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	read := []string{"get", "list", "watch"}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: all},
		{APIGroups: []string{""}, Resources: []string{"services", "configmaps"}, Verbs: all},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: all},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: read},
		{APIGroups: []string{""}, Resources: []string{"pods", "events"}, Verbs: read},
	}}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deployer"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "deployer"}}}
	for _, o := range []client.Object{role, rb} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

// overlay writes files ("name: body") into a new directory.
func overlay(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func configMap(name, value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {value: " + value + "}\n"
}

const service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"

const job = `apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: example.com/migrate:1}]
`

type result struct {
	code             int
	output, revision string
	steps            string
}

// deploy runs the tool as the user "deployer".
func deploy(t *testing.T, ns, dir string, args ...string) result {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command(tool, append([]string{"--app=web", "--dir=" + dir, "--namespace=" + ns, "--timeout=3s",
		"--result-revision=" + filepath.Join(out, "REVISION"), "--result-steps=" + filepath.Join(out, "STEPS")}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	r := result{}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		r.code = ee.ExitCode()
	}
	r.output = b.String()
	rev, _ := os.ReadFile(filepath.Join(out, "REVISION"))
	steps, _ := os.ReadFile(filepath.Join(out, "STEPS"))
	r.revision, r.steps = string(rev), string(steps)
	return r
}

func getCM(t *testing.T, ns, name string) (*corev1.ConfigMap, error) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cm)
	return cm, err
}

func TestDeployAppliesPrunesAndRollsBack(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	v1 := overlay(t, map[string]string{"kustomization.yaml": "resources: [a.yaml, b.yaml, svc.yaml]\n",
		"a.yaml": configMap("a", "one"), "b.yaml": configMap("b", "one"), "svc.yaml": service})
	v2 := overlay(t, map[string]string{"kustomization.yaml": "resources: [a.yaml, c.yaml, svc.yaml]\n",
		"a.yaml": configMap("a", "two"), "c.yaml": configMap("c", "two"), "svc.yaml": service})
	stuck := overlay(t, map[string]string{"kustomization.yaml": "resources: [a.yaml, job.yaml]\n",
		"a.yaml": configMap("a", "three"), "job.yaml": job})

	r := deploy(t, ns, v1, "--config-commit=c1")
	if r.code != 0 || r.revision != "1" {
		t.Fatalf("v1: exit %d revision %q:\n%s", r.code, r.revision, r.output)
	}
	a, err := getCM(t, ns, "a")
	if err != nil || a.Labels[rollout.LabelDeploy] != "web" || a.Data["value"] != "one" {
		t.Fatalf("ConfigMap a: %+v %v", a, err)
	}
	applied := false
	for _, mf := range a.ManagedFields {
		applied = applied || (mf.Manager == rollout.FieldManager && mf.Operation == metav1.ManagedFieldsOperationApply)
	}
	if !applied {
		t.Fatalf("ConfigMap a was not server-side applied by %s: %+v", rollout.FieldManager, a.ManagedFields)
	}

	r = deploy(t, ns, v2, "--config-commit=c2")
	if r.code != 0 || r.revision != "2" || !strings.Contains(r.steps, "pruned ConfigMap/b") {
		t.Fatalf("v2: exit %d revision %q steps:\n%s\n%s", r.code, r.revision, r.steps, r.output)
	}
	if _, err := getCM(t, ns, "b"); !apierrors.IsNotFound(err) {
		t.Fatalf("ConfigMap b (v1 had it, v2 does not) should be pruned: %v", err)
	}

	// A Job that nobody runs never completes: the revision is not current in
	// time, v2 is applied again and the Job (new in it) deleted.
	r = deploy(t, ns, stuck, "--config-commit=c3")
	want := "deploy: revision 3 of web failed: not current within 3s: Job.batch/migrate"
	if r.code != 1 || !strings.Contains(r.output, want) || !strings.Contains(r.output, "rolled back to 2") {
		t.Fatalf("stuck: exit %d, want %q ... rolled back to 2:\n%s", r.code, want, r.output)
	}
	if a, _ := getCM(t, ns, "a"); a.Data["value"] != "two" {
		t.Fatalf("after the rollback ConfigMap a should be v2's: %v", a.Data)
	}
	for _, name := range []string{"c"} {
		if _, err := getCM(t, ns, name); err != nil {
			t.Fatalf("v2's ConfigMap %s should be back: %v", name, err)
		}
	}
	jobs := &batchv1.JobList{}
	if err := k8s.List(ctx, jobs, client.InNamespace(ns)); err != nil || len(jobs.Items) != 0 {
		t.Fatalf("the failed revision's Job should be gone: %v %v", jobs.Items, err)
	}
	inv, err := getCM(t, ns, rollout.InventoryName("web"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rollout.DecodeInventory("web", inv.Data, inv.BinaryData)
	if err != nil || rec.Live != 2 || rec.Last != 3 || rec.LiveRevision().Commit != "c2" || rec.Revisions[0].Outcome != rollout.RolledBack {
		t.Fatalf("inventory %+v %v", rec, err)
	}

	// The next revision is 4 and prunes against v2 (the live one), not the failed 3.
	r = deploy(t, ns, v1, "--config-commit=c1")
	if r.code != 0 || r.revision != "4" || !strings.Contains(r.steps, "pruned ConfigMap/c") {
		t.Fatalf("v1 again: exit %d revision %q:\n%s", r.code, r.revision, r.output)
	}
}

func TestDeployRefusesPlacementBeforeApplying(t *testing.T) {
	ns := namespace(t)
	for name, extra := range map[string]string{
		// Not in the tool's own list: the API server's discovery says it is cluster-scoped.
		"DeviceClass.resource.k8s.io/gpus is cluster-scoped": "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: gpus}\n",
		"ConfigMap/x is in namespace kube-system":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\n",
	} {
		dir := overlay(t, map[string]string{"kustomization.yaml": "resources: [a.yaml, extra.yaml]\n", "a.yaml": configMap("a", "one"), "extra.yaml": extra})
		r := deploy(t, ns, dir)
		if r.code != 2 || !strings.Contains(r.output, name) {
			t.Fatalf("want exit 2 naming %q, got %d:\n%s", name, r.code, r.output)
		}
		if _, err := getCM(t, ns, "a"); !apierrors.IsNotFound(err) {
			t.Fatalf("nothing should be applied from a refused overlay: %v", err)
		}
	}
	// Rights in its own namespace only: another namespace's objects are out of reach anyway.
	other := namespace(t)
	r := deploy(t, other, overlay(t, map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": configMap("a", "one")}))
	if r.code != 0 {
		t.Fatalf("deploy into a namespace with the Role: %d\n%s", r.code, r.output)
	}
	unbound := util.Namespace(t, k8s, "deploy-")
	r = deploy(t, unbound, overlay(t, map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": configMap("a", "one")}))
	if r.code != 1 || !strings.Contains(r.output, "forbidden") {
		t.Fatalf("deploy into a namespace without the Role: want forbidden, got %d\n%s", r.code, r.output)
	}
}
