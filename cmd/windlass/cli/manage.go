package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/cli/exit"
	"github.com/windlass-dev/windlass/internal/cli/view"
	"github.com/windlass-dev/windlass/internal/pipeline"
)

const pipelineRunLabel = pipeline.LabelPipelineRun

// cancelModes maps --mode to the PipelineRun's spec.status.
var cancelModes = map[string]windlassv1.PipelineRunSpecStatus{
	"cancelled":             windlassv1.PipelineRunCancelled,
	"cancelled-run-finally": windlassv1.PipelineRunCancelledRunFinally,
	"stopped-run-finally":   windlassv1.PipelineRunStoppedRunFinally,
}

func (e *env) cancelCmd() *cobra.Command {
	var mode, message string
	cmd := &cobra.Command{
		Use:   "cancel RUN",
		Short: "Cancel a PipelineRun or TaskRun",
		Long: `Cancel a run. For a PipelineRun, --mode chooses how:
  cancelled              stop every running task, skip finally (default)
  cancelled-run-finally  stop every running task, then run finally
  stopped-run-finally    start no new task, let running ones end, then run finally
A TaskRun is always cancelled.`,
		RunE: func(cmd *cobra.Command, a []string) error {
			ctx := cmd.Context()
			status, ok := cancelModes[mode]
			if !ok {
				return exit.UsageError("--mode %q: want cancelled, cancelled-run-finally or stopped-run-finally", mode)
			}
			r, err := e.lookupRun(ctx, a[0])
			if err != nil {
				return err
			}
			_, conds, err := e.get(ctx, r)
			if err != nil {
				return err
			}
			if _, done := exit.Outcome(view.Succeeded(conds)); done {
				return fmt.Errorf("%s has already ended (%s)", r, view.Reason(conds))
			}
			spec := map[string]any{"status": string(status), "statusMessage": message}
			var obj client.Object = &windlassv1.PipelineRun{}
			if r.kind == kindTaskRun {
				if mode != "cancelled" {
					return exit.UsageError("--mode %s is for PipelineRuns; a TaskRun is only cancelled", mode)
				}
				spec["status"] = "TaskRunCancelled"
				obj = &windlassv1.TaskRun{}
			}
			obj.SetNamespace(r.ns)
			obj.SetName(r.name)
			patch, _ := json.Marshal(map[string]any{"spec": spec})
			c, err := e.clients()
			if err != nil {
				return err
			}
			if err := c.crc.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "%s: %s\n", r, spec["status"])
			return nil
		},
	}
	e.runArg(cmd)
	cmd.Flags().StringVar(&mode, "mode", "cancelled", "cancelled, cancelled-run-finally or stopped-run-finally")
	cmd.Flags().StringVarP(&message, "message", "m", "cancelled with windlass cancel", "why (spec.statusMessage)")
	return cmd
}

// generated matches the suffix generateName adds.
var generated = regexp.MustCompile(`-[a-z0-9]{5}$`)

// rerunName is the generateName of a rerun: the run's own generateName, or
// its name without a generated suffix, then "-".
func rerunName(m metav1.ObjectMeta) string {
	if m.GenerateName != "" {
		return m.GenerateName
	}
	return generated.ReplaceAllString(m.Name, "") + "-"
}

func (e *env) rerunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "rerun RUN",
		Short: "Run a PipelineRun or TaskRun again: same params and workspaces, a new name",
		RunE: func(cmd *cobra.Command, a []string) error {
			ctx := cmd.Context()
			if err := syntax(&f); err != nil {
				return err
			}
			r, err := e.lookupRun(ctx, a[0])
			if err != nil {
				return err
			}
			obj, _, err := e.get(ctx, r)
			if err != nil {
				return err
			}
			c, err := e.clients()
			if err != nil {
				return err
			}
			var fresh view.Object
			switch o := obj.(type) {
			case *windlassv1.PipelineRun:
				spec := *o.Spec.DeepCopy()
				spec.Status, spec.StatusMessage = "", ""
				fresh = &windlassv1.PipelineRun{ObjectMeta: rerunMeta(o.ObjectMeta), Spec: spec}
			case *windlassv1.TaskRun:
				if o.Labels[pipelineRunLabel] != "" {
					return exit.UsageError("%s belongs to PipelineRun %s: rerun that", r, o.Labels[pipelineRunLabel])
				}
				spec := *o.Spec.DeepCopy()
				spec.Status, spec.StatusMessage = "", ""
				fresh = &windlassv1.TaskRun{ObjectMeta: rerunMeta(o.ObjectMeta), Spec: spec}
			}
			if err := c.crc.Create(ctx, fresh); err != nil {
				return invalidIsUsage(err)
			}
			return e.started(ctx, run{kind: r.kind, ns: r.ns, name: fresh.GetName()}, fresh, &f)
		},
	}
	e.runArg(cmd)
	f.bind(cmd, false)
	return cmd
}

func rerunMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	out := metav1.ObjectMeta{Namespace: m.Namespace, GenerateName: rerunName(m), Labels: map[string]string{}, Annotations: map[string]string{}}
	for k, v := range m.Labels {
		out.Labels[k] = v
	}
	for k, v := range m.Annotations {
		if k != "kubectl.kubernetes.io/last-applied-configuration" {
			out.Annotations[k] = v
		}
	}
	out.Annotations["windlass.dev/rerun-of"] = m.Name
	return out
}

func (e *env) approveCmd(approve bool) *cobra.Command {
	var task, message string
	verb, decision := "approve", windlassv1.ApprovalApproved
	if !approve {
		verb, decision = "reject", windlassv1.ApprovalRejected
	}
	cmd := &cobra.Command{
		Use:   verb + " RUN",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a PipelineRun's approval gate",
		Long: `Add your decision to the open approval gate of a PipelineRun (the Approval the
run made for a task whose taskRef is {apiVersion: windlass.dev/v1alpha1, kind: Approval}).
You must be one of its approvers; the API server checks it. --task picks the gate when
several are open.`,
		RunE: func(cmd *cobra.Command, a []string) error {
			return e.decide(cmd.Context(), a[0], task, decision, message)
		},
	}
	cmd.Args = args(1, "the name of a PipelineRun")
	cmd.ValidArgsFunction = e.complete(map[string]bool{"pipelinerun": true})
	cmd.Flags().StringVar(&task, "task", "", "the gate's pipeline task (when several are open)")
	cmd.Flags().StringVarP(&message, "message", "m", "", "why (the decision's comment)")
	return cmd
}

func (e *env) decide(ctx context.Context, runName, task string, decision windlassv1.ApprovalDecisionValue, message string) error {
	c, err := e.clients()
	if err != nil {
		return err
	}
	list := &windlassv1.ApprovalList{}
	if err := c.crc.List(ctx, list, client.InNamespace(c.ns)); err != nil {
		return err
	}
	var open, all []string
	var gate *windlassv1.Approval
	for i := range list.Items {
		a := &list.Items[i]
		if a.Spec.PipelineRun != runName {
			continue
		}
		all = append(all, a.Spec.PipelineTask)
		if task != "" && a.Spec.PipelineTask != task {
			continue
		}
		if a.Status.CompletionTime == nil && len(a.Spec.Decisions) == 0 {
			open = append(open, a.Spec.PipelineTask)
			gate = a
		} else if task != "" {
			return fmt.Errorf("the gate %s of %s is already decided (%s)", task, runName, view.Reason(a.Status.Conditions))
		}
	}
	switch {
	case len(all) == 0:
		return fmt.Errorf("PipelineRun %s has no approval gate (yet) in namespace %s", runName, c.ns)
	case task != "" && !slices.Contains(all, task):
		return exit.UsageError("--task %s: the gates of %s are %s", task, runName, strings.Join(all, ", "))
	case len(open) == 0:
		return fmt.Errorf("no gate of %s is open (its gates: %s)", runName, strings.Join(all, ", "))
	case len(open) > 1:
		return exit.UsageError("%s has several open gates (%s): pick one with --task", runName, strings.Join(open, ", "))
	}
	who, err := c.kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("finding out who you are: %w", err)
	}
	user := who.Status.UserInfo.Username
	patch, _ := json.Marshal([]map[string]any{{"op": "add", "path": "/spec/decisions/-", "value": windlassv1.ApprovalDecision{
		User: user, Decision: decision, Comment: message, Time: &metav1.Time{Time: time.Now()}}}})
	if err := c.crc.Patch(ctx, gate, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "%s: %s %s (gate %s of %s)\n", gate.Name, user, strings.ToLower(string(decision)), gate.Spec.PipelineTask, runName)
	return nil
}
