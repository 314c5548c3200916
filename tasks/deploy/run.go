package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/rollout"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

type deployer struct {
	o        *options
	c        client.Client
	stdout   io.Writer
	inv      *rollout.Inventory
	invCM    *corev1.ConfigMap
	applied  []rollout.Ref // what this revision has applied so far
	deadline time.Time
	steps    []string
}

// step records a step of the strategy with its time (the STEPS result) and prints it.
func (d *deployer) step(format string, args ...any) {
	line := time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + fmt.Sprintf(format, args...)
	d.steps = append(d.steps, line)
	fmt.Fprintln(d.stdout, line)
}

// rollbackWindow bounds the rollback (its apply and wait) after the revision's
// own time is up.
var rollbackWindow = time.Minute

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	objs, err := render(o.dir, o.path)
	if err != nil {
		return err
	}
	if err := place(objs, o.namespace, builtinNamespaced); err != nil {
		return err
	}
	label(objs, o.app)
	c, err := connect()
	if err != nil {
		return err
	}
	if err := place(objs, o.namespace, namespacedBy(c)); err != nil {
		return err
	}
	d := &deployer{o: o, c: c, stdout: stdout}
	if err := d.loadInventory(ctx); err != nil {
		return err
	}
	rev := d.inv.Next()
	if err := toolkit.WriteResult(o.resultRevision, strconv.Itoa(rev)); err != nil {
		return err
	}
	d.step("revision %d of %s: %d objects from %s, strategy %s, into namespace %s", rev, o.app, len(objs), orUnknown(o.commit), o.strategy, o.namespace)
	start := time.Now()
	d.deadline = start.Add(o.timeout)
	// Each wait has its own deadline; the run's timeout (SIGTERM) cancels ctx.
	var out outcome
	switch o.strategy {
	case blueGreen:
		out, err = d.blueGreen(ctx, objs)
	case canary:
		out, err = d.canary(ctx, objs)
	default:
		out, err = d.rolling(ctx, objs)
	}
	r := rollout.Revision{Number: rev, Commit: o.commit, Strategy: o.strategy, Time: start.UTC(), Color: out.color}
	if err != nil {
		if toolkit.IsUsage(err) && len(d.applied) == 0 {
			return err
		}
		return d.fail(ctx, r, err)
	}
	if lr := d.inv.LiveRevision(); lr != nil {
		gone := rollout.Prune(append(append([]rollout.Ref(nil), lr.Objects...), lr.Kept...), append(refsOf(out.objects), out.kept...))
		if len(gone) > 0 {
			if err := d.remove(ctx, gone); err != nil {
				return d.fail(ctx, r, fmt.Errorf("pruning: %w", err))
			}
			d.step("pruned %s", joinRefs(gone))
		}
	}
	m, err := manifest(out.objects)
	if err != nil {
		return err
	}
	r.Outcome, r.Objects, r.Kept = rollout.Deployed, refsOf(out.objects), out.kept
	d.inv.Record(r, m)
	if err := d.saveInventory(ctx); err != nil {
		return err
	}
	d.step("revision %d of %s deployed in %.1fs", rev, o.app, time.Since(start).Seconds())
	return toolkit.WriteResult(o.resultSteps, strings.Join(d.steps, "\n"))
}

// fail applies the live revision again, deletes what this revision added,
// records the failure and returns `revision R of APP failed: WHAT; rolled back to L`.
func (d *deployer) fail(ctx context.Context, r rollout.Revision, cause error) error {
	// The run's own time may be what is up: the rollback gets its own.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackWindow+d.o.timeout)
	defer cancel()
	msg := fmt.Sprintf("revision %d of %s failed: %v", r.Number, d.o.app, cause)
	if lr := d.inv.LiveRevision(); lr == nil {
		msg += "; no earlier revision to roll back to"
	} else if err := d.rollback(rctx, lr); err != nil {
		msg += fmt.Sprintf("; rolling back to %d failed: %v", lr.Number, err)
	} else {
		msg += fmt.Sprintf("; rolled back to %d", lr.Number)
	}
	r.Outcome, r.Message, r.Objects = rollout.RolledBack, msg, d.applied
	d.inv.Record(r, nil)
	if err := d.saveInventory(rctx); err != nil {
		msg += "; " + err.Error()
	}
	_ = toolkit.WriteResult(d.o.resultSteps, strings.Join(d.steps, "\n"))
	return errors.New(msg)
}

func (d *deployer) rollback(ctx context.Context, lr *rollout.Revision) error {
	objs, err := parseManifest(d.inv.Manifest)
	if err != nil {
		return fmt.Errorf("the inventory's manifest of revision %d: %w", lr.Number, err)
	}
	added := rollout.Prune(d.applied, lr.Objects)
	d.step("roll back to revision %d: apply %d objects, delete %s", lr.Number, len(objs), joinRefs(added))
	if err := d.apply(ctx, objs); err != nil {
		return err
	}
	if err := d.remove(ctx, added); err != nil {
		return err
	}
	if err := d.waitCurrent(ctx, objs, time.Now().Add(d.o.timeout)); err != nil {
		return err
	}
	d.step("revision %d current again", lr.Number)
	return nil
}

func joinRefs(refs []rollout.Ref) string {
	if len(refs) == 0 {
		return "nothing"
	}
	var s []string
	for _, r := range refs {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}

func orUnknown(commit string) string {
	if commit == "" {
		return "an unnamed config commit"
	}
	return "config commit " + commit
}
