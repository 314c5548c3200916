package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/internal/listener"
)

// scope is the set of namespaces whose Triggers the sink serves.
type scope struct {
	all        bool     // namespaceSelector "*"
	namespaces []string // the listener's own first, sorted after it
	selector   bool     // serve Triggers selected by labelSelector/namespaceSelector, not only the inline ones
}

func watchScope(el *triggersv1.EventListener) scope {
	return scope{
		all:        slices.Contains(el.Spec.NamespaceSelector.MatchNames, listener.AllNamespaces),
		namespaces: append([]string{el.Namespace}, listener.ForeignNamespaces(el)...),
		selector:   el.Spec.LabelSelector != nil || len(el.Spec.NamespaceSelector.MatchNames) > 0,
	}
}

func (sc scope) String() string {
	if sc.all {
		return "*"
	}
	return strings.Join(sc.namespaces, ",")
}

func (sc scope) equal(o scope) bool {
	return sc.all == o.all && slices.Equal(sc.namespaces, o.namespaces)
}

// startInformers registers the informers the sink reads, and marks the sink
// ready once they have synced. A change of the listener's namespaces calls restart.
func (s *sink) startInformers(ctx context.Context, c cache.Cache, restart func(reason string)) error {
	s.ready = make(chan struct{})
	for _, obj := range []client.Object{&triggersv1.EventListener{}, &triggersv1.Trigger{}, &triggersv1.TriggerBinding{},
		&triggersv1.ClusterTriggerBinding{}, &triggersv1.TriggerTemplate{}, &triggersv1.ClusterInterceptor{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("watching %T: %w", obj, err)
		}
		if _, ok := obj.(*triggersv1.EventListener); ok {
			if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{UpdateFunc: func(_, n any) {
				el, ok := n.(*triggersv1.EventListener)
				if ok && el.Name == s.name && el.Namespace == s.namespace && !watchScope(el).equal(s.scope) {
					restart(fmt.Sprintf("the EventListener's namespaces changed from %s to %s", s.scope, watchScope(el)))
				}
			}}); err != nil {
				return err
			}
		}
	}
	go func() {
		if c.WaitForCacheSync(ctx) {
			s.readyOnce.Do(func() { close(s.ready) })
		}
	}()
	return nil
}

// trigger is one trigger to run, resolved from the listener.
type trigger struct {
	name         string
	namespace    string // where its bindings, template and secrets are
	interceptors []*triggersv1.TriggerInterceptor
	bindings     []*triggersv1.TriggerSpecBinding
	template     *triggersv1.TriggerSpecTemplate
	err          error // the trigger cannot run (a missing Trigger): answered as its error
}

// triggers lists what the listener serves now: its inline triggers (a
// triggerRef read from the cache), then the Triggers its selectors choose.
func (s *sink) triggers(ctx context.Context) ([]trigger, error) {
	var el triggersv1.EventListener
	if err := s.objects.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: s.name}, &el); err != nil {
		return nil, fmt.Errorf("reading EventListener %s/%s: %w", s.namespace, s.name, err)
	}
	var out []trigger
	seen := map[string]bool{}
	for i, t := range el.Spec.Triggers {
		name := t.Name
		if name == "" {
			name = t.TriggerRef
		}
		if name == "" {
			name = fmt.Sprintf("triggers[%d]", i)
		}
		if t.TriggerRef == "" {
			out = append(out, trigger{name: name, namespace: s.namespace, interceptors: t.Interceptors, bindings: t.Bindings, template: t.Template})
			continue
		}
		seen[s.namespace+"/"+t.TriggerRef] = true
		var tr triggersv1.Trigger
		if err := s.objects.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: t.TriggerRef}, &tr); err != nil {
			if apierrors.IsNotFound(err) {
				err = fmt.Errorf("spec.triggers[%d].triggerRef: Trigger %q not found in namespace %s", i, t.TriggerRef, s.namespace)
			}
			out = append(out, trigger{name: name, namespace: s.namespace, err: err})
			continue
		}
		out = append(out, fromTrigger(name, &tr))
	}
	if !s.scope.selector {
		return out, nil
	}
	sel, problem := listener.TriggerSelector(&el)
	if problem != "" {
		return nil, errors.New(problem)
	}
	if sel == nil {
		sel = labels.Everything()
	}
	var namespaces []string
	if s.scope.all {
		namespaces = []string{""}
	} else if len(el.Spec.NamespaceSelector.MatchNames) > 0 {
		namespaces = s.scope.namespaces
	} else {
		namespaces = []string{s.namespace}
	}
	for _, ns := range namespaces {
		var list triggersv1.TriggerList
		if err := s.objects.List(ctx, &list, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return nil, fmt.Errorf("listing Triggers: %w", err)
		}
		slices.SortFunc(list.Items, func(a, b triggersv1.Trigger) int {
			return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
		})
		for i := range list.Items {
			tr := &list.Items[i]
			key := tr.Namespace + "/" + tr.Name
			if seen[key] {
				continue
			}
			seen[key] = true
			name := tr.Name
			if tr.Namespace != s.namespace {
				name = key
			}
			out = append(out, fromTrigger(name, tr))
		}
	}
	return out, nil
}

func fromTrigger(name string, tr *triggersv1.Trigger) trigger {
	tmpl := tr.Spec.Template
	return trigger{name: name, namespace: tr.Namespace, interceptors: tr.Spec.Interceptors, bindings: tr.Spec.Bindings, template: &tmpl}
}

// secretCache reads Secrets for interceptors with get only (the listener may
// read just the Secrets its interceptors name), keeping each for a short time.
type secretCache struct {
	reader client.Reader
	ttl    time.Duration
	mu     sync.Mutex
	items  map[string]secretEntry
}

type secretEntry struct {
	data map[string][]byte
	at   time.Time
}

func newSecretCache(r client.Reader, ttl time.Duration) *secretCache {
	return &secretCache{reader: r, ttl: ttl, items: map[string]secretEntry{}}
}

// get returns one key of a Secret. The error names the Secret and key, never a value.
func (c *secretCache) get(ctx context.Context, namespace, name, key string) ([]byte, error) {
	k := namespace + "/" + name
	c.mu.Lock()
	e, ok := c.items[k]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > c.ttl {
		var sec corev1.Secret
		if err := c.reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &sec); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("secret %s/%s not found", namespace, name)
			}
			if apierrors.IsForbidden(err) {
				return nil, fmt.Errorf("the listener may not read Secret %s/%s (its Role names the Secrets of its interceptors' secretRef)", namespace, name)
			}
			return nil, fmt.Errorf("reading Secret %s/%s: %w", namespace, name, err)
		}
		e = secretEntry{data: sec.Data, at: time.Now()}
		c.mu.Lock()
		c.items[k] = e
		c.mu.Unlock()
	}
	v, ok := e.data[key]
	if !ok {
		return nil, fmt.Errorf("secret %s/%s has no key %q", namespace, name, key)
	}
	return v, nil
}
