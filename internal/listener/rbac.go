package listener

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// AllNamespaces in namespaceSelector.matchNames selects every namespace.
const AllNamespaces = "*"

// readRules let the listener read what it serves in a namespace. The
// EventListeners are among them: the listener's informers span every
// namespace it serves (its own, namespaceSelector's), not only its own object.
func readRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{
		APIGroups: []string{triggersv1.GroupVersion.Group},
		Resources: []string{"eventlisteners", "triggers", "triggerbindings", "triggertemplates"},
		Verbs:     []string{"get", "list", "watch"},
	}}
}

// Rules are exactly what the listener needs in its own namespace: read its
// EventListener and the triggers' objects; get the Secrets its interceptors
// verify webhooks with (by name, no rule without any); create (and get, to
// answer a redelivery) the runs its templates make; record Events.
func Rules(a *Analysis) []rbacv1.PolicyRule {
	rules := readRules()
	if len(a.Secrets) > 0 {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"},
			ResourceNames: slices.Clone(a.Secrets),
		})
	}
	if len(a.Creates) > 0 {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: []string{windlassv1.GroupVersion.Group}, Resources: slices.Clone(a.Creates), Verbs: []string{"create", "get"},
		})
	}
	return append(rules, rbacv1.PolicyRule{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}})
}

// ownerRef makes the listener the controller of an object in its namespace.
func ownerRef(el *triggersv1.EventListener) []metav1.OwnerReference {
	return []metav1.OwnerReference{*metav1.NewControllerRef(el, triggersv1.GroupVersion.WithKind("EventListener"))}
}

func objectMeta(el *triggersv1.EventListener, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: el.Namespace, Labels: Labels(el), OwnerReferences: ownerRef(el)}
}

func subject(el *triggersv1.EventListener) []rbacv1.Subject {
	return []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ServiceAccountName(el), Namespace: el.Namespace}}
}

// ServiceAccount is the dedicated account el-<name>, only when the listener
// names none: permissions are never bound to a namespace's default account.
func ServiceAccount(el *triggersv1.EventListener) *corev1.ServiceAccount {
	if el.Spec.ServiceAccountName != "" {
		return nil
	}
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: objectMeta(el, GeneratedName(el)),
	}
}

// Role holds Rules(a) in the listener's namespace.
func Role(el *triggersv1.EventListener, a *Analysis) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: objectMeta(el, GeneratedName(el)),
		Rules:      Rules(a),
	}
}

// RoleBinding binds Role to the listener's account.
func RoleBinding(el *triggersv1.EventListener) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: objectMeta(el, GeneratedName(el)),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: GeneratedName(el)},
		Subjects:   subject(el),
	}
}

func clusterRoleBinding(el *triggersv1.EventListener, name, role string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: OwnerLabels(el)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subject(el),
	}
}

// ClusterRoleBindings bind the listener's account to ClusterReaderRole and,
// with namespaceSelector.matchNames ["*"], to NamespacesReaderRole. No owner
// reference reaches a cluster-scoped object: Finalizer deletes them.
func ClusterRoleBindings(el *triggersv1.EventListener) []*rbacv1.ClusterRoleBinding {
	out := []*rbacv1.ClusterRoleBinding{clusterRoleBinding(el, ClusterBindingName(el), ClusterReaderRole)}
	if slices.Contains(el.Spec.NamespaceSelector.MatchNames, AllNamespaces) {
		out = append(out, clusterRoleBinding(el, NamespacesBindingName(el), NamespacesReaderRole))
	}
	return out
}

// ForeignNamespaces are the other namespaces whose triggers the listener
// reads through a Role there: namespaceSelector.matchNames, unless "*" (a
// ClusterRoleBinding covers every namespace then), sorted.
func ForeignNamespaces(el *triggersv1.EventListener) []string {
	names := el.Spec.NamespaceSelector.MatchNames
	if slices.Contains(names, AllNamespaces) {
		return nil
	}
	var out []string
	for _, ns := range names {
		if ns != el.Namespace && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	slices.Sort(out)
	return out
}

// ForeignRBAC is the Role and RoleBinding letting the listener read the
// triggers' objects in namespace ns; Finalizer deletes them. It grants no
// Secret and no create there: a Trigger of another namespace that verifies
// with a Secret or creates runs (in its own namespace) needs the user to
// grant the listener's account that.
func ForeignRBAC(el *triggersv1.EventListener, ns string) (*rbacv1.Role, *rbacv1.RoleBinding) {
	m := metav1.ObjectMeta{Name: ForeignName(el), Namespace: ns, Labels: OwnerLabels(el)}
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: m,
		Rules:      readRules(),
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: *m.DeepCopy(),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: m.Name},
		Subjects:   subject(el),
	}
	return role, binding
}
