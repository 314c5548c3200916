package listener

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

// fakeLookup answers from maps; names in fail make it fail as an API error would.
type fakeLookup struct {
	triggers        map[string]*triggersv1.Trigger
	templates       map[string]*triggersv1.TriggerTemplate
	bindings        map[string]bool
	clusterBindings map[string]bool
	fail            string
}

var errAPI = errors.New("the API server is away")

func (f fakeLookup) Trigger(name string) (*triggersv1.Trigger, error) {
	if name == f.fail {
		return nil, errAPI
	}
	return f.triggers[name], nil
}

func (f fakeLookup) TriggerTemplate(name string) (*triggersv1.TriggerTemplate, error) {
	if name == f.fail {
		return nil, errAPI
	}
	return f.templates[name], nil
}

func (f fakeLookup) TriggerBinding(name string) (bool, error) {
	if name == f.fail {
		return false, errAPI
	}
	return f.bindings[name], nil
}

func (f fakeLookup) ClusterTriggerBinding(name string) (bool, error) {
	if name == f.fail {
		return false, errAPI
	}
	return f.clusterBindings[name], nil
}

func trigger(t *testing.T, name, spec string) *triggersv1.Trigger {
	t.Helper()
	tr := &triggersv1.Trigger{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"}}
	if err := yaml.UnmarshalStrict([]byte(spec), &tr.Spec); err != nil {
		t.Fatalf("bad trigger spec: %v", err)
	}
	return tr
}

func template(t *testing.T, name, spec string) *triggersv1.TriggerTemplate {
	t.Helper()
	tt := &triggersv1.TriggerTemplate{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci"}}
	if err := yaml.UnmarshalStrict([]byte(spec), &tt.Spec); err != nil {
		t.Fatalf("bad template spec: %v", err)
	}
	return tt
}

func TestAnalyze(t *testing.T) {
	look := fakeLookup{
		triggers: map[string]*triggersv1.Trigger{
			"bitbucket-push": trigger(t, "bitbucket-push", `
interceptors:
- ref: {name: bitbucket}
  params: [{name: secretRef, value: {secretName: bb-secret, secretKey: k}}]
bindings: [{ref: bb-binding}]
template: {ref: taskrun-template}`),
			"broken": trigger(t, "broken", `
bindings: [{ref: gone-binding}, {ref: gone-cluster, kind: ClusterTriggerBinding}]
template: {ref: gone-template}`),
			"selected": trigger(t, "selected", `
interceptors: [{ref: {name: github}, params: [{name: secretRef, value: {secretName: selected-secret, secretKey: k}}]}]
template: {ref: pipelinerun-template}`),
		},
		templates: map[string]*triggersv1.TriggerTemplate{
			"taskrun-template":     template(t, "taskrun-template", `resourcetemplates: [{apiVersion: windlass.dev/v1alpha1, kind: TaskRun}]`),
			"pipelinerun-template": template(t, "pipelinerun-template", `resourcetemplates: [{apiVersion: windlass.dev/v1alpha1, kind: PipelineRun}]`),
		},
		bindings:        map[string]bool{"bb-binding": true, "github-binding": true},
		clusterBindings: map[string]bool{"shared": true},
	}
	tests := []struct {
		name     string
		spec     string
		selected []string
		want     Analysis
		wantErr  bool
	}{
		{
			name: "inline github and a referenced bitbucket trigger",
			spec: `
triggers:
- name: github-push
  interceptors:
  - ref: {name: github}
    params: [{name: secretRef, value: {secretName: gh-secret, secretKey: token}}]
  - ref: {name: cel}
    params: [{name: secretRef, value: {secretName: not-read-by-cel}}]
  - webhook: {url: "http://x.y.svc"}
  bindings: [{ref: github-binding}, {ref: shared, kind: ClusterTriggerBinding}, {name: a, value: b}]
  template:
    spec:
      resourcetemplates:
      - {apiVersion: windlass.dev/v1alpha1, kind: PipelineRun}
      - {apiVersion: windlass.dev/v1alpha1, kind: PipelineRun}
      - {apiVersion: v1, kind: ConfigMap}
      - {apiVersion: windlass.dev/v1alpha1, kind: Pipeline}
      - {apiVersion: tekton.dev/v1, kind: PipelineRun}
      - {kind: NoVersion}
      - {apiVersion: "a/b/c", kind: BadVersion}
- triggerRef: bitbucket-push`,
			want: Analysis{
				Secrets: []string{"bb-secret", "gh-secret"},
				Creates: []string{"pipelineruns", "taskruns"},
				Ungranted: []schema.GroupKind{
					{Group: "", Kind: "ConfigMap"}, {Group: "tekton.dev", Kind: "PipelineRun"}, {Group: "windlass.dev", Kind: "Pipeline"},
				},
			},
		},
		{
			name: "missing references, named by trigger",
			spec: `
triggers:
- name: github-push
  bindings: [{ref: nope}, {ref: nope-either, kind: ClusterTriggerBinding}]
  template: {ref: build}
- triggerRef: absent
- name: via-ref
  triggerRef: broken
- template: {ref: pipelinerun-template}`,
			want: Analysis{
				Problems: []string{
					`triggers[0] (github-push): TriggerBinding "nope" not found`,
					`triggers[0] (github-push): ClusterTriggerBinding "nope-either" not found`,
					`triggers[0] (github-push): TriggerTemplate "build" not found`,
					`triggers[1]: Trigger "absent" not found`,
					`triggers[2] (via-ref): Trigger "broken": TriggerBinding "gone-binding" not found`,
					`triggers[2] (via-ref): Trigger "broken": ClusterTriggerBinding "gone-cluster" not found`,
					`triggers[2] (via-ref): Trigger "broken": TriggerTemplate "gone-template" not found`,
				},
				Creates: []string{"pipelineruns"},
			},
		},
		{
			name:     "label-selected triggers count once",
			spec:     `triggers: [{triggerRef: bitbucket-push}]`,
			selected: []string{"bitbucket-push", "selected", "broken"},
			want: Analysis{
				Problems: []string{
					`Trigger "broken" (labelSelector): TriggerBinding "gone-binding" not found`,
					`Trigger "broken" (labelSelector): ClusterTriggerBinding "gone-cluster" not found`,
					`Trigger "broken" (labelSelector): TriggerTemplate "gone-template" not found`,
				},
				Secrets: []string{"bb-secret", "selected-secret"},
				Creates: []string{"pipelineruns", "taskruns"},
			},
		},
		{name: "an API error is returned, not reported", spec: `triggers: [{triggerRef: boom}]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			el := listenerFrom(t, "metadata: {name: x}\nspec:\n"+indent(tt.spec))
			var selected []triggersv1.Trigger
			for _, n := range tt.selected {
				selected = append(selected, *look.triggers[n])
			}
			l := look
			l.fail = "boom"
			got, err := Analyze(el, selected, l)
			if tt.wantErr {
				if !errors.Is(err, errAPI) {
					t.Fatalf("err = %v, want the lookup's error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("analysis (-want +got):\n%s", diff)
			}
		})
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if line != "" {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String()
}

func TestUngrantedMessage(t *testing.T) {
	el := &triggersv1.EventListener{ObjectMeta: metav1.ObjectMeta{Name: "gh", Namespace: "ci"}}
	a := &Analysis{Ungranted: []schema.GroupKind{{Kind: "ConfigMap"}, {Group: "tekton.dev", Kind: "PipelineRun"}}}
	want := "kind ConfigMap (group core) is not granted: give service account el-gh permission to create it; " +
		"kind PipelineRun (group tekton.dev) is not granted: give service account el-gh permission to create it"
	if got := UngrantedMessage(el, a); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	el.Spec.ServiceAccountName = "bot"
	if got := UngrantedMessage(el, &Analysis{Ungranted: a.Ungranted[:1]}); got != "kind ConfigMap (group core) is not granted: give service account bot permission to create it" {
		t.Fatalf("named account: got %q", got)
	}
}

func TestTriggerSelector(t *testing.T) {
	el := &triggersv1.EventListener{}
	if sel, problem := TriggerSelector(el); sel != nil || problem != "" {
		t.Errorf("without labelSelector: %v %q, want nothing", sel, problem)
	}
	el.Spec.LabelSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
	if sel, problem := TriggerSelector(el); sel == nil || sel.String() != "team=a" || problem != "" {
		t.Errorf("matchLabels team=a: %v %q", sel, problem)
	}
	el.Spec.LabelSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: "Near"}}}
	if sel, problem := TriggerSelector(el); sel != nil || !strings.HasPrefix(problem, "spec.labelSelector: ") {
		t.Errorf("bad operator: %v %q, want a problem naming spec.labelSelector", sel, problem)
	}
}
