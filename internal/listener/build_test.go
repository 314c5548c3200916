package listener

import (
	"github.com/windlass-dev/windlass/test/golden"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

const image = "127.0.0.1:5000/windlass/eventlistener@sha256:2222222222222222222222222222222222222222222222222222222222222222"

// listenerFrom decodes an EventListener written as YAML, as a user would.
func listenerFrom(t *testing.T, manifest string) *triggersv1.EventListener {
	t.Helper()
	el := &triggersv1.EventListener{}
	if err := yaml.UnmarshalStrict([]byte(manifest), el); err != nil {
		t.Fatalf("bad manifest: %v", err)
	}
	el.Namespace, el.UID, el.Generation = "ci", types.UID("el-uid"), 3
	return el
}

// checkGolden compares objects, as one YAML stream, with testdata/name.golden.yaml.
func checkGolden(t *testing.T, name string, objs ...any) {
	t.Helper()
	var docs []string
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	got := strings.Join(docs, "---\n")
	golden.Check(t, filepath.Join("testdata", name+".golden.yaml"), []byte(got))
}

func desiredObjects(d *Desired) []any {
	var out []any
	if d.ServiceAccount != nil {
		out = append(out, d.ServiceAccount)
	}
	out = append(out, d.Role, d.RoleBinding)
	for _, c := range d.ClusterRoleBindings {
		out = append(out, c)
	}
	for i := range d.ForeignRoles {
		out = append(out, d.ForeignRoles[i], d.ForeignRoleBindings[i])
	}
	out = append(out, d.Service)
	if d.Deployment != nil {
		out = append(out, d.Deployment)
	}
	return out
}

const githubListener = `
metadata: {name: github}
spec:
  triggers:
  - name: push
    interceptors:
    - ref: {name: github}
      params:
      - {name: secretRef, value: {secretName: github-webhook, secretKey: token}}
      - {name: eventTypes, value: [push]}
    - ref: {name: cel}
      params:
      - {name: filter, value: "body.ref == 'refs/heads/main'"}
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

// TestBuildGolden pins every object a listener gets, per shape of listener.
func TestBuildGolden(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		image    string
	}{
		{name: "inline-github-dedicated-account", manifest: githubListener, image: image},
		{name: "named-account-namespaces-pod-template", image: image, manifest: `
metadata: {name: shared}
spec:
  serviceAccountName: ci-bot
  maxBodyBytes: 4096
  namespaceSelector: {matchNames: [team-b, ci, team-a, team-b]}
  triggers:
  - name: gitlab
    interceptors:
    - ref: {name: gitlab}
      params: [{name: secretRef, value: {secretName: gitlab-token, secretKey: t}}]
    template:
      spec:
        resourcetemplates:
        - {apiVersion: windlass.dev/v1alpha1, kind: TaskRun, metadata: {generateName: lint-}, spec: {taskRef: {name: lint}}}
  resources:
    kubernetesResource:
      replicas: 3
      serviceType: NodePort
      servicePort: 80
      spec:
        template:
          metadata:
            labels: {team: ci, app.kubernetes.io/component: not-ours}
            annotations: {prometheus.io/scrape: "true"}
          spec:
            nodeSelector: {pool: edge}
            tolerations: [{key: edge, operator: Exists, effect: NoSchedule}]
            priorityClassName: high
            containers:
            - resources:
                requests: {cpu: 200m, memory: 128Mi}
                limits: {memory: 1Gi}
              env: [{name: LOG_LEVEL, value: debug}]
`},
		{name: "all-namespaces-without-image", manifest: `
metadata: {name: everywhere}
spec:
  namespaceSelector: {matchNames: ["*"]}
  labelSelector: {matchLabels: {listener: everywhere}}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := listenerFrom(t, tt.manifest)
			a, err := Analyze(el, nil, fakeLookup{})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, desiredObjects(Build(el, a, Config{Image: tt.image}))...)
		})
	}
}

// TestRoleRulesAreExact checks the least-privilege promise rule by rule.
func TestRoleRulesAreExact(t *testing.T) {
	read := rbacv1.PolicyRule{APIGroups: []string{"triggers.windlass.dev"}, Resources: []string{"eventlisteners", "triggers", "triggerbindings", "triggertemplates"}, Verbs: []string{"get", "list", "watch"}}
	events := rbacv1.PolicyRule{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}}
	tests := []struct {
		name string
		a    Analysis
		want []rbacv1.PolicyRule
	}{
		{name: "nothing to verify or create", want: []rbacv1.PolicyRule{read, events}},
		{name: "secrets and runs", a: Analysis{Secrets: []string{"a", "b"}, Creates: []string{"pipelineruns", "taskruns"}}, want: []rbacv1.PolicyRule{
			read,
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{"a", "b"}},
			{APIGroups: []string{"windlass.dev"}, Resources: []string{"pipelineruns", "taskruns"}, Verbs: []string{"create", "get"}},
			events,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Rules(&tt.a)); diff != "" {
				t.Fatalf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNames(t *testing.T) {
	el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "github", Namespace: "ci"}}
	if got := GeneratedName(el); got != "el-github" {
		t.Errorf("GeneratedName = %q, want el-github", got)
	}
	if got := ClusterBindingName(el); got != "windlass-el-ci-github" {
		t.Errorf("ClusterBindingName = %q", got)
	}
	if got := NamespacesBindingName(el); got != "windlass-el-ci-github:namespaces" {
		t.Errorf("NamespacesBindingName = %q", got)
	}
	if got := Address(el); got != "http://el-github.ci.svc.cluster.local:8080" {
		t.Errorf("Address = %q", got)
	}
	// A listener name need not be a DNS label; its Service name must.
	for _, name := range []string{"hooks.example.com", strings.Repeat("a", 70), strings.Repeat("b.", 40) + "c"} {
		el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"}}
		got := GeneratedName(el)
		if len(got) > 63 || strings.Contains(got, ".") || strings.HasSuffix(got, "-") || !strings.HasPrefix(got, "el-") {
			t.Errorf("GeneratedName(%q) = %q: not a DNS label starting with el-", name, got)
		}
		if len(LabelValue(name)) > 63 {
			t.Errorf("LabelValue(%q) longer than 63", name)
		}
	}
	a := GeneratedName(&triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}})
	b := GeneratedName(&triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "a-b"}})
	if a == b {
		t.Errorf("a.b and a-b share the generated name %q", a)
	}
}

func TestOwnedByOther(t *testing.T) {
	el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "b-c", Namespace: "a"}}
	tests := []struct {
		name   string
		labels map[string]string
		want   bool
	}{
		{name: "ours", labels: OwnerLabels(el)},
		{name: "unlabelled", labels: nil},
		{name: "listener c of namespace a-b", labels: map[string]string{LabelEventListener: "c", LabelEventListenerNamespace: "a-b"}, want: true},
		{name: "same name other namespace", labels: map[string]string{LabelEventListener: "b-c", LabelEventListenerNamespace: "x"}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OwnedByOther(el, tt.labels); got != tt.want {
				t.Fatalf("OwnedByOther = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForeignNamespaces(t *testing.T) {
	el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "ci"}}
	el.Spec.NamespaceSelector.MatchNames = []string{"b", "ci", "a", "b"}
	if diff := cmp.Diff([]string{"a", "b"}, ForeignNamespaces(el)); diff != "" {
		t.Errorf("ForeignNamespaces (-want +got):\n%s", diff)
	}
	el.Spec.NamespaceSelector.MatchNames = []string{"a", "*"}
	if got := ForeignNamespaces(el); got != nil {
		t.Errorf("with *: ForeignNamespaces = %v, want none (a ClusterRoleBinding covers them)", got)
	}
	if crbs := ClusterRoleBindings(el); len(crbs) != 2 || crbs[1].RoleRef.Name != NamespacesReaderRole {
		t.Errorf("with *: ClusterRoleBindings = %v, want the cluster and the namespaces readers", crbs)
	}
}
