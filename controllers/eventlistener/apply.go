package eventlistener

import (
	"context"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/listener"
)

// lookup reads the triggers' references from the cache.
type lookup struct {
	ctx context.Context
	c   client.Reader
	ns  string
}

func (l *lookup) get(kind, name string, obj client.Object, namespaced bool) (bool, error) {
	key := client.ObjectKey{Name: name}
	if namespaced {
		key.Namespace = l.ns
	}
	err := l.c.Get(l.ctx, key, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("getting %s %s: %w", kind, name, err)
	}
	return true, nil
}

func (l *lookup) Trigger(name string) (*triggersv1.Trigger, error) {
	t := &triggersv1.Trigger{}
	ok, err := l.get("Trigger", name, t, true)
	if !ok {
		return nil, err
	}
	return t, nil
}

func (l *lookup) TriggerTemplate(name string) (*triggersv1.TriggerTemplate, error) {
	t := &triggersv1.TriggerTemplate{}
	ok, err := l.get("TriggerTemplate", name, t, true)
	if !ok {
		return nil, err
	}
	return t, nil
}

func (l *lookup) TriggerBinding(name string) (bool, error) {
	return l.get("TriggerBinding", name, &triggersv1.TriggerBinding{}, true)
}

func (l *lookup) ClusterTriggerBinding(name string) (bool, error) {
	return l.get("ClusterTriggerBinding", name, &triggersv1.ClusterTriggerBinding{}, false)
}

// applied is what applyAll learnt beyond errors to return.
type applied struct {
	// deployment as the API server returned it (nil without one).
	deployment *appsv1.Deployment
	// blocked: objects held by another listener or refused as invalid.
	blocked []string
	// problems: namespaceSelector names namespaces that do not exist.
	problems          []string
	missingNamespaces bool
}

// applyAll writes every desired object with server-side apply. The API
// server tells no-ops apart: an unchanged object is not written again.
// Refusals the user caused (an invalid object, another listener's name, a
// missing namespace) are reported; anything else is returned.
func (r *Reconciler) applyAll(ctx context.Context, el *triggersv1.EventListener, d *listener.Desired) (*applied, error) {
	out := &applied{}
	userErr := func(obj client.Object, err error) error {
		if apierrors.IsInvalid(err) {
			out.blocked = append(out.blocked, fmt.Sprintf("%s %s was refused: %s", kindOf(obj), obj.GetName(), apiMessage(err)))
			return nil
		}
		return err
	}
	var objs []client.Object
	if d.ServiceAccount != nil {
		objs = append(objs, d.ServiceAccount)
	}
	objs = append(objs, d.Role, d.RoleBinding, d.Service)
	for _, obj := range objs {
		if err := r.apply(ctx, obj); err != nil {
			if err = userErr(obj, err); err != nil {
				return nil, err
			}
		}
	}
	// Objects outside the namespace carry no owner reference; their labels
	// say whose they are, and another listener's are left alone.
	var foreign []client.Object
	for _, crb := range d.ClusterRoleBindings {
		foreign = append(foreign, crb)
	}
	for i := range d.ForeignRoles {
		foreign = append(foreign, d.ForeignRoles[i], d.ForeignRoleBindings[i])
	}
	missingNS := map[string]bool{}
	for _, obj := range foreign {
		if missingNS[obj.GetNamespace()] {
			continue
		}
		held, err := r.heldByOther(ctx, el, obj)
		if err != nil {
			return nil, err
		}
		if held != "" {
			out.blocked = append(out.blocked, held)
			continue
		}
		err = r.apply(ctx, obj)
		if apierrors.IsNotFound(err) && obj.GetNamespace() != "" {
			missingNS[obj.GetNamespace()] = true
			out.missingNamespaces = true
			out.problems = append(out.problems, fmt.Sprintf("namespaceSelector.matchNames: namespace %q not found", obj.GetNamespace()))
			continue
		}
		if err != nil {
			if err = userErr(obj, err); err != nil {
				return nil, err
			}
		}
	}
	if d.Deployment != nil {
		dep := d.Deployment.DeepCopy()
		err := r.apply(ctx, dep)
		if err == nil {
			out.deployment = dep
		} else if err = userErr(dep, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// heldByOther names the listener that already holds obj's name, or is empty.
func (r *Reconciler) heldByOther(ctx context.Context, el *triggersv1.EventListener, obj client.Object) (string, error) {
	cur := obj.DeepCopyObject().(client.Object)
	err := r.Get(ctx, client.ObjectKeyFromObject(obj), cur)
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("getting %s %s: %w", kindOf(obj), obj.GetName(), err)
	}
	if !listener.OwnedByOther(el, cur.GetLabels()) {
		return "", nil
	}
	l := cur.GetLabels()
	return fmt.Sprintf("%s %s already serves EventListener %s/%s: rename this listener",
		kindOf(obj), obj.GetName(), l[listener.LabelEventListenerNamespace], l[listener.LabelEventListener]), nil
}

// apply writes obj with server-side apply and reads the result back into it.
func (r *Reconciler) apply(ctx context.Context, obj client.Object) error {
	u, err := applyObject(obj)
	if err != nil {
		return err
	}
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", kindOf(obj), obj.GetName(), err)
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj)
}

// applyObject turns a typed object into what apply sends: without status
// and without the typed zero values (creationTimestamp: null, strategy: {})
// that would otherwise claim fields the controller never sets.
func applyObject(obj client.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s %s: %w", kindOf(obj), obj.GetName(), err)
	}
	delete(m, "status")
	dropZeroValues(m)
	return &unstructured.Unstructured{Object: m}, nil
}

func dropZeroValues(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropZeroValues(v)
			if len(v) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					dropZeroValues(em)
				}
			}
		}
	}
}

// key identifies an object of a known kind: namespace/name, or /name.
func key(obj client.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }

// apiMessage is the API server's own message in err.
func apiMessage(err error) string {
	var s apierrors.APIStatus
	if errors.As(err, &s) {
		return s.Status().Message
	}
	return err.Error()
}

func kindOf(obj client.Object) string {
	if k := obj.GetObjectKind().GroupVersionKind().Kind; k != "" {
		return k
	}
	return fmt.Sprintf("%T", obj)
}

// ownerSelector selects what was made for el outside its namespace.
func ownerSelector(el *triggersv1.EventListener) client.MatchingLabels {
	return client.MatchingLabels{
		listener.LabelEventListener:          listener.LabelValue(el.Name),
		listener.LabelEventListenerNamespace: el.Namespace,
	}
}

// prune deletes what the listener no longer needs: the dedicated account
// once spec.serviceAccountName names one, the "*" ClusterRoleBinding and
// the Roles of namespaces no longer selected.
func (r *Reconciler) prune(ctx context.Context, el *triggersv1.EventListener, d *listener.Desired) error {
	if d.ServiceAccount == nil && el.Spec.ServiceAccountName != listener.GeneratedName(el) {
		sa := &corev1.ServiceAccount{}
		err := r.Get(ctx, client.ObjectKey{Namespace: el.Namespace, Name: listener.GeneratedName(el)}, sa)
		if err == nil && metav1.IsControlledBy(sa, el) {
			if err := r.remove(ctx, sa, "ServiceAccount"); err != nil {
				return err
			}
		} else if client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("getting service account %s: %w", listener.GeneratedName(el), err)
		}
	}
	want := map[string]bool{}
	for _, crb := range d.ClusterRoleBindings {
		want[key(crb)] = true
	}
	for i := range d.ForeignRoles {
		want[key(d.ForeignRoles[i])] = true // its RoleBinding has the same key
	}
	return r.deleteOwned(ctx, r.Client, el, func(obj client.Object) bool { return !want[key(obj)] })
}

// finalize deletes the ClusterRoleBindings and other namespaces' RBAC of a
// deleted listener, read from the API server itself so that one created
// moments ago is not missed, then lets the listener go.
func (r *Reconciler) finalize(ctx context.Context, el *triggersv1.EventListener) error {
	if !slices.Contains(el.Finalizers, listener.Finalizer) {
		return nil
	}
	if err := r.deleteOwned(ctx, r.APIReader, el, func(client.Object) bool { return true }); err != nil {
		return err
	}
	_, err := r.patchFinalizer(ctx, el, false)
	return err
}

// deleteOwned deletes el's ClusterRoleBindings and Roles and RoleBindings
// outside its namespace that stale says are no longer wanted.
func (r *Reconciler) deleteOwned(ctx context.Context, reader client.Reader, el *triggersv1.EventListener, stale func(client.Object) bool) error {
	crbs := &rbacv1.ClusterRoleBindingList{}
	if err := reader.List(ctx, crbs, ownerSelector(el)); err != nil {
		return fmt.Errorf("listing ClusterRoleBindings of the listener: %w", err)
	}
	roles := &rbacv1.RoleList{}
	if err := reader.List(ctx, roles, ownerSelector(el)); err != nil {
		return fmt.Errorf("listing Roles of the listener: %w", err)
	}
	bindings := &rbacv1.RoleBindingList{}
	if err := reader.List(ctx, bindings, ownerSelector(el)); err != nil {
		return fmt.Errorf("listing RoleBindings of the listener: %w", err)
	}
	for i := range crbs.Items {
		if stale(&crbs.Items[i]) {
			if err := r.remove(ctx, &crbs.Items[i], "ClusterRoleBinding"); err != nil {
				return err
			}
		}
	}
	for i := range bindings.Items {
		if b := &bindings.Items[i]; b.Namespace != el.Namespace && stale(b) {
			if err := r.remove(ctx, b, "RoleBinding"); err != nil {
				return err
			}
		}
	}
	for i := range roles.Items {
		if role := &roles.Items[i]; role.Namespace != el.Namespace && stale(role) {
			if err := r.remove(ctx, role, "Role"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Reconciler) remove(ctx context.Context, obj client.Object, kind string) error {
	ctrl.LoggerFrom(ctx).Info("Deleting "+kind+" the listener no longer needs", kind, client.ObjectKeyFromObject(obj))
	if err := r.Delete(ctx, obj, client.Preconditions{UID: ptr.To(obj.GetUID())}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting %s %s: %w", kind, obj.GetName(), err)
	}
	return nil
}
