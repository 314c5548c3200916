package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/rollout"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const base = `
-- base/kustomization.yaml
resources: [deployment.yaml, service.yaml]
-- base/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: example.com/web:1}]
-- base/service.yaml
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
-- overlays/dev/kustomization.yaml
resources: [../../base]
images:
- name: example.com/web
  newName: 10.88.0.1:5000/web
  digest: sha256:1111111111111111111111111111111111111111111111111111111111111111
configMapGenerator:
- name: settings
  literals: [MODE=dev]
`

// tree writes "-- name" separated files into a new directory.
func tree(t *testing.T, spec string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for _, part := range strings.Split(spec, "-- ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		files[strings.TrimSpace(name)] = body
	}
	writeFiles(t, dir, files)
	return dir
}

func noCluster(t *testing.T) {
	t.Helper()
	old := connect
	connect = func() (client.Client, error) {
		t.Fatal("the tool connected to the cluster before refusing")
		return nil, nil
	}
	t.Cleanup(func() { connect = old })
}

func TestRenderOverlayWithBase(t *testing.T) {
	dir := tree(t, base)
	objs, err := render(dir, "overlays/dev")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range objs {
		got = append(got, rollout.Describe(u))
	}
	// Legacy order: config before the Service and the Deployment.
	if len(got) != 3 || !strings.HasPrefix(got[0], "ConfigMap/settings-") || got[1] != "Service/web" || got[2] != "Deployment.apps/web" {
		t.Fatalf("rendered %v", got)
	}
	img, _, _ := unstructured.NestedSlice(objs[2].Object, "spec", "template", "spec", "containers")
	if im := img[0].(map[string]any)["image"]; im != "10.88.0.1:5000/web@sha256:1111111111111111111111111111111111111111111111111111111111111111" {
		t.Fatalf("image %v", im)
	}
	if err := place(objs, "dev", builtinNamespaced); err != nil {
		t.Fatal(err)
	}
	label(objs, "web")
	for _, u := range objs {
		if u.GetNamespace() != "dev" || u.GetLabels()[rollout.LabelDeploy] != "web" {
			t.Fatalf("%s: namespace %q labels %v", rollout.Describe(u), u.GetNamespace(), u.GetLabels())
		}
	}
	m, err := manifest(objs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseManifest(m)
	if err != nil || !reflect.DeepEqual(refsOf(back), refsOf(objs)) {
		t.Fatalf("manifest round trip: %v %v", refsOf(back), err)
	}
}

// A ConfigMap workspace mounts each key as a symlink into a timestamped
// directory: the overlay still renders.
func TestRenderThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "..2026_12_07")
	writeFiles(t, data, map[string]string{
		"kustomization.yaml": "resources: [cm.yaml]\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	if err := os.Symlink("..2026_12_07", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"kustomization.yaml", "cm.yaml"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := render(dir, ".")
	if err != nil || len(objs) != 1 || objs[0].GetName() != "c" {
		t.Fatalf("render = %v, %v", objs, err)
	}
}

func TestRenderErrors(t *testing.T) {
	dir := tree(t, base+`
-- broken/kustomization.yaml
resources: [missing.yaml]
-- escape/kustomization.yaml
resources: [deployment.yaml]
patches: [{path: ../base/service.yaml}]
-- escape/deployment.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
-- empty/kustomization.yaml
resources: []
`)
	for path, want := range map[string]string{
		"broken": "missing.yaml", "escape": "rendering the overlay escape", "empty": "renders no objects", "nope": "rendering the overlay nope",
	} {
		_, err := render(dir, path)
		if err == nil || !strings.Contains(err.Error(), want) || !toolkit.IsUsage(err) {
			t.Errorf("render %s: want a usage error with %q, got %v", path, want, err)
		}
	}
}

func TestPlacementRefusedBeforeAnythingIsApplied(t *testing.T) {
	noCluster(t)
	dir := tree(t, base+`
-- wide/kustomization.yaml
resources: [../base, ns.yaml, role.yaml, elsewhere.yaml]
-- wide/ns.yaml
apiVersion: v1
kind: Namespace
metadata: {name: other}
-- wide/role.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: admin-ish}
-- wide/elsewhere.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: other}
`)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--app=web", "--dir=" + dir, "--path=wide", "--namespace=dev"}, &stdout, &stderr)
	if err == nil || !toolkit.IsUsage(err) {
		t.Fatalf("want a usage error, got %v", err)
	}
	for _, want := range []string{"refusing to deploy into namespace dev", "Namespace/other is cluster-scoped",
		"ClusterRole.rbac.authorization.k8s.io/admin-ish is cluster-scoped", "ConfigMap/c is in namespace other"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	// The overlay's own namespace, when it names ours, is fine.
	objs, _ := render(tree(t, "-- k/kustomization.yaml\nnamespace: dev\nresources: [c.yaml]\n-- k/c.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), "k")
	if err := place(objs, "dev", builtinNamespaced); err != nil {
		t.Fatal(err)
	}
}

func TestFlags(t *testing.T) {
	noCluster(t)
	dir := tree(t, base)
	ok := []string{"--app=web", "--dir=" + dir, "--path=overlays/dev", "--namespace=dev"}
	o, err := parse(ok, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.strategy != rolling || o.timeout != 5*time.Minute || o.smokeStatus != 200 || o.smokePath != "/" ||
		o.canaryRatio != 0.25 || o.canaryChecks != 3 || o.canaryInterval != 10*time.Second {
		t.Fatalf("defaults: %+v", o)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--dir=x", "--namespace=dev"}, "--app is required"},
		{[]string{"--app=Web_1", "--dir=x", "--namespace=dev"}, `--app "Web_1"`},
		{[]string{"--app=" + strings.Repeat("a", 60), "--dir=x", "--namespace=dev"}, "at most 47 characters"},
		{[]string{"--app=web", "--namespace=dev"}, "--dir is required"},
		{[]string{"--app=web", "--dir=x", "--path=../up", "--namespace=dev"}, "--path"},
		{[]string{"--app=web", "--dir=x", "--path=/etc", "--namespace=dev"}, "--path"},
		{[]string{"--app=web", "--dir=x", "--strategy=big-bang", "--namespace=dev"}, "--strategy \"big-bang\""},
		{[]string{"--app=web", "--dir=x", "--timeout=soon", "--namespace=dev"}, "--timeout"},
		{[]string{"--app=web", "--dir=x", "--timeout=-1s", "--namespace=dev"}, "--timeout"},
		{[]string{"--app=web", "--dir=x", "--smoke-status=2000", "--namespace=dev"}, "--smoke-status"},
		{[]string{"--app=web", "--dir=x", "--smoke-path=health", "--namespace=dev"}, "--smoke-path"},
		{[]string{"--app=web", "--dir=x", "--canary-ratio=2", "--namespace=dev"}, "--canary-ratio"},
		{[]string{"--app=web", "--dir=x", "--canary-ratio=x", "--namespace=dev"}, "--canary-ratio"},
		{[]string{"--app=web", "--dir=x", "--canary-checks=0", "--namespace=dev"}, "--canary-checks"},
		{[]string{"--app=web", "--dir=x", "--canary-interval=0s", "--namespace=dev"}, "--canary-interval"},
		{[]string{"--app=web", "--dir=x", "--namespace=Dev!"}, "--namespace"},
		{[]string{"--app=web", "--dir=x", "--namespace=dev", "stray"}, "unexpected argument"},
		{[]string{"--app=web", "--dir=x", "--namespace=dev", "--nope=1"}, "nope"},
	}
	for _, tc := range tests {
		err := run(context.Background(), tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !toolkit.IsUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want a usage error with %q, got %v", tc.args, tc.want, err)
		}
	}
	// No --namespace: the step's own, from its service account.
	saNamespace = filepath.Join(t.TempDir(), "namespace")
	if _, err := parse([]string{"--app=web", "--dir=x"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--namespace is empty") {
		t.Fatalf("no namespace anywhere: got %v", err)
	}
	writeFiles(t, filepath.Dir(saNamespace), map[string]string{"namespace": "team-a\n"})
	if o, err := parse([]string{"--app=web", "--dir=x"}, &bytes.Buffer{}); err != nil || o.namespace != "team-a" {
		t.Fatalf("namespace from the service account: %+v %v", o, err)
	}
}

func TestStrategyTransforms(t *testing.T) {
	objs, err := render(tree(t, base), "overlays/dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pick(objs, "api", blueGreen); err == nil || !strings.Contains(err.Error(), `--deployment "api"`) {
		t.Fatalf("pick a missing Deployment: %v", err)
	}
	dep, rest, err := pick(objs, "", blueGreen)
	if err != nil || dep.GetName() != "web" || len(rest) != 2 {
		t.Fatalf("pick: %v %d %v", dep, len(rest), err)
	}
	if _, _, err := pick(append(objs, withName(dep, "api")), "", canary); err == nil || !strings.Contains(err.Error(), "2 Deployments") {
		t.Fatalf("two Deployments: %v", err)
	}
	green, err := withTrack(dep, "web-green", rollout.LabelColor, "green")
	if err != nil {
		t.Fatal(err)
	}
	sel, _, _ := unstructured.NestedStringMap(green.Object, "spec", "selector", "matchLabels")
	pl, _, _ := unstructured.NestedStringMap(green.Object, "spec", "template", "metadata", "labels")
	want := map[string]string{"app": "web", rollout.LabelColor: "green"}
	if green.GetName() != "web-green" || !reflect.DeepEqual(sel, want) || !reflect.DeepEqual(pl, want) {
		t.Fatalf("colored: %s %v %v", green.GetName(), sel, pl)
	}
	if dep.GetName() != "web" {
		t.Fatal("withTrack changed its input")
	}
	svc := rest[1]
	if !selects(svc, map[string]string{"app": "web", "x": "y"}) || selects(svc, map[string]string{"app": "api"}) || selects(rest[0], pl) {
		t.Fatal("selects")
	}
	_ = unstructured.SetNestedField(svc.Object, "10.0.0.9", "spec", "clusterIP")
	p := withSelector(svc, "web-preview", rollout.LabelColor, "green")
	psel, _, _ := unstructured.NestedStringMap(p.Object, "spec", "selector")
	if _, has, _ := unstructured.NestedString(p.Object, "spec", "clusterIP"); has || !reflect.DeepEqual(psel, want) {
		t.Fatalf("preview: %v", p.Object)
	}
	live := withSelector(svc, "web", rollout.LabelColor, "green")
	if ip, _, _ := unstructured.NestedString(live.Object, "spec", "clusterIP"); ip != "10.0.0.9" {
		t.Fatal("the live Service keeps its address")
	}
}
