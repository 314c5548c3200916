package listener

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Lookup reads the objects triggers refer to, in the listener's namespace
// (ClusterTriggerBindings cluster-wide). A missing object is (nil, nil) or
// false; an error is an API failure, which Analyze returns as is.
type Lookup interface {
	Trigger(name string) (*triggersv1.Trigger, error)
	TriggerTemplate(name string) (*triggersv1.TriggerTemplate, error)
	TriggerBinding(name string) (bool, error)
	ClusterTriggerBinding(name string) (bool, error)
}

// Analysis is what a listener's triggers need and what is wrong with them.
type Analysis struct {
	// Problems are references to missing objects, one sentence each, in
	// trigger order: the InvalidTriggers message.
	Problems []string
	// Secrets are the Secrets the github, gitlab and bitbucket interceptors
	// read (their secretRef params), sorted.
	Secrets []string
	// Creates are the windlass.dev resources the templates create, sorted.
	Creates []string
	// Ungranted are the kinds the templates create that the controller does
	// not grant, sorted: the user gives the listener's account permission.
	Ungranted []schema.GroupKind
}

// SecretInterceptors are the built-in interceptors that verify a webhook with
// a Secret named by their secretRef param.
var SecretInterceptors = []string{"github", "gitlab", "bitbucket"}

// Grantable are the windlass.dev resources a listener may be granted create
// on: the runs. The controller itself holds create on exactly these (RBAC
// lets it grant nothing it does not hold); a template making a Task or a
// Pipeline needs a grant by the user.
var Grantable = []string{"pipelineruns", "taskruns"}

// Analyze follows the listener's triggers, inline and by triggerRef, and the
// Triggers selected by its labelSelector (given), through their bindings and
// templates. Unparseable resource templates are skipped: the sink reports them.
func Analyze(el *triggersv1.EventListener, selected []triggersv1.Trigger, look Lookup) (*Analysis, error) {
	a := &analyzer{look: look, secrets: map[string]bool{}, creates: map[string]bool{}, ungranted: map[schema.GroupKind]bool{}}
	referenced := map[string]bool{}
	for i := range el.Spec.Triggers {
		t := &el.Spec.Triggers[i]
		where := fmt.Sprintf("triggers[%d]", i)
		if t.Name != "" {
			where += " (" + t.Name + ")"
		}
		if t.TriggerRef != "" {
			referenced[t.TriggerRef] = true
			tr, err := look.Trigger(t.TriggerRef)
			if err != nil {
				return nil, err
			}
			if tr == nil {
				a.problem(where, fmt.Sprintf("Trigger %q not found", t.TriggerRef))
				continue
			}
			if err := a.spec(fmt.Sprintf("%s: Trigger %q", where, t.TriggerRef), &tr.Spec); err != nil {
				return nil, err
			}
			continue
		}
		spec := triggersv1.TriggerSpec{Name: t.Name, Interceptors: t.Interceptors, Bindings: t.Bindings}
		if t.Template != nil {
			spec.Template = *t.Template
		}
		if err := a.spec(where, &spec); err != nil {
			return nil, err
		}
	}
	for i := range selected {
		if referenced[selected[i].Name] {
			continue // already followed through its triggerRef
		}
		if err := a.spec(fmt.Sprintf("Trigger %q (labelSelector)", selected[i].Name), &selected[i].Spec); err != nil {
			return nil, err
		}
	}
	return a.result(), nil
}

type analyzer struct {
	look      Lookup
	problems  []string
	secrets   map[string]bool
	creates   map[string]bool
	ungranted map[schema.GroupKind]bool
}

func (a *analyzer) problem(where, what string) { a.problems = append(a.problems, where+": "+what) }

func (a *analyzer) spec(where string, spec *triggersv1.TriggerSpec) error {
	for _, ic := range spec.Interceptors {
		for _, s := range interceptorSecrets(ic) {
			a.secrets[s] = true
		}
	}
	for _, b := range spec.Bindings {
		if b == nil || b.Ref == "" {
			continue
		}
		kind, exists := triggersv1.NamespacedTriggerBindingKind, false
		var err error
		if b.Kind == triggersv1.ClusterTriggerBindingKind {
			kind = triggersv1.ClusterTriggerBindingKind
			exists, err = a.look.ClusterTriggerBinding(b.Ref)
		} else {
			exists, err = a.look.TriggerBinding(b.Ref)
		}
		if err != nil {
			return err
		}
		if !exists {
			a.problem(where, fmt.Sprintf("%s %q not found", kind, b.Ref))
		}
	}
	tmpl := spec.Template.Spec
	if ref := spec.Template.Ref; ref != nil {
		tt, err := a.look.TriggerTemplate(*ref)
		if err != nil {
			return err
		}
		if tt == nil {
			a.problem(where, fmt.Sprintf("TriggerTemplate %q not found", *ref))
			return nil
		}
		tmpl = &tt.Spec
	}
	if tmpl != nil {
		for _, rt := range tmpl.ResourceTemplates {
			a.resource(rt.Raw)
		}
	}
	return nil
}

// resource records what creating the templated object takes.
func (a *analyzer) resource(raw []byte) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if json.Unmarshal(raw, &head) != nil || head.Kind == "" || head.APIVersion == "" {
		return
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return
	}
	if gv.Group == windlassv1.GroupVersion.Group {
		res := strings.ToLower(head.Kind) + "s"
		if slices.Contains(Grantable, res) {
			a.creates[res] = true
			return
		}
	}
	a.ungranted[schema.GroupKind{Group: gv.Group, Kind: head.Kind}] = true
}

// interceptorSecrets are the Secret names in a built-in verifying
// interceptor's secretRef param: {"secretName": "...", "secretKey": "..."}.
func interceptorSecrets(ic *triggersv1.TriggerInterceptor) []string {
	if ic == nil || ic.Ref == nil || !slices.Contains(SecretInterceptors, ic.Ref.Name) {
		return nil
	}
	var out []string
	for _, p := range ic.Params {
		if p.Name != "secretRef" {
			continue
		}
		var ref struct {
			SecretName string `json:"secretName"`
		}
		if json.Unmarshal(p.Value.Raw, &ref) == nil && ref.SecretName != "" {
			out = append(out, ref.SecretName)
		}
	}
	return out
}

func (a *analyzer) result() *Analysis {
	out := &Analysis{Problems: a.problems}
	for s := range a.secrets {
		out.Secrets = append(out.Secrets, s)
	}
	slices.Sort(out.Secrets)
	for c := range a.creates {
		out.Creates = append(out.Creates, c)
	}
	slices.Sort(out.Creates)
	for gk := range a.ungranted {
		out.Ungranted = append(out.Ungranted, gk)
	}
	slices.SortFunc(out.Ungranted, func(x, y schema.GroupKind) int {
		return strings.Compare(x.Group+"/"+x.Kind, y.Group+"/"+y.Kind)
	})
	return out
}

// TriggerSelector is spec.labelSelector as a selector: nil without one, or
// with a problem saying why it is not a valid one.
func TriggerSelector(el *triggersv1.EventListener) (labels.Selector, string) {
	if el.Spec.LabelSelector == nil {
		return nil, ""
	}
	sel, err := metav1.LabelSelectorAsSelector(el.Spec.LabelSelector)
	if err != nil {
		return nil, "spec.labelSelector: " + err.Error()
	}
	return sel, ""
}

// UngrantedMessage tells the user which kinds the listener's account must be
// given permission to create, or is empty.
func UngrantedMessage(el *triggersv1.EventListener, a *Analysis) string {
	var parts []string
	for _, gk := range a.Ungranted {
		group := gk.Group
		if group == "" {
			group = "core"
		}
		parts = append(parts, fmt.Sprintf("kind %s (group %s) is not granted: give service account %s permission to create it",
			gk.Kind, group, ServiceAccountName(el)))
	}
	return strings.Join(parts, "; ")
}
