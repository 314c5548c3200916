// Package listener builds what serves an EventListener: its ServiceAccount,
// the least-privilege RBAC its triggers need, its Deployment and Service, and
// its Ready condition. It is pure: the controller reads the cluster and hands
// everything in (the triggers' references through a Lookup), so the same
// input always gives the same objects and golden files pin them down.
package listener

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/names"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// Labels on everything the controller makes for a listener. The manager's
// cache holds only Deployments, Services and RBAC objects with LabelComponent.
const (
	LabelManagedBy = podspec.LabelManagedBy
	ManagedBy      = podspec.ManagedBy
	LabelComponent = "app.kubernetes.io/component"
	Component      = "eventlistener"
	// LabelEventListener names the listener (cut to a label value's 63 characters).
	LabelEventListener = "triggers.windlass.dev/eventlistener"
	// LabelEventListenerNamespace is the listener's namespace, on cluster-scoped
	// objects and on those in other namespaces, which owner references cannot reach.
	LabelEventListenerNamespace = "triggers.windlass.dev/eventlistener-namespace"
)

// Finalizer lets the controller delete what owner references cannot clean
// up: ClusterRoleBindings and RBAC in other namespaces.
const Finalizer = "triggers.windlass.dev/rbac-cleanup"

// ClusterRoles shipped in config/rbac (the release prefixes them with windlass-).
const (
	// ClusterReaderRole reads ClusterTriggerBindings and ClusterInterceptors.
	ClusterReaderRole = "windlass-eventlistener-cluster"
	// NamespacesReaderRole reads EventListeners, Triggers, TriggerBindings and
	// TriggerTemplates of every namespace, for namespaceSelector.matchNames: ["*"].
	NamespacesReaderRole = "windlass-eventlistener-namespaces"
)

// GeneratedName names the listener's Deployment, Service, Role, RoleBinding
// and (without spec.serviceAccountName) ServiceAccount: el-<name>. A Service
// name must be a DNS label (63 characters, no dots), which a listener name
// need not be: such a name is shortened and dots become dashes, with a hash of
// the original so distinct listeners keep distinct names.
func GeneratedName(el *triggersv1.EventListener) string {
	n := "el-" + el.Name
	if len(validation.IsDNS1035Label(n)) == 0 {
		return n
	}
	sum := sha256.Sum256([]byte(el.Name))
	h := hex.EncodeToString(sum[:])[:8]
	base := strings.ReplaceAll(n, ".", "-")
	if len(base) > 63-len(h)-1 {
		base = base[:63-len(h)-1]
	}
	return strings.TrimRight(base, "-") + "-" + h
}

// ClusterBindingName names the ClusterRoleBinding to ClusterReaderRole.
func ClusterBindingName(el *triggersv1.EventListener) string {
	return names.Fit("windlass-el-"+el.Namespace+"-"+el.Name, "", 253)
}

// NamespacesBindingName names the ClusterRoleBinding to NamespacesReaderRole.
// The colon cannot occur in a namespace or listener name, so it never equals
// another listener's ClusterBindingName.
func NamespacesBindingName(el *triggersv1.EventListener) string {
	return names.Fit("windlass-el-"+el.Namespace+"-"+el.Name, ":namespaces", 253)
}

// ForeignName names the Role and RoleBinding in a namespaceSelector namespace.
// It starts with windlass-el-, which GeneratedName never does, so it cannot
// collide with the own Role of a listener living in that namespace.
func ForeignName(el *triggersv1.EventListener) string { return ClusterBindingName(el) }

// ServiceAccountName is the account the listener runs as.
func ServiceAccountName(el *triggersv1.EventListener) string {
	if el.Spec.ServiceAccountName != "" {
		return el.Spec.ServiceAccountName
	}
	return GeneratedName(el)
}

// LabelValue fits a name into a label value (63 characters, hashed when longer).
func LabelValue(name string) string { return names.Fit(name, "", 63) }

// SelectorLabels select the listener's pods.
func SelectorLabels(el *triggersv1.EventListener) map[string]string {
	return map[string]string{LabelComponent: Component, LabelEventListener: LabelValue(el.Name)}
}

// Labels go on every object made for the listener.
func Labels(el *triggersv1.EventListener) map[string]string {
	l := SelectorLabels(el)
	l[LabelManagedBy] = ManagedBy
	return l
}

// OwnerLabels go on objects outside the listener's namespace: they name it in full.
func OwnerLabels(el *triggersv1.EventListener) map[string]string {
	l := Labels(el)
	l[LabelEventListenerNamespace] = el.Namespace
	return l
}

// OwnedByOther reports whether labels, of an object found under a name the
// listener wants, say it was made for another listener (two listeners whose
// namespace and name join into the same string, such as a-b/c and a/b-c).
func OwnedByOther(el *triggersv1.EventListener, labels map[string]string) bool {
	name, ok := labels[LabelEventListener]
	if !ok {
		return false
	}
	return name != LabelValue(el.Name) || labels[LabelEventListenerNamespace] != el.Namespace
}
