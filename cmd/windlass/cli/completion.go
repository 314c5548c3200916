package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// complete completes a name argument with the names of the kinds asked for
// (pipelinerun, taskrun, pipeline, task) in the namespace, read from the cluster.
func (e *env) complete(kinds map[string]bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, a []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(a) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return e.names(kinds, prefix), cobra.ShellCompDirectiveNoFileComp
	}
}

// names lists the objects' names that start with prefix; nothing when the
// cluster cannot be reached within a few seconds.
func (e *env) names(kinds map[string]bool, prefix string) []cobra.Completion {
	c, err := e.clients()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []cobra.Completion
	add := func(kind string, list client.ObjectList, items func() []metav1.Object) {
		if !kinds[kind] || c.crc.List(ctx, list, client.InNamespace(c.ns)) != nil {
			return
		}
		for _, o := range items() {
			if strings.HasPrefix(o.GetName(), prefix) {
				out = append(out, cobra.CompletionWithDesc(o.GetName(), kind))
			}
		}
	}
	prs, trs, ps, ts := &windlassv1.PipelineRunList{}, &windlassv1.TaskRunList{}, &windlassv1.PipelineList{}, &windlassv1.TaskList{}
	add("pipelinerun", prs, func() []metav1.Object { return metaOf(prs.Items) })
	add("taskrun", trs, func() []metav1.Object { return metaOf(trs.Items) })
	add("pipeline", ps, func() []metav1.Object { return metaOf(ps.Items) })
	add("task", ts, func() []metav1.Object { return metaOf(ts.Items) })
	return out
}

func metaOf[T any, P interface {
	*T
	metav1.Object
}](items []T) []metav1.Object {
	out := make([]metav1.Object, len(items))
	for i := range items {
		out[i] = P(&items[i])
	}
	return out
}

// completions adds completion of flag values from the cluster (cobra adds
// the `completion` command itself).
func (e *env) completions(root *cobra.Command) {
	// The only error is an unknown flag name, and the flag is root's own.
	_ = root.RegisterFlagCompletionFunc("namespace", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c, err := e.clients()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		list, err := c.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range list.Items {
			out = append(out, n.Name)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}
