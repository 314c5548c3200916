package eventlistener

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

const githubListener = `
metadata: {name: github}
spec:
  triggers:
  - name: github-push
    interceptors:
    - ref: {name: github}
      params:
      - {name: secretRef, value: {secretName: github-webhook, secretKey: token}}
      - {name: eventTypes, value: [push]}
    - ref: {name: cel}
      params: [{name: filter, value: "body.ref == 'refs/heads/main'"}]
    bindings:
    - {name: revision, value: $(body.head_commit.id)}
    template:
      spec:
        params: [{name: revision}]
        resourcetemplates:
        - apiVersion: windlass.dev/v1alpha1
          kind: PipelineRun
          metadata: {generateName: build-}
          spec: {pipelineRef: {name: build}}
        - apiVersion: v1
          kind: ConfigMap
          metadata: {generateName: note-}
`

// ownedBy checks obj is controlled by the listener: garbage collection removes it with the listener.
func ownedBy(t *testing.T, obj client.Object, el *triggersv1.EventListener) {
	t.Helper()
	if ref := metav1.GetControllerOf(obj); ref == nil || ref.UID != el.UID || ref.Kind != "EventListener" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("%T %s: controller reference %+v, want EventListener %s", obj, obj.GetName(), ref, el.Name)
	}
}

// TestInlineTriggerGetsDeploymentServiceAndLeastPrivilegeRBAC follows one
// listener from creation to Ready, checking everything made for it.
func TestInlineTriggerGetsDeploymentServiceAndLeastPrivilegeRBAC(t *testing.T) {
	ns := namespace(t)
	create(t, ns, &triggersv1.EventListener{}, githubListener)

	c := waitReason(t, ns, "github", triggersv1.ReasonDeploying)
	el := listenerOf(t, ns, "github")
	if c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "0/1 replicas ready") {
		t.Errorf("Ready = %s %q, want False saying 0/1 replicas ready", c.Status, c.Message)
	}
	if want := "kind ConfigMap (group core) is not granted: give service account el-github permission to create it"; !strings.Contains(c.Message, want) {
		t.Errorf("Ready message %q does not say %q", c.Message, want)
	}
	if got, want := el.Status.Address, (&triggersv1.Addressable{URL: "http://el-github." + ns + ".svc.cluster.local:8080"}); !cmp.Equal(got, want) {
		t.Errorf("address = %+v, want %+v", got, want)
	}
	if el.Status.Configuration.GeneratedResourceName != "el-github" || el.Status.ObservedGeneration != el.Generation {
		t.Errorf("status configuration %+v, observedGeneration %d (generation %d)", el.Status.Configuration, el.Status.ObservedGeneration, el.Generation)
	}
	if !slices.Contains(el.Finalizers, "triggers.windlass.dev/rbac-cleanup") {
		t.Errorf("finalizers %v lack the RBAC cleanup one", el.Finalizers)
	}

	d := &appsv1.Deployment{}
	get(t, ns, "el-github", d)
	ownedBy(t, d, el)
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("containers = %d, want 1", len(pod.Containers))
	}
	ctr := pod.Containers[0]
	wantArgs := []string{"--name=github", "--namespace=" + ns, "--port=8080", "--metrics-port=9000", "--max-body-bytes=1048576"}
	if ctr.Name != "eventlistener" || ctr.Image != listenerImage || !cmp.Equal(ctr.Args, wantArgs) {
		t.Errorf("container %s image %s args %v, want eventlistener %s %v", ctr.Name, ctr.Image, ctr.Args, listenerImage, wantArgs)
	}
	if ptr.Deref(d.Spec.Replicas, 0) != 1 || pod.ServiceAccountName != "el-github" {
		t.Errorf("replicas %v serviceAccountName %q, want 1 and el-github", d.Spec.Replicas, pod.ServiceAccountName)
	}
	for k, v := range map[string]string{"app.kubernetes.io/managed-by": "windlass", "app.kubernetes.io/component": "eventlistener", "triggers.windlass.dev/eventlistener": "github"} {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("pod label %s = %q, want %q", k, d.Spec.Template.Labels[k], v)
		}
	}
	wantPorts := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {Name: "metrics", ContainerPort: 9000, Protocol: corev1.ProtocolTCP}}
	if !cmp.Equal(ctr.Ports, wantPorts) {
		t.Errorf("ports %+v, want %+v", ctr.Ports, wantPorts)
	}
	if p := ctr.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port != intstr.FromInt32(8080) {
		t.Errorf("readinessProbe %+v, want GET /readyz on 8080", p)
	}
	if p := ctr.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != intstr.FromInt32(8080) {
		t.Errorf("livenessProbe %+v, want GET /healthz on 8080", p)
	}
	sc := ctr.SecurityContext
	if sc == nil || !ptr.Deref(sc.RunAsNonRoot, false) || ptr.Deref(sc.RunAsUser, 0) != 65532 || ptr.Deref(sc.AllowPrivilegeEscalation, true) ||
		!ptr.Deref(sc.ReadOnlyRootFilesystem, false) || sc.Capabilities == nil || !cmp.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container securityContext %+v is not the restricted one", sc)
	}
	if pod.SecurityContext == nil || !ptr.Deref(pod.SecurityContext.RunAsNonRoot, false) {
		t.Errorf("pod securityContext %+v does not require non-root", pod.SecurityContext)
	}
	if r := ctr.Resources; r.Requests.Cpu().String() != "50m" || r.Requests.Memory().String() != "64Mi" ||
		r.Limits.Memory().String() != "256Mi" || len(r.Limits) != 1 {
		t.Errorf("resources %+v, want requests cpu 50m memory 64Mi, limits memory 256Mi only", r)
	}

	svc := &corev1.Service{}
	get(t, ns, "el-github", svc)
	ownedBy(t, svc, el)
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || len(svc.Spec.Ports) != 2 ||
		svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort != intstr.FromInt32(8080) ||
		svc.Spec.Ports[1].Name != "http-metrics" || svc.Spec.Ports[1].Port != 9000 {
		t.Errorf("service %s ports %+v, want ClusterIP http 8080->8080 and http-metrics 9000", svc.Spec.Type, svc.Spec.Ports)
	}
	if svc.Spec.Selector["triggers.windlass.dev/eventlistener"] != "github" {
		t.Errorf("service selector %v does not select the listener's pods", svc.Spec.Selector)
	}

	sa := &corev1.ServiceAccount{}
	get(t, ns, "el-github", sa)
	ownedBy(t, sa, el)

	role := &rbacv1.Role{}
	get(t, ns, "el-github", role)
	ownedBy(t, role, el)
	wantRules := []rbacv1.PolicyRule{
		{APIGroups: []string{"triggers.windlass.dev"}, Resources: []string{"eventlisteners", "triggers", "triggerbindings", "triggertemplates"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{"github-webhook"}},
		{APIGroups: []string{"windlass.dev"}, Resources: []string{"pipelineruns"}, Verbs: []string{"create", "get"}},
		{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
	if diff := cmp.Diff(wantRules, role.Rules); diff != "" {
		t.Errorf("Role rules (-want +got):\n%s", diff)
	}
	rb := &rbacv1.RoleBinding{}
	get(t, ns, "el-github", rb)
	ownedBy(t, rb, el)
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "el-github", Namespace: ns}}
	if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != "el-github" || !cmp.Equal(rb.Subjects, wantSubjects) {
		t.Errorf("RoleBinding %+v -> %+v, want Role el-github -> %+v", rb.RoleRef, rb.Subjects, wantSubjects)
	}
	crb := &rbacv1.ClusterRoleBinding{}
	get(t, "", "windlass-el-"+ns+"-github", crb)
	if crb.RoleRef.Kind != "ClusterRole" || crb.RoleRef.Name != "windlass-eventlistener-cluster" || !cmp.Equal(crb.Subjects, wantSubjects) {
		t.Errorf("ClusterRoleBinding %+v -> %+v, want windlass-eventlistener-cluster -> %+v", crb.RoleRef, crb.Subjects, wantSubjects)
	}
	if crb.Labels["triggers.windlass.dev/eventlistener-namespace"] != ns || crb.Labels["triggers.windlass.dev/eventlistener"] != "github" {
		t.Errorf("ClusterRoleBinding labels %v do not name the listener", crb.Labels)
	}

	// What the account may do, as the API server's authorizer decides it.
	other := namespace(t)
	can(t, ns, "el-github", "create", "windlass.dev", "pipelineruns", ns, "", true)
	can(t, ns, "el-github", "get", "", "secrets", ns, "github-webhook", true)
	can(t, ns, "el-github", "get", "", "secrets", ns, "another-secret", false)
	can(t, ns, "el-github", "list", "", "secrets", ns, "", false)
	can(t, ns, "el-github", "create", "windlass.dev", "taskruns", ns, "", false)
	can(t, ns, "el-github", "create", "", "configmaps", ns, "", false)
	can(t, ns, "el-github", "watch", "triggers.windlass.dev", "triggers", ns, "", true)
	can(t, ns, "el-github", "list", "triggers.windlass.dev", "clustertriggerbindings", "", "", true)
	can(t, ns, "el-github", "get", "triggers.windlass.dev", "clusterinterceptors", "", "x", true)
	can(t, ns, "el-github", "list", "triggers.windlass.dev", "triggers", other, "", false)
	can(t, ns, "default", "create", "windlass.dev", "pipelineruns", ns, "", false)

	rollOut(t, ns, "el-github", 1)
	c = waitReason(t, ns, "github", triggersv1.ReasonReady)
	if c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "1/1 replicas ready") {
		t.Errorf("Ready = %s %q, want True saying 1/1 replicas ready", c.Status, c.Message)
	}
	poll(t, "an Event saying the listener is Ready", func(ctx context.Context) bool {
		list := &eventsv1.EventList{}
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false
		}
		return slices.ContainsFunc(list.Items, func(e eventsv1.Event) bool {
			return e.Regarding.Name == "github" && e.Reason == triggersv1.ReasonReady && e.Type == corev1.EventTypeNormal
		})
	})

	// Scaling to zero is not ready, and says so.
	updateListener(t, ns, "github", func(el *triggersv1.EventListener) {
		el.Spec.Resources.KubernetesResource = &triggersv1.KubernetesResource{Replicas: ptr.To[int32](0)}
	})
	poll(t, "the Deployment scaled to 0", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "el-github"}, d) == nil && ptr.Deref(d.Spec.Replicas, 1) == 0
	})
	rollOut(t, ns, "el-github", 0)
	waitReady(t, ns, "github", "said False/Deploying, scaled to 0", func(c *metav1.Condition) bool {
		return c.Status == metav1.ConditionFalse && c.Reason == triggersv1.ReasonDeploying && strings.Contains(c.Message, "scaled to 0")
	})
}

// TestNamedServiceAccountIsBoundNotCreated: a listener naming its account
// gets no account of its own; a missing one is reported, and switching from
// the dedicated account to a named one deletes the dedicated one.
func TestNamedServiceAccountIsBoundNotCreated(t *testing.T) {
	ns := namespace(t)
	create(t, ns, &triggersv1.EventListener{}, strings.Replace(githubListener, "spec:\n", "spec:\n  serviceAccountName: ci-bot\n", 1))
	c := waitReason(t, ns, "github", triggersv1.ReasonServiceAccountNotFound)
	if !strings.Contains(c.Message, `service account "ci-bot"`) {
		t.Errorf("message %q does not name the account", c.Message)
	}
	rb := &rbacv1.RoleBinding{}
	get(t, ns, "el-github", rb)
	want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ci-bot", Namespace: ns}}
	if !cmp.Equal(rb.Subjects, want) {
		t.Errorf("RoleBinding subjects %+v, want %+v", rb.Subjects, want)
	}
	crb := &rbacv1.ClusterRoleBinding{}
	get(t, "", "windlass-el-"+ns+"-github", crb)
	if !cmp.Equal(crb.Subjects, want) {
		t.Errorf("ClusterRoleBinding subjects %+v, want %+v", crb.Subjects, want)
	}
	d := &appsv1.Deployment{}
	get(t, ns, "el-github", d)
	if d.Spec.Template.Spec.ServiceAccountName != "ci-bot" {
		t.Errorf("pod serviceAccountName %q, want ci-bot", d.Spec.Template.Spec.ServiceAccountName)
	}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "el-github"}, &corev1.ServiceAccount{}); err == nil {
		t.Errorf("service account el-github was created for a listener naming ci-bot")
	}
	can(t, ns, "ci-bot", "create", "windlass.dev", "pipelineruns", ns, "", true)

	// The account appears; the controller re-checks on the listener's next
	// change (and every 30 seconds otherwise).
	create(t, ns, &corev1.ServiceAccount{}, "metadata: {name: ci-bot}")
	updateListener(t, ns, "github", func(el *triggersv1.EventListener) {
		el.Annotations = map[string]string{"touched": "yes"}
	})
	waitReason(t, ns, "github", triggersv1.ReasonDeploying)

	// From a dedicated account to a named one.
	create(t, ns, &triggersv1.EventListener{}, strings.Replace(githubListener, "name: github}", "name: second}", 1))
	sa := &corev1.ServiceAccount{}
	get(t, ns, "el-second", sa)
	updateListener(t, ns, "second", func(el *triggersv1.EventListener) { el.Spec.ServiceAccountName = "ci-bot" })
	gone(t, ns, "el-second", sa)
	poll(t, "RoleBinding el-second bound to ci-bot", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "el-second"}, rb) == nil && cmp.Equal(rb.Subjects, want)
	})
}

// TestMissingReferencesAreInvalidTriggersUntilCreated: the listener still
// runs; the condition names each missing object and clears as they appear.
func TestMissingReferencesAreInvalidTriggersUntilCreated(t *testing.T) {
	ns := namespace(t)
	ctb := "shared-" + ns
	create(t, ns, &triggersv1.EventListener{}, `
metadata: {name: refs}
spec:
  triggers:
  - name: github-push
    bindings: [{ref: `+ctb+`, kind: ClusterTriggerBinding}]
    template: {ref: build}
  - name: by-ref
    triggerRef: later
`)
	c := waitReason(t, ns, "refs", triggersv1.ReasonInvalidTriggers)
	for _, want := range []string{
		`triggers[0] (github-push): ClusterTriggerBinding "` + ctb + `" not found`,
		`triggers[0] (github-push): TriggerTemplate "build" not found`,
		`triggers[1] (by-ref): Trigger "later" not found`,
	} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("message %q does not say %q", c.Message, want)
		}
	}
	if c.Status != metav1.ConditionFalse {
		t.Errorf("Ready = %s, want False", c.Status)
	}
	get(t, ns, "el-refs", &appsv1.Deployment{}) // valid triggers are served meanwhile
	role := &rbacv1.Role{}
	get(t, ns, "el-refs", role)
	if len(role.Rules) != 2 {
		t.Errorf("Role rules %+v, want only read and events while no template is known", role.Rules)
	}

	create(t, ns, &triggersv1.TriggerTemplate{}, `
metadata: {name: build}
spec:
  resourcetemplates:
  - {apiVersion: windlass.dev/v1alpha1, kind: TaskRun, metadata: {generateName: t-}, spec: {taskRef: {name: t}}}
`)
	waitReady(t, ns, "refs", "forgot the template", func(c *metav1.Condition) bool {
		return c.Reason == triggersv1.ReasonInvalidTriggers && !strings.Contains(c.Message, "TriggerTemplate")
	})
	poll(t, "the Role granting create on the template's TaskRuns", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "el-refs"}, role) == nil &&
			slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Resources, "taskruns") })
	})
	create(t, "", &triggersv1.ClusterTriggerBinding{}, "metadata: {name: "+ctb+"}\nspec: {params: [{name: a, value: b}]}")
	create(t, ns, &triggersv1.Trigger{}, `
metadata: {name: later}
spec:
  interceptors: [{ref: {name: gitlab}, params: [{name: secretRef, value: {secretName: gitlab-token, secretKey: t}}]}]
  template: {ref: build}
`)
	waitReason(t, ns, "refs", triggersv1.ReasonDeploying)
	poll(t, "the Role granting get on the referenced Trigger's secret", func(ctx context.Context) bool {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "el-refs"}, role) == nil &&
			slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool { return cmp.Equal(r.ResourceNames, []string{"gitlab-token"}) })
	})
}

// TestNamespaceSelectorAndDeletion: other namespaces get a reading Role, "*"
// a ClusterRoleBinding; deleting the listener removes everything owner
// references cannot reach (the finalizer), and the listener goes.
func TestNamespaceSelectorAndDeletion(t *testing.T) {
	ns, other := namespace(t), namespace(t)
	el := &triggersv1.EventListener{}
	create(t, ns, el, "metadata: {name: wide}\nspec:\n  namespaceSelector: {matchNames: ["+other+", missing-"+ns+"]}\n")
	c := waitReason(t, ns, "wide", triggersv1.ReasonInvalidTriggers)
	if want := `namespaceSelector.matchNames: namespace "missing-` + ns + `" not found`; !strings.Contains(c.Message, want) {
		t.Errorf("message %q does not say %q", c.Message, want)
	}
	foreign := "windlass-el-" + ns + "-wide"
	role, rb := &rbacv1.Role{}, &rbacv1.RoleBinding{}
	get(t, other, foreign, role)
	get(t, other, foreign, rb)
	if metav1.GetControllerOf(role) != nil || role.Labels["triggers.windlass.dev/eventlistener-namespace"] != ns {
		t.Errorf("Role %s/%s: owner %v labels %v, want no owner and the listener's labels", other, foreign, metav1.GetControllerOf(role), role.Labels)
	}
	can(t, ns, "el-wide", "list", "triggers.windlass.dev", "triggertemplates", other, "", true)
	can(t, ns, "el-wide", "watch", "triggers.windlass.dev", "eventlisteners", other, "", true)
	can(t, ns, "el-wide", "create", "windlass.dev", "pipelineruns", other, "", false)
	can(t, ns, "el-wide", "get", "", "secrets", other, "x", false)

	updateListener(t, ns, "wide", func(el *triggersv1.EventListener) { el.Spec.NamespaceSelector.MatchNames = []string{"*"} })
	crb := &rbacv1.ClusterRoleBinding{}
	get(t, "", foreign+":namespaces", crb)
	if crb.RoleRef.Name != "windlass-eventlistener-namespaces" {
		t.Errorf("ClusterRoleBinding %s binds %s, want windlass-eventlistener-namespaces", crb.Name, crb.RoleRef.Name)
	}
	gone(t, other, foreign, role)
	gone(t, other, foreign, rb)
	can(t, ns, "el-wide", "list", "triggers.windlass.dev", "triggers", other, "", true)
	waitReason(t, ns, "wide", triggersv1.ReasonDeploying)

	if err := k8s.Delete(context.Background(), listenerOf(t, ns, "wide")); err != nil {
		t.Fatal(err)
	}
	gone(t, "", foreign, &rbacv1.ClusterRoleBinding{})
	gone(t, "", foreign+":namespaces", &rbacv1.ClusterRoleBinding{})
	gone(t, ns, "wide", &triggersv1.EventListener{})
}

// TestClusterRoleBindingNameClash: listener c in namespace P-b and listener
// b-c in namespace P both want ClusterRoleBinding windlass-el-P-b-c; the
// second is told, and the first keeps its binding.
func TestClusterRoleBindingNameClash(t *testing.T) {
	p := namespace(t)
	pb := p + "-b"
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pb}}); err != nil {
		t.Fatal(err)
	}
	create(t, pb, &triggersv1.EventListener{}, "metadata: {name: c}")
	waitReason(t, pb, "c", triggersv1.ReasonDeploying)
	create(t, p, &triggersv1.EventListener{}, "metadata: {name: b-c}")
	c := waitReason(t, p, "b-c", triggersv1.ReasonDeployFailed)
	if want := "ClusterRoleBinding windlass-el-" + pb + "-c already serves EventListener " + pb + "/c"; !strings.Contains(c.Message, want) {
		t.Errorf("message %q does not say %q", c.Message, want)
	}
	crb := &rbacv1.ClusterRoleBinding{}
	get(t, "", "windlass-el-"+pb+"-c", crb)
	if want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "el-c", Namespace: pb}}; !cmp.Equal(crb.Subjects, want) {
		t.Errorf("the first listener's binding was taken over: subjects %+v", crb.Subjects)
	}
}

// TestSchemaRejectsAmbiguousTriggers: the CRD itself refuses what one object decides.
func TestSchemaRejectsAmbiguousTriggers(t *testing.T) {
	ns := namespace(t)
	tests := []struct {
		name, triggers, want string
	}{
		{name: "triggerRef and template", want: "a trigger sets exactly one of triggerRef or template",
			triggers: `[{name: a, triggerRef: x, template: {ref: y}}]`},
		{name: "binding ref and value", want: "a binding sets exactly one of ref or value",
			triggers: `[{name: a, bindings: [{name: p, ref: b, value: v}], template: {ref: y}}]`},
		{name: "interceptor ref and webhook", want: "an interceptor sets exactly one of ref or webhook",
			triggers: `[{name: a, interceptors: [{ref: {name: github}, webhook: {url: "http://x"}}], template: {ref: y}}]`},
		{name: "duplicate trigger names", want: "trigger names must be unique",
			triggers: `[{name: a, template: {ref: y}}, {name: a, template: {ref: z}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := &triggersv1.EventListener{}
			if err := yaml.UnmarshalStrict([]byte("metadata: {name: bad}\nspec: {triggers: "+tt.triggers+"}"), el); err != nil {
				t.Fatal(err)
			}
			el.Namespace = ns
			err := k8s.Create(context.Background(), el)
			if err == nil {
				_ = k8s.Delete(context.Background(), el)
				t.Fatalf("the API server accepted it, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to say %q", err, tt.want)
			}
		})
	}
}
