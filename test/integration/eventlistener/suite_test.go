// Package eventlistener proves the EventListener controller on a real API
// server. The controller runs with exactly the RBAC the release installs
// (impersonating a user bound to the rendered manager ClusterRole): the API
// server's escalation check then proves it may grant every Role it builds.
// There is no kubelet and no Deployment controller: tests play the
// Deployment's rollout by writing its status.
package eventlistener

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/internal/release"
	"github.com/windlass-dev/windlass/test/util"
)

// listenerImage is what --eventlistener-image gives the listeners.
const listenerImage = "registry.example/windlass/eventlistener@sha256:2222222222222222222222222222222222222222222222222222222222222222"

// controllerUser is who the controller runs as: bound to the release's manager ClusterRole only.
const controllerUser = "windlass-eventlistener-test-controller"

var k8s client.Client

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	env, cfg, err := util.StartEnv()
	if err != nil {
		return 0, err
	}
	defer func() { _ = env.Stop() }()
	if os.Getenv("WINDLASS_TEST_LOGS") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	}
	scheme, err := manager.NewScheme()
	if err != nil {
		return 0, err
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return 0, err
	}
	if err := installReleaseRBAC(context.Background()); err != nil {
		return 0, err
	}
	opts := manager.Defaults()
	opts.RecoverPanic = false // a panicking reconcile fails the suite
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.EntrypointImage = "registry.example/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	opts.EventListenerImage = listenerImage
	opts.SkipControllerNameValidation = true // go test -count=N builds it again
	restricted := rest.CopyConfig(cfg)
	restricted.Impersonate = rest.ImpersonationConfig{UserName: controllerUser}
	mgr, err := manager.New(restricted, opts)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code, nil
}

// installReleaseRBAC creates the ClusterRoles of the rendered release (the
// manager's, generated from the controllers' markers, and the listeners'
// shipped ones) and binds the manager's to controllerUser.
func installReleaseRBAC(ctx context.Context) error {
	data, err := release.Render(filepath.Join(util.RepoRoot(), "config"), "default", nil)
	if err != nil {
		return err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	managerRole := ""
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("decoding the release: %w", err)
		}
		if u.GetKind() != "ClusterRole" {
			continue
		}
		if err := k8s.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating ClusterRole %s: %w", u.GetName(), err)
		}
		if u.GetName() == "windlass-manager-role" {
			managerRole = u.GetName()
		}
	}
	if managerRole == "" {
		return fmt.Errorf("the release has no ClusterRole windlass-manager-role")
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: controllerUser},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: managerRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: controllerUser}},
	}
	if err := k8s.Create(ctx, crb); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding the manager role: %w", err)
	}
	return nil
}

func namespace(t *testing.T) string { return util.Namespace(t, k8s, "el-") }

// create makes obj from a manifest in ns ("" for a cluster-scoped one) and
// deletes it when the test ends, so the suite can run again in one process.
// A listener's deletion lets the controller remove its ClusterRoleBindings.
func create(t *testing.T, ns string, obj client.Object, manifest string) {
	t.Helper()
	util.Create(t, k8s, ns, obj, manifest)
	t.Cleanup(func() {
		if err := k8s.Delete(context.Background(), obj); client.IgnoreNotFound(err) != nil {
			t.Errorf("deleting %s: %v", obj.GetName(), err)
		}
	})
}

func poll(t *testing.T, what string, cond func(ctx context.Context) bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		return cond(ctx), nil
	}); err != nil {
		t.Fatalf("never: %s", what)
	}
}

// get waits until the object exists and reads it.
func get(t *testing.T, ns, name string, obj client.Object) {
	t.Helper()
	poll(t, fmt.Sprintf("%T %s/%s exists", obj, ns, name), func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj) == nil
	})
}

// gone waits until the object no longer exists.
func gone(t *testing.T, ns, name string, obj client.Object) {
	t.Helper()
	poll(t, fmt.Sprintf("%T %s/%s deleted", obj, ns, name), func(ctx context.Context) bool {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj)
		return client.IgnoreNotFound(err) == nil && err != nil
	})
}

func listenerOf(t *testing.T, ns, name string) *triggersv1.EventListener {
	t.Helper()
	el := &triggersv1.EventListener{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, el); err != nil {
		t.Fatal(err)
	}
	return el
}

// waitReady waits until the listener's Ready condition, for its current
// generation, satisfies ok, and returns the listener.
func waitReady(t *testing.T, ns, name, what string, ok func(c *metav1.Condition) bool) *triggersv1.EventListener {
	t.Helper()
	var el *triggersv1.EventListener
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		el = listenerOf(t, ns, name)
		c := meta.FindStatusCondition(el.Status.Conditions, triggersv1.ConditionReady)
		return c != nil && c.ObservedGeneration == el.Generation && ok(c), nil
	})
	if err != nil {
		b, _ := yaml.Marshal(el.Status)
		t.Fatalf("EventListener %s never %s:\n%s", name, what, b)
	}
	return el
}

// waitReason waits for Ready's reason and returns the condition.
func waitReason(t *testing.T, ns, name, reason string) *metav1.Condition {
	t.Helper()
	el := waitReady(t, ns, name, "had reason "+reason, func(c *metav1.Condition) bool { return c.Reason == reason })
	return meta.FindStatusCondition(el.Status.Conditions, triggersv1.ConditionReady)
}

// updateListener changes a listener's spec as a user would.
func updateListener(t *testing.T, ns, name string, change func(*triggersv1.EventListener)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		el := listenerOf(t, ns, name)
		change(el)
		return k8s.Update(context.Background(), el)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rollOut plays the Deployment controller: the listener's pods are up.
func rollOut(t *testing.T, ns, name string, ready int32) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
			return err
		}
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: ready, UpdatedReplicas: ready,
			ReadyReplicas: ready, AvailableReplicas: ready,
		}
		return k8s.Status().Update(context.Background(), d)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// can asks the API server's authorizer whether the service account may do
// verb on group/resource (name) in ns, waiting for want: RBAC caches lag.
func can(t *testing.T, saNS, sa, verb, group, resource, ns, name string, want bool) {
	t.Helper()
	user := "system:serviceaccount:" + saNS + ":" + sa
	var got bool
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		r := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + saNS, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource, Name: name},
		}}
		if err := k8s.Create(ctx, r); err != nil {
			return false, err
		}
		got = r.Status.Allowed
		return got == want, nil
	})
	if err != nil {
		t.Fatalf("%s may %s %s.%s %q in %q: %v, want %v", user, verb, resource, group, name, ns, got, want)
	}
}
