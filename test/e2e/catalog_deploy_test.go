//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/rollout"
)

// deployer gives ns a service account "deployer" with a Role bound in ns
// only: what the catalog's deploy Task needs, nothing cluster-wide.
func deployer(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	read := []string{"get", "list", "watch"}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: all},
		{APIGroups: []string{""}, Resources: []string{"services", "configmaps"}, Verbs: all},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: read},
		{APIGroups: []string{""}, Resources: []string{"pods", "events"}, Verbs: read},
	}}
	if _, err := kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "deployer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "deployer"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}}}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// webApp is an overlay of a busybox httpd that answers its version: a
// Deployment "web" with a readiness probe on probePath and a Service "web".
// command "" serves; anything else replaces the server (to make it crash).
type webApp struct {
	version, probePath, command string
	replicas                    int
	extra                       bool // a ConfigMap "extra", which a later revision drops
}

func (a webApp) files(t *testing.T) map[string]string {
	cmd := a.command
	if cmd == "" {
		cmd = "mkdir -p /tmp/www && echo " + a.version + " > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"
	}
	if a.probePath == "" {
		a.probePath = "/"
	}
	if a.replicas == 0 {
		a.replicas = 1
	}
	resources := "[deployment.yaml, service.yaml]"
	f := map[string]string{
		"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ` + strconv.Itoa(a.replicas) + `
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: ` + image(t, "shell") + `
        command: [sh, -c, "` + cmd + `"]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: "` + a.probePath + `", port: 8080}, periodSeconds: 1}
`,
		"service.yaml": `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`,
	}
	if a.extra {
		resources = "[deployment.yaml, service.yaml, extra.yaml]"
		f["extra.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n"
	}
	f["kustomization.yaml"] = "resources: " + resources + "\n"
	return f
}

// overlay stores an overlay in a ConfigMap, which a run mounts as its config workspace.
func overlay(t *testing.T, ns, name string, a webApp) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: a.files(t)}
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// deployRun starts the catalog's deploy Task (its tests/taskrun.yaml) on an
// overlay ConfigMap, with params set or added.
func deployRun(t *testing.T, ns, name, config string, params map[string]string) {
	t.Helper()
	tr := &windlassv1.TaskRun{}
	doc := catalogTest(t, "deploy", "taskrun.yaml", map[string]string{"NAME": name, "CONFIG": config})
	if err := yaml.UnmarshalStrict([]byte(doc), tr); err != nil {
		t.Fatalf("catalog/deploy tests/taskrun.yaml: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		i := slices.IndexFunc(tr.Spec.Params, func(p windlassv1.Param) bool { return p.Name == k })
		if i < 0 {
			tr.Spec.Params = append(tr.Spec.Params, windlassv1.Param{Name: k})
			i = len(tr.Spec.Params) - 1
		}
		tr.Spec.Params[i].Value = windlassv1.ParamValue{Type: windlassv1.ParamTypeString, StringVal: params[k]}
	}
	tr.Namespace = ns
	if err := crc.Create(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
}

func deployed(t *testing.T, ns, name string, timeout time.Duration) (revision string, steps string) {
	t.Helper()
	tr := waitRunDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
	revision, steps = resultOf(t, tr, "REVISION").StringVal, resultOf(t, tr, "STEPS").StringVal
	t.Logf("%s: revision %s, steps:\n%s", name, revision, steps)
	return revision, steps
}

// failedDeploy waits for a deploy run to fail and returns its step's log.
func failedDeploy(t *testing.T, ns, name string, timeout time.Duration) (*windlassv1.TaskRun, string) {
	t.Helper()
	tr := waitRunDone(t, ns, name, metav1.ConditionFalse, windlassv1.ReasonFailed, timeout)
	log := logs(t, ns, tr.Status.PodName, "step-deploy")
	// The tool's own word on what failed is the TaskRun's message too.
	if msg := message(tr); !strings.HasPrefix(msg, "step-deploy exited with code ") || !strings.Contains(msg, ": deploy: ") {
		t.Errorf("%s: TaskRun message %q does not carry the deploy tool's error", name, msg)
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.HasPrefix(line, "deploy: ") {
			t.Logf("%s: %s", name, line)
		}
	}
	return tr, log
}

// answers polls the Service from this host (new connection each time) until
// it answers body, and returns the last thing it answered otherwise.
func answers(t *testing.T, ns, svc, body string) {
	t.Helper()
	s, err := kube.CoreV1().Services(ns).Get(context.Background(), svc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + net.JoinHostPort(s.Spec.ClusterIP, strconv.Itoa(int(s.Spec.Ports[0].Port))) + "/"
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	last := ""
	err = wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		resp, err := hc.Get(url)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		last = fmt.Sprintf("%d %q", resp.StatusCode, b)
		return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == body, nil
	})
	if err != nil {
		t.Fatalf("Service %s/%s never answered %q; last: %s", ns, svc, body, last)
	}
}

func inventory(t *testing.T, ns string) *rollout.Inventory {
	t.Helper()
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(context.Background(), rollout.InventoryName("web"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Labels[rollout.LabelDeploy] != "web" {
		t.Fatalf("inventory labels %v", cm.Labels)
	}
	inv, err := rollout.DecodeInventory("web", cm.Data, cm.BinaryData)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func deploymentOf(t *testing.T, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := kube.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Deployment %s: %v", name, err)
	}
	return d
}

func gone(t *testing.T, err error, what string) {
	t.Helper()
	if !apierrors.IsNotFound(err) {
		t.Fatalf("%s: want it gone, got %v", what, err)
	}
}

func TestCatalogDeployRollingAndRollback(t *testing.T) {
	catalogTask(t, "deploy")
	ns := namespace(t)
	ctx := context.Background()
	deployer(t, ns)
	overlay(t, ns, "config-v1", webApp{version: "v1", extra: true})
	overlay(t, ns, "config-v2", webApp{version: "v2"})
	overlay(t, ns, "config-unready", webApp{version: "v3", probePath: "/healthz"})
	overlay(t, ns, "config-crash", webApp{version: "v4", command: "echo bad config; exit 3"})

	deployRun(t, ns, "v1", "config-v1", nil)
	if rev, steps := deployed(t, ns, "v1", 2*time.Minute); rev != "1" || !strings.Contains(steps, "smoke check of Service web passed") {
		t.Fatalf("v1: revision %q, steps:\n%s", rev, steps)
	}
	answers(t, ns, "web", "v1")
	d := deploymentOf(t, ns, "web")
	if d.Labels[rollout.LabelDeploy] != "web" {
		t.Fatalf("labels %v", d.Labels)
	}
	var managers []string
	for _, m := range d.ManagedFields {
		managers = append(managers, m.Manager+"/"+string(m.Operation))
	}
	if !strings.Contains(strings.Join(managers, ","), rollout.FieldManager+"/Apply") {
		t.Fatalf("managed fields %v: want a server-side apply by %s", managers, rollout.FieldManager)
	}
	if _, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "extra", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	deployRun(t, ns, "v2", "config-v2", nil)
	rev, steps := deployed(t, ns, "v2", 2*time.Minute)
	if rev != "2" || !strings.Contains(steps, "pruned ConfigMap/extra") {
		t.Fatalf("v2: revision %q, steps:\n%s", rev, steps)
	}
	_, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "extra", metav1.GetOptions{})
	gone(t, err, "ConfigMap extra (v1 had it, v2 does not)")
	answers(t, ns, "web", "v2")

	// A revision whose readiness probe never passes: not current within the
	// timeout, the reason is the probe's event, and v2 is applied again.
	deployRun(t, ns, "unready", "config-unready", nil)
	tr, log := failedDeploy(t, ns, "unready", 2*time.Minute)
	for _, want := range []string{"revision 3 of web failed:", "Readiness probe failed: HTTP probe failed with statuscode: 404", "rolled back to 2"} {
		if !strings.Contains(log, want) {
			t.Fatalf("unready: log lacks %q:\n%s", want, log)
		}
		if !strings.Contains(message(tr), want) {
			t.Errorf("unready: the TaskRun's message lacks %q: %q", want, message(tr))
		}
	}
	answers(t, ns, "web", "v2")

	// A revision that crashes fails fast with CrashLoopBackOff.
	start := time.Now()
	deployRun(t, ns, "crash", "config-crash", map[string]string{"timeout": "2m"})
	_, log = failedDeploy(t, ns, "crash", 3*time.Minute)
	for _, want := range []string{"revision 4 of web failed:", "CrashLoopBackOff (exit code 3", "rolled back to 2"} {
		if !strings.Contains(log, want) {
			t.Fatalf("crash: log lacks %q:\n%s", want, log)
		}
	}
	if took := time.Since(start); took > 90*time.Second {
		t.Fatalf("a crash loop should fail fast, not wait for the 2m timeout: took %s", took)
	}
	answers(t, ns, "web", "v2")
	inv := inventory(t, ns)
	if inv.Live != 2 || inv.Last != 4 || inv.Revisions[0].Outcome != rollout.RolledBack || inv.LiveRevision().Commit != "config-v2" {
		t.Fatalf("inventory: live %d last %d newest %+v", inv.Live, inv.Last, inv.Revisions[0])
	}
	// The rolled-back Deployment is v2's again and nothing of v3/v4 runs.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		for _, p := range pods.Items {
			if !strings.Contains(strings.Join(p.Spec.Containers[0].Command, " "), "echo v2 ") {
				return false, nil
			}
		}
		return len(pods.Items) == 1, nil
	})
	if err != nil {
		t.Fatalf("after the rollbacks, only v2's pod should run: %v", err)
	}

	// Placement: an overlay with a cluster-scoped object is refused before anything is applied.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "config-wide"}, Data: map[string]string{
		"kustomization.yaml": "resources: [ns.yaml, cm.yaml]\n",
		"ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata: {name: not-mine}\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\n",
	}}
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deployRun(t, ns, "wide", "config-wide", nil)
	_, log = failedDeploy(t, ns, "wide", 2*time.Minute)
	if !strings.Contains(log, "Namespace/not-mine is cluster-scoped") {
		t.Fatalf("wide: %s", log)
	}
	_, err = kube.CoreV1().ConfigMaps(ns).Get(ctx, "wide", metav1.GetOptions{})
	gone(t, err, "ConfigMap wide (its overlay was refused)")
}

func TestCatalogDeployBlueGreen(t *testing.T) {
	catalogTask(t, "deploy")
	ns := namespace(t)
	ctx := context.Background()
	deployer(t, ns)
	overlay(t, ns, "config-v1", webApp{version: "v1"})
	overlay(t, ns, "config-v2", webApp{version: "v2"})
	overlay(t, ns, "config-bad", webApp{version: "v3", probePath: "/healthz"})
	bg := map[string]string{"strategy": "blue-green"}

	deployRun(t, ns, "v1", "config-v1", bg)
	deployed(t, ns, "v1", 2*time.Minute)
	answers(t, ns, "web", "v1")
	if c := deploymentOf(t, ns, "web-blue").Spec.Template.Labels[rollout.LabelColor]; c != "blue" {
		t.Fatalf("web-blue pods color %q", c)
	}

	deployRun(t, ns, "v2", "config-v2", bg)
	_, steps := deployed(t, ns, "v2", 2*time.Minute)
	for _, want := range []string{"bring up web-green (green) beside blue", "smoke check of Service web-preview passed",
		"switch 1 Services to green", "smoke check of Service web passed", "keep web-blue for rollback"} {
		if !strings.Contains(steps, want) {
			t.Fatalf("v2 steps lack %q:\n%s", want, steps)
		}
	}
	answers(t, ns, "web", "v2")
	answers(t, ns, "web-preview", "v2")
	svc, err := kube.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil || svc.Spec.Selector[rollout.LabelColor] != "green" {
		t.Fatalf("live Service selector %v, %v", svc.Spec.Selector, err)
	}
	// The old color is kept, still serving v1, for an instant rollback.
	if blue := deploymentOf(t, ns, "web-blue"); !strings.Contains(strings.Join(blue.Spec.Template.Spec.Containers[0].Command, " "), "echo v1 ") {
		t.Fatalf("web-blue should still run v1: %v", blue.Spec.Template.Spec.Containers[0].Command)
	}

	// A bad revision comes up as blue again, never gets ready, and is removed:
	// the live Service never left green.
	deployRun(t, ns, "bad", "config-bad", bg)
	_, log := failedDeploy(t, ns, "bad", 2*time.Minute)
	for _, want := range []string{"revision 3 of web failed:", "Deployment.apps/web-blue", "Readiness probe failed", "rolled back to 2"} {
		if !strings.Contains(log, want) {
			t.Fatalf("bad: log lacks %q:\n%s", want, log)
		}
	}
	answers(t, ns, "web", "v2")
	_, err = kube.AppsV1().Deployments(ns).Get(ctx, "web-blue", metav1.GetOptions{})
	gone(t, err, "the failed color web-blue")

	// The next good deploy brings blue up again and keeps green.
	deployRun(t, ns, "v1-again", "config-v1", bg)
	if rev, _ := deployed(t, ns, "v1-again", 2*time.Minute); rev != "4" {
		t.Fatalf("revision %q, want 4", rev)
	}
	answers(t, ns, "web", "v1")
	if inv := inventory(t, ns); inv.LiveRevision().Color != "blue" {
		t.Fatalf("live color %q", inv.LiveRevision().Color)
	}
	deploymentOf(t, ns, "web-green")
}

func TestCatalogDeployCanary(t *testing.T) {
	catalogTask(t, "deploy")
	ns := namespace(t)
	ctx := context.Background()
	deployer(t, ns)
	overlay(t, ns, "config-v1", webApp{version: "v1", replicas: 2})
	overlay(t, ns, "config-v2", webApp{version: "v2", replicas: 2})
	// Starts, gets ready, then exits after a few seconds: only the canary's
	// checks over time catch it.
	overlay(t, ns, "config-flaky", webApp{version: "v3", replicas: 2,
		command: "mkdir -p /tmp/www && echo v3 > /tmp/www/index.html && (httpd -f -p 8080 -h /tmp/www & sleep 5; exit 1)"})
	can := map[string]string{"strategy": "canary", "canaryRatio": "0.5", "canaryChecks": "3", "canaryInterval": "3s"}

	deployRun(t, ns, "v1", "config-v1", can)
	_, steps := deployed(t, ns, "v1", 2*time.Minute)
	if !strings.Contains(steps, "first revision: no canary") {
		t.Fatalf("v1 steps:\n%s", steps)
	}
	answers(t, ns, "web", "v1")

	deployRun(t, ns, "v2", "config-v2", can)
	_, steps = deployed(t, ns, "v2", 2*time.Minute)
	for _, want := range []string{"bring up web-canary with 1 of 2 replicas", "canary check 3 of 3 passed", "promote: apply web with 2 replicas", "removed web-canary"} {
		if !strings.Contains(steps, want) {
			t.Fatalf("v2 steps lack %q:\n%s", want, steps)
		}
	}
	answers(t, ns, "web", "v2")
	_, err := kube.AppsV1().Deployments(ns).Get(ctx, "web-canary", metav1.GetOptions{})
	gone(t, err, "web-canary after its promotion")
	if d := deploymentOf(t, ns, "web"); *d.Spec.Replicas != 2 || d.Spec.Selector.MatchLabels[rollout.LabelTrack] != "stable" {
		t.Fatalf("stable web: replicas %d selector %v", *d.Spec.Replicas, d.Spec.Selector.MatchLabels)
	}

	deployRun(t, ns, "flaky", "config-flaky", can)
	_, log := failedDeploy(t, ns, "flaky", 2*time.Minute)
	for _, want := range []string{"revision 3 of web failed: canary check", "web-canary", "rolled back to 2"} {
		if !strings.Contains(log, want) {
			t.Fatalf("flaky: log lacks %q:\n%s", want, log)
		}
	}
	// The reason names the container's exit, whether the kubelet restarted it yet or not.
	if !strings.Contains(log, "container web restarted") && !strings.Contains(log, "container web exited with code 1") {
		t.Fatalf("flaky: the reason should name the container's exit or restart:\n%s", log)
	}
	_, err = kube.AppsV1().Deployments(ns).Get(ctx, "web-canary", metav1.GetOptions{})
	gone(t, err, "web-canary after its failure")
	answers(t, ns, "web", "v2")
	if d := deploymentOf(t, ns, "web"); !strings.Contains(strings.Join(d.Spec.Template.Spec.Containers[0].Command, " "), "echo v2 ") {
		t.Fatal("the stable Deployment should still run v2")
	}
}
