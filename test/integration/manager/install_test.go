package manager_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/release"
	"github.com/windlass-dev/windlass/test/util"
)

const testEntrypoint = "127.0.0.1:5000/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111"

const testListener = "127.0.0.1:5000/windlass/eventlistener@sha256:2222222222222222222222222222222222222222222222222222222222222222"

const testImage = "127.0.0.1:5000/windlass/controller@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func decodeAll(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decoding release: %v", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// TestReleaseManifestIsAcceptedByTheAPIServer renders the install manifest the
// way `make release` does and has the real API server validate every object.
func TestReleaseManifestIsAcceptedByTheAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data, err := release.Render(filepath.Join(util.RepoRoot(), "config"), "default", map[string]string{"controller": testImage, "entrypoint": testEntrypoint, "eventlistener": testListener})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kinds, names := map[string]int{}, map[string]bool{}
	var deploy *appsv1.Deployment
	for _, u := range decodeAll(t, data) {
		kinds[u.GetKind()]++
		names[u.GetKind()+"/"+u.GetName()] = true
		if ns := u.GetNamespace(); ns != "" && ns != "windlass-system" {
			t.Errorf("%s %s is in namespace %q, want windlass-system", u.GetKind(), u.GetName(), ns)
		}
		opts := []client.CreateOption{client.DryRunAll}
		if u.GetKind() == "Namespace" {
			opts = nil // namespaced objects need it to exist, even for a dry run
		}
		if err := c.Create(ctx, u.DeepCopy(), opts...); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Errorf("API server rejected %s %s: %v", u.GetKind(), u.GetName(), err)
		}
		if u.GetKind() == "Deployment" {
			deploy = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, deploy); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range []string{"windlass-eventlistener-cluster", "windlass-eventlistener-namespaces"} {
		if !names["ClusterRole/"+name] {
			t.Errorf("release has no ClusterRole %s (the EventListener controller binds listeners to it)", name)
		}
	}
	// The approval gate's identity check (config/admission) and the approvers' role.
	for _, name := range []string{"ValidatingAdmissionPolicy/windlass-approval-decisions", "ValidatingAdmissionPolicyBinding/windlass-approval-decisions", "ClusterRole/windlass-approver", "CustomResourceDefinition/approvals.windlass.dev"} {
		if !names[name] {
			t.Errorf("release has no %s", name)
		}
	}
	for _, u := range decodeAll(t, data) {
		if u.GetKind() == "ValidatingAdmissionPolicyBinding" {
			if policy, _, _ := unstructured.NestedString(u.Object, "spec", "policyName"); policy != "windlass-approval-decisions" || u.GetNamespace() != "" {
				t.Errorf("binding %s: policyName %q, namespace %q; want windlass-approval-decisions, none", u.GetName(), policy, u.GetNamespace())
			}
		}
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"} {
		if kinds[k] == 0 {
			t.Errorf("release has no %s", k)
		}
	}
	if deploy == nil {
		t.Fatal("release has no Deployment")
	}
	pod := deploy.Spec.Template.Spec
	if len(pod.Containers) != 1 || pod.Containers[0].Image != testImage {
		t.Fatalf("controller image = %v, want exactly %s", pod.Containers, testImage)
	}
	ctr := pod.Containers[0]
	if _, ok := ctr.Resources.Limits["cpu"]; ok {
		t.Errorf("controller has a CPU limit; the design forbids throttling internal containers")
	}
	args := strings.Join(ctr.Args, " ")
	if !strings.Contains(args, "--leader-elect") || !strings.Contains(args, "--entrypoint-image="+testEntrypoint) ||
		!strings.Contains(args, "--eventlistener-image="+testListener) {
		t.Errorf("controller args %v lack --leader-elect or the built entrypoint or eventlistener image", ctr.Args)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("controller pod does not require a non-root user")
	}
}

// TestReleaseRBACIsLeastPrivilege keeps wildcards and secrets out of the manager's roles.
func TestReleaseRBACIsLeastPrivilege(t *testing.T) {
	data, err := release.Render(filepath.Join(util.RepoRoot(), "config"), "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range decodeAll(t, data) {
		if u.GetKind() != "ClusterRole" && u.GetKind() != "Role" {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(u.Object, "rules")
		for _, r := range rules {
			rule := r.(map[string]any)
			for _, field := range []string{"apiGroups", "resources", "verbs"} {
				vals, _, _ := unstructured.NestedStringSlice(rule, field)
				for _, v := range vals {
					if v == "*" {
						t.Errorf("%s %s grants %s: *", u.GetKind(), u.GetName(), field)
					}
				}
			}
		}
	}
}
