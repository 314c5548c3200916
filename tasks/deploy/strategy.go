package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/windlass-dev/windlass/internal/rollout"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// outcome is what a strategy brought up: the objects of the revision (its
// manifest) and those it kept on purpose.
type outcome struct {
	objects []*unstructured.Unstructured
	kept    []rollout.Ref
	color   string
}

func (d *deployer) rolling(ctx context.Context, objs []*unstructured.Unstructured) (outcome, error) {
	d.step("apply %d objects", len(objs))
	if err := d.apply(ctx, objs); err != nil {
		return outcome{}, err
	}
	if err := d.waitCurrent(ctx, objs, d.deadline); err != nil {
		return outcome{}, err
	}
	d.step("all %d objects current", len(objs))
	return outcome{objects: objs}, d.smoke(ctx, d.o.smokeService)
}

// pick returns the Deployment the strategy works on and the other objects.
func pick(objs []*unstructured.Unstructured, name, strategy string) (*unstructured.Unstructured, []*unstructured.Unstructured, error) {
	var dep *unstructured.Unstructured
	var rest []*unstructured.Unstructured
	n := 0
	for _, u := range objs {
		if u.GroupVersionKind().GroupKind().String() == "Deployment.apps" && (name == "" || u.GetName() == name) {
			n++
			dep = u
			continue
		}
		rest = append(rest, u)
	}
	switch {
	case n == 0 && name != "":
		return nil, nil, toolkit.Usagef("--deployment %q: the overlay has no such Deployment", name)
	case n == 0:
		return nil, nil, toolkit.Usagef("strategy %s: the overlay has no Deployment", strategy)
	case n > 1:
		return nil, nil, toolkit.Usagef("strategy %s: the overlay has %d Deployments; name one with --deployment", strategy, n)
	}
	return dep, rest, nil
}

// withTrack returns a copy of a Deployment whose selector and pods carry key=value.
func withTrack(dep *unstructured.Unstructured, name, key, value string) (*unstructured.Unstructured, error) {
	u := dep.DeepCopy()
	u.SetName(name)
	for _, path := range [][]string{{"spec", "selector", "matchLabels"}, {"spec", "template", "metadata", "labels"}} {
		m, _, err := unstructured.NestedStringMap(u.Object, path...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rollout.Describe(dep), err)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[key] = value
		if err := unstructured.SetNestedStringMap(u.Object, m, path...); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// selects reports whether a Service's selector picks the pods with labels.
func selects(svc *unstructured.Unstructured, labels map[string]string) bool {
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	if svc.GetKind() != "Service" || len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func withSelector(svc *unstructured.Unstructured, name, key, value string) *unstructured.Unstructured {
	u := svc.DeepCopy()
	u.SetName(name)
	sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector")
	sel[key] = value
	_ = unstructured.SetNestedStringMap(u.Object, sel, "spec", "selector")
	if name != svc.GetName() {
		// A preview is a new Service: it gets its own address and ports.
		unstructured.RemoveNestedField(u.Object, "spec", "clusterIP")
		unstructured.RemoveNestedField(u.Object, "spec", "clusterIPs")
		ports, _, _ := unstructured.NestedSlice(u.Object, "spec", "ports")
		for _, p := range ports {
			if pm, ok := p.(map[string]any); ok {
				delete(pm, "nodePort")
			}
		}
		_ = unstructured.SetNestedSlice(u.Object, ports, "spec", "ports")
	}
	return u
}

// blueGreen brings the new color up beside the live one, smoke-checks it
// through NAME-preview Services, then switches the live Services' selectors.
// The old color stays for an instant rollback until the next deploy replaces it.
func (d *deployer) blueGreen(ctx context.Context, objs []*unstructured.Unstructured) (outcome, error) {
	dep, rest, err := pick(objs, d.o.deployment, blueGreen)
	if err != nil {
		return outcome{}, err
	}
	podLabels, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "template", "metadata", "labels")
	liveColor := ""
	if lr := d.inv.LiveRevision(); lr != nil {
		liveColor = lr.Color
	}
	color := rollout.NextColor(liveColor)
	colored, err := withTrack(dep, rollout.ColorName(dep.GetName(), color), rollout.LabelColor, color)
	if err != nil {
		return outcome{}, err
	}
	var first, live []*unstructured.Unstructured
	preview := map[string]string{}
	for _, u := range rest {
		if selects(u, podLabels) {
			p := withSelector(u, rollout.PreviewName(u.GetName()), rollout.LabelColor, color)
			first = append(first, p)
			preview[u.GetName()] = p.GetName()
			live = append(live, withSelector(u, u.GetName(), rollout.LabelColor, color))
			continue
		}
		first = append(first, u)
	}
	if len(live) == 0 {
		return outcome{}, toolkit.Usagef("strategy blue-green: no Service in the overlay selects the pods of %s", rollout.Describe(dep))
	}
	first = append(first, colored)
	d.step("bring up %s (%s) beside %s, with %d preview Services", colored.GetName(), color, orNone(liveColor), len(live))
	if err := d.apply(ctx, first); err != nil {
		return outcome{}, err
	}
	if err := d.waitCurrent(ctx, first, d.deadline); err != nil {
		return outcome{}, err
	}
	d.step("%s current", colored.GetName())
	smokeLive := d.o.smokeService
	if p, ok := preview[smokeLive]; ok {
		if err := d.smoke(ctx, p); err != nil {
			return outcome{}, err
		}
	}
	d.step("switch %d Services to %s", len(live), color)
	if err := d.apply(ctx, live); err != nil {
		return outcome{}, err
	}
	if err := d.waitCurrent(ctx, live, d.deadline); err != nil {
		return outcome{}, err
	}
	if err := d.smoke(ctx, smokeLive); err != nil {
		return outcome{}, err
	}
	out := outcome{objects: append(first, live...), color: color}
	if liveColor != "" {
		out.kept = append(out.kept, rollout.RefOf(withName(dep, rollout.ColorName(dep.GetName(), liveColor))))
		d.step("keep %s for rollback", rollout.ColorName(dep.GetName(), liveColor))
	}
	return out, nil
}

func withName(u *unstructured.Unstructured, name string) *unstructured.Unstructured {
	c := u.DeepCopy()
	c.SetName(name)
	return c
}

func orNone(color string) string {
	if color == "" {
		return "no live color"
	}
	return color
}

// canary runs the new pods as NAME-canary, a share of the replicas behind the
// same Services, checks them for a number of intervals (current, no restarts,
// the smoke check), then promotes the new spec to NAME and removes the canary.
// The app's first revision has nothing to compare with and goes out whole.
func (d *deployer) canary(ctx context.Context, objs []*unstructured.Unstructured) (outcome, error) {
	dep, rest, err := pick(objs, d.o.deployment, canary)
	if err != nil {
		return outcome{}, err
	}
	stable, err := withTrack(dep, dep.GetName(), rollout.LabelTrack, "stable")
	if err != nil {
		return outcome{}, err
	}
	all := append(append([]*unstructured.Unstructured(nil), rest...), stable)
	if d.inv.LiveRevision() == nil {
		d.step("first revision: no canary to compare with")
		return d.rolling(ctx, all)
	}
	replicas, found, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas")
	if !found {
		replicas = 1
	}
	n, err := rollout.Canaries(int32(replicas), d.o.canaryRatio)
	if err != nil {
		return outcome{}, toolkit.Usagef("--canary-ratio: %v", err)
	}
	can, err := withTrack(dep, rollout.CanaryName(dep.GetName()), rollout.LabelTrack, "canary")
	if err != nil {
		return outcome{}, err
	}
	if err := unstructured.SetNestedField(can.Object, int64(n), "spec", "replicas"); err != nil {
		return outcome{}, err
	}
	first := append(append([]*unstructured.Unstructured(nil), rest...), can)
	d.step("bring up %s with %d of %d replicas", can.GetName(), n, replicas)
	if err := d.apply(ctx, first); err != nil {
		return outcome{}, err
	}
	if err := d.waitCurrent(ctx, first, d.deadline); err != nil {
		return outcome{}, err
	}
	for i := 1; i <= d.o.canaryChecks; i++ {
		select {
		case <-ctx.Done():
			return outcome{}, ctx.Err()
		case <-time.After(d.o.canaryInterval):
		}
		o, err := d.observe(ctx, can, nil)
		if err != nil {
			return outcome{}, fmt.Errorf("canary check %d: reading %s: %w", i, can.GetName(), err)
		}
		// A restart says more than the availability it costs: check it first.
		if r := rollout.Restarted(o.Pods); r != "" {
			return outcome{}, fmt.Errorf("canary check %d of %d: %s: %s", i, d.o.canaryChecks, rollout.Describe(can), r)
		}
		if v := rollout.Assess(o); v.State != rollout.Current {
			return outcome{}, fmt.Errorf("canary check %d of %d: %s", i, d.o.canaryChecks, v.Reason)
		}
		if err := d.smoke(ctx, d.o.smokeService); err != nil {
			return outcome{}, fmt.Errorf("canary check %d of %d: %w", i, d.o.canaryChecks, err)
		}
		d.step("canary check %d of %d passed: %d pods current, no restarts", i, d.o.canaryChecks, len(o.Pods))
	}
	d.step("promote: apply %s with %d replicas", stable.GetName(), replicas)
	if err := d.apply(ctx, []*unstructured.Unstructured{stable}); err != nil {
		return outcome{}, err
	}
	// The promotion is a rollout of its own, with its own time.
	if err := d.waitCurrent(ctx, all, time.Now().Add(d.o.timeout)); err != nil {
		return outcome{}, err
	}
	if err := d.remove(ctx, []rollout.Ref{rollout.RefOf(can)}); err != nil {
		return outcome{}, err
	}
	d.step("removed %s", can.GetName())
	return outcome{objects: all}, d.smoke(ctx, d.o.smokeService)
}
