package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/rollout"
)

// connect returns a client with the step's service account (in-cluster
// config), or with $KUBECONFIG when set (the tool run by hand, the
// integration tier).
var connect = func() (client.Client, error) {
	var cfg *rest.Config
	var err error
	if path := os.Getenv("KUBECONFIG"); path != "" {
		if cfg, err = clientcmd.BuildConfigFromFlags("", path); err != nil {
			return nil, fmt.Errorf("connecting to the cluster with $KUBECONFIG: %w", err)
		}
	} else if cfg, err = rest.InClusterConfig(); err != nil {
		return nil, fmt.Errorf("connecting to the cluster with the step's service account: %w", err)
	}
	cfg.UserAgent = "windlass-deploy"
	return client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
}

// namespacedBy answers from the API server's discovery whether a kind is namespaced.
func namespacedBy(c client.Client) func(schema.GroupVersionKind) (bool, error) {
	return func(gvk schema.GroupVersionKind) (bool, error) {
		ok, err := c.IsObjectNamespaced(&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": gvk.GroupVersion().String(), "kind": gvk.Kind}})
		if err != nil {
			return false, fmt.Errorf("the cluster does not serve %s: %w", gvk, err)
		}
		return ok, nil
	}
}

// apply server-side applies each object (field manager windlass-deploy, taking
// over conflicting fields) and remembers it as applied by this revision.
func (d *deployer) apply(ctx context.Context, objs []*unstructured.Unstructured) error {
	for _, u := range objs {
		u = u.DeepCopy()
		u.SetResourceVersion("")
		u.SetManagedFields(nil)
		if err := d.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(rollout.FieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s: %w", rollout.Describe(u), err)
		}
		ref := rollout.RefOf(u)
		if !containsRef(d.applied, ref) {
			d.applied = append(d.applied, ref)
		}
	}
	return nil
}

func containsRef(refs []rollout.Ref, r rollout.Ref) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// remove deletes the app's objects (gone already is fine).
func (d *deployer) remove(ctx context.Context, refs []rollout.Ref) error {
	for _, r := range refs {
		m, err := d.c.RESTMapper().RESTMapping(schema.GroupKind{Group: r.Group, Kind: r.Kind})
		if err != nil {
			return fmt.Errorf("deleting %s: %w", r, err)
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(m.GroupVersionKind)
		u.SetNamespace(d.o.namespace)
		u.SetName(r.Name)
		if err := d.c.Delete(ctx, u, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s: %w", r, err)
		}
	}
	return nil
}

// observe reads an applied object back with what explains its state: for a
// Deployment the pods of its newest ReplicaSet, for other workloads the pods
// of their selector, and the namespace's events.
func (d *deployer) observe(ctx context.Context, u *unstructured.Unstructured, events []corev1.Event) (rollout.Observed, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(u.GroupVersionKind())
	if err := d.c.Get(ctx, client.ObjectKey{Namespace: d.o.namespace, Name: u.GetName()}, live); err != nil {
		return rollout.Observed{}, err
	}
	o := rollout.Observed{Object: live, Events: events}
	sel, found, _ := unstructured.NestedStringMap(live.Object, "spec", "selector", "matchLabels")
	if !found || len(sel) == 0 {
		return o, nil
	}
	pods := &corev1.PodList{}
	if err := d.c.List(ctx, pods, client.InNamespace(d.o.namespace), client.MatchingLabels(sel)); err != nil {
		return o, err
	}
	o.Pods = pods.Items
	if live.GroupVersionKind().GroupKind() == (schema.GroupKind{Group: "apps", Kind: "Deployment"}) {
		dep := &appsv1.Deployment{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(live.Object, dep); err != nil {
			return o, err
		}
		rss := &appsv1.ReplicaSetList{}
		if err := d.c.List(ctx, rss, client.InNamespace(d.o.namespace), client.MatchingLabels(sel)); err != nil {
			return o, err
		}
		o.Pods = rollout.PodsOf(rollout.NewReplicaSet(dep, rss.Items), pods.Items)
	}
	return o, nil
}

// waitCurrent polls the objects until every one is current, one fails, or the
// deadline passes; the error says why (the first object not current).
func (d *deployer) waitCurrent(ctx context.Context, objs []*unstructured.Unstructured, deadline time.Time) error {
	last := ""
	for {
		events := &corev1.EventList{}
		if err := d.c.List(ctx, events, client.InNamespace(d.o.namespace)); err != nil {
			return fmt.Errorf("listing events: %w", err)
		}
		var waiting []string
		for _, u := range objs {
			o, err := d.observe(ctx, u, events.Items)
			if apierrors.IsNotFound(err) {
				waiting = append(waiting, rollout.Describe(u)+": not found")
				continue
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", rollout.Describe(u), err)
			}
			switch v := rollout.Assess(o); v.State {
			case rollout.Failed:
				return errors.New(v.Reason)
			case rollout.InProgress:
				waiting = append(waiting, v.Reason)
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		if waiting[0] != last {
			last = waiting[0]
			fmt.Fprintf(d.stdout, "waiting: %s\n", last)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not current within %s: %s", d.o.timeout, strings.Join(waiting, "; "))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped while waiting (%w): %s", ctx.Err(), strings.Join(waiting, "; "))
		case <-time.After(pollEvery):
		}
	}
}

var pollEvery = time.Second

// smoke GETs a Service's first port at its cluster IP from inside the cluster
// until it answers the expected status (and body), for up to smokeWindow.
// Every try is a new connection: a Service just made or switched may not have
// its proxy rules everywhere yet.
func (d *deployer) smoke(ctx context.Context, service string) error {
	if service == "" {
		return nil
	}
	svc := &corev1.Service{}
	if err := d.c.Get(ctx, client.ObjectKey{Namespace: d.o.namespace, Name: service}, svc); err != nil {
		return fmt.Errorf("smoke check: Service %s: %w", service, err)
	}
	ip := svc.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone || len(svc.Spec.Ports) == 0 {
		return fmt.Errorf("smoke check: Service %s has no cluster IP and port to call", service)
	}
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(int(svc.Spec.Ports[0].Port))) + d.o.smokePath
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	stop := time.Now().Add(smokeWindow)
	var why string
	for {
		why = d.get(ctx, hc, url)
		if why == "" {
			d.step("smoke check of Service %s passed: GET %s answered %d", service, d.o.smokePath, d.o.smokeStatus)
			return nil
		}
		if time.Now().After(stop) {
			return fmt.Errorf("smoke check of Service %s failed: GET %s: %s", service, d.o.smokePath, why)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("smoke check of Service %s stopped: %w (last: %s)", service, ctx.Err(), why)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

var smokeWindow = 20 * time.Second

// get returns "" if url answers as expected, else what it answered.
func (d *deployer) get(ctx context.Context, hc *http.Client, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != d.o.smokeStatus {
		return fmt.Sprintf("status %d, want %d", resp.StatusCode, d.o.smokeStatus)
	}
	if d.o.smokeBody != "" && !strings.Contains(string(body), d.o.smokeBody) {
		return fmt.Sprintf("status %d but the body lacks %q: %q", resp.StatusCode, d.o.smokeBody, truncate(string(body), 200))
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// loadInventory reads the app's inventory ConfigMap (none yet: empty).
func (d *deployer) loadInventory(ctx context.Context) error {
	cm := &corev1.ConfigMap{}
	err := d.c.Get(ctx, client.ObjectKey{Namespace: d.o.namespace, Name: rollout.InventoryName(d.o.app)}, cm)
	switch {
	case apierrors.IsNotFound(err):
		d.invCM = nil
	case err != nil:
		return fmt.Errorf("reading the inventory %s: %w", rollout.InventoryName(d.o.app), err)
	default:
		d.invCM = cm
	}
	var data map[string]string
	var bin map[string][]byte
	if d.invCM != nil {
		data, bin = d.invCM.Data, d.invCM.BinaryData
	}
	inv, err := rollout.DecodeInventory(d.o.app, data, bin)
	if err != nil {
		return err
	}
	d.inv = inv
	return nil
}

// saveInventory writes the inventory back; a deploy of the same app that
// saved in between makes this fail (resourceVersion) rather than be lost.
func (d *deployer) saveInventory(ctx context.Context) error {
	data, bin, err := d.inv.Encode()
	if err != nil {
		return err
	}
	if d.invCM == nil {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: rollout.InventoryName(d.o.app), Namespace: d.o.namespace,
			Labels: map[string]string{rollout.LabelDeploy: d.o.app}}, Data: data, BinaryData: bin}
		if err := d.c.Create(ctx, cm); err != nil {
			return fmt.Errorf("writing the inventory %s: %w", cm.Name, err)
		}
		d.invCM = cm
		return nil
	}
	d.invCM.Data, d.invCM.BinaryData = data, bin
	if err := d.c.Update(ctx, d.invCM); err != nil {
		return fmt.Errorf("writing the inventory %s: %w", d.invCM.Name, err)
	}
	return nil
}
