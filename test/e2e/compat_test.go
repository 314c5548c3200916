//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/test/compat"
)

// compatResult is what became of one example.
type compatResult struct {
	compat.Example
	Pass     bool
	Excluded string
	Why      string // the first failing run's reason and message, or what else failed
	Took     time.Duration
}

// TestTektonExamples is the compatibility tier: every example of Tekton's
// examples/v1 (taskruns and pipelineruns; stable, beta, alpha), converted by
// compat.Convert alone, created in a namespace of its own on the cluster, and
// waited for. It prints a table of pass/fail with the reason (also written to
// $COMPAT_REPORT) and fails when a stable example that compat.Excluded does
// not list fails. Beta and alpha results are reported only.
// COMPAT_PARALLEL (default 6) examples run at once; COMPAT_RUN, a substring,
// picks examples by path.
func TestTektonExamples(t *testing.T) {
	dir, err := compat.ExamplesDir()
	if err != nil {
		t.Fatal(err)
	}
	examples, err := compat.Examples(dir)
	if err != nil {
		t.Fatal(err)
	}
	stable := 0
	for _, e := range examples {
		if e.Tier == "stable" {
			stable++
		}
	}
	if stable < 80 {
		t.Fatalf("only %d stable examples under %s", stable, dir)
	}
	for p := range compat.Excluded {
		if !slices.ContainsFunc(examples, func(e compat.Example) bool { return e.Path == p && e.Tier == "stable" }) {
			t.Errorf("compat.Excluded lists %s, which is not a stable example", p)
		}
	}
	if pick := os.Getenv("COMPAT_RUN"); pick != "" {
		examples = slices.DeleteFunc(examples, func(e compat.Example) bool { return !strings.Contains(e.Path, pick) })
	}
	parallel := 6
	if n, err := strconv.Atoi(os.Getenv("COMPAT_PARALLEL")); err == nil && n > 0 {
		parallel = n
	}
	artifacts := os.Getenv("COMPAT_ARTIFACTS")

	start := time.Now()
	results := make([]compatResult, len(examples))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, e := range examples {
		results[i].Example = e
		if why, ok := compat.Excluded[e.Path]; ok && e.Tier == "stable" {
			results[i].Excluded = why
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = runExample(dir, e, artifacts)
		}()
	}
	wg.Wait()
	wall := time.Since(start)

	report := compatTable(results, wall)
	fmt.Print(report) // the table, as it is (t.Log would indent it)
	if path := os.Getenv("COMPAT_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, r := range results {
		if r.Tier == "stable" && r.Excluded == "" && !r.Pass {
			t.Errorf("stable example %s failed: %s", r.Path, r.Why)
		}
	}
}

// compatTable prints the results by tier, then counts.
func compatTable(results []compatResult, wall time.Duration) string {
	var b strings.Builder
	count := map[string][3]int{} // tier -> pass, fail, excluded
	for _, tier := range []string{"stable", "beta", "alpha"} {
		for _, r := range results {
			if r.Tier != tier {
				continue
			}
			c := count[tier]
			switch {
			case r.Excluded != "":
				c[2]++
				fmt.Fprintf(&b, "%-6s  EXCLUDED  %-70s  %s\n", tier, r.Path, r.Excluded)
			case r.Pass:
				c[0]++
				fmt.Fprintf(&b, "%-6s  pass      %-70s  %5.1fs\n", tier, r.Path, r.Took.Seconds())
			default:
				c[1]++
				fmt.Fprintf(&b, "%-6s  FAIL      %-70s  %5.1fs  %s\n", tier, r.Path, r.Took.Seconds(), r.Why)
			}
			count[tier] = c
		}
	}
	for _, tier := range []string{"stable", "beta", "alpha"} {
		c := count[tier]
		fmt.Fprintf(&b, "%s: %d of %d pass (%d fail, %d excluded)\n", tier, c[0], c[0]+c[1]+c[2], c[1], c[2])
	}
	fmt.Fprintf(&b, "wall time %s\n", wall.Round(time.Second))
	return b.String()
}

// runExample creates one converted example in a namespace of its own, waits
// for each of its TaskRuns and PipelineRuns to finish, and deletes the namespace.
func runExample(dir string, e compat.Example, artifacts string) (res compatResult) {
	res.Example = e
	start := time.Now()
	defer func() { res.Took = time.Since(start) }()
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join(dir, e.Path))
	if err != nil {
		res.Why = err.Error()
		return res
	}
	objs, err := compat.Parse(data)
	if err != nil {
		res.Why = "parsing: " + err.Error()
		return res
	}
	ns, err := compatNamespace(ctx, e.Path)
	if err != nil {
		res.Why = err.Error()
		return res
	}
	defer func() {
		if !res.Pass && artifacts != "" {
			saveExample(ctx, artifacts, e.Path, ns)
		}
		_ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	}()
	var runs []*unstructured.Unstructured
	for _, o := range objs {
		compat.Convert(o, podRegistry)
		o.SetNamespace(ns)
		if err := crc.Create(ctx, o); err != nil {
			res.Why = fmt.Sprintf("creating %s %s: %v", o.GetKind(), o.GetName()+o.GetGenerateName(), err)
			return res
		}
		if o.GetAPIVersion() == "windlass.dev/v1alpha1" && (o.GetKind() == "TaskRun" || o.GetKind() == "PipelineRun") {
			runs = append(runs, o)
		}
	}
	if len(runs) == 0 {
		res.Why = "the example has no TaskRun or PipelineRun"
		return res
	}
	for _, r := range runs {
		status, reason, msg, err := waitRun(ctx, r, 4*time.Minute)
		if err != nil {
			res.Why = fmt.Sprintf("%s %s: %v (reason %s: %s)", r.GetKind(), r.GetName(), err, reason, clip(msg))
			return res
		}
		if status != "True" {
			res.Why = fmt.Sprintf("%s %s: %s: %s", r.GetKind(), r.GetName(), reason, clip(msg))
			return res
		}
	}
	res.Pass = true
	return res
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 240 {
		return s[:240] + "…"
	}
	return s
}

// compatNamespace creates compat-<example> (made a DNS label) and waits for
// its default service account.
func compatNamespace(ctx context.Context, path string) (string, error) {
	name := strings.NewReplacer("/", "-", "_", "-", ".yaml", "", ".", "-").Replace(strings.ToLower(path))
	name = "compat-" + name
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	// A namespace of an earlier run may still be terminating.
	err := wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"windlass.dev/e2e": "compat"}},
		}, metav1.CreateOptions{})
		return err == nil, client.IgnoreAlreadyExists(err)
	})
	if err != nil {
		return "", fmt.Errorf("namespace %s: %w", name, err)
	}
	if err := waitDefaultServiceAccount(ctx, name); err != nil {
		return "", err
	}
	return name, nil
}

// waitRun waits until the run's Succeeded condition is True or False.
func waitRun(ctx context.Context, r *unstructured.Unstructured, timeout time.Duration) (status, reason, msg string, err error) {
	key := client.ObjectKeyFromObject(r)
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(r.GroupVersionKind())
		if err := crc.Get(ctx, key, u); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Succeeded" {
				status, _ = m["status"].(string)
				reason, _ = m["reason"].(string)
				msg, _ = m["message"].(string)
			}
		}
		return status == "True" || status == "False", nil
	})
	if err != nil && status == "" {
		status = "Unknown"
	}
	return status, reason, msg, err
}

// saveExample writes the namespace's runs, pods and their logs for a failed example.
func saveExample(ctx context.Context, dir, path, ns string) {
	var b strings.Builder
	for _, kind := range []string{"TaskRunList", "PipelineRunList"} {
		l := &unstructured.UnstructuredList{}
		l.SetAPIVersion("windlass.dev/v1alpha1")
		l.SetKind(kind)
		if err := crc.List(ctx, l, client.InNamespace(ns)); err == nil {
			for _, it := range l.Items {
				st, _, _ := unstructured.NestedMap(it.Object, "status")
				fmt.Fprintf(&b, "%s %s status: %v\n", it.GetKind(), it.GetName(), st)
			}
		}
	}
	pods, _ := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "pod %s: phase %s\n", p.Name, p.Status.Phase)
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			fmt.Fprintf(&b, "  container %s: %+v\n", cs.Name, cs.State)
			raw, err := kube.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: cs.Name}).DoRaw(ctx)
			if err != nil && !apierrors.IsNotFound(err) {
				fmt.Fprintf(&b, "  logs: %v\n", err)
			}
			fmt.Fprintf(&b, "%s\n", raw)
		}
	}
	events, _ := kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	for _, e := range events.Items {
		fmt.Fprintf(&b, "event %s %s: %s %s\n", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(path, "/", "_")+".txt"), []byte(b.String()), 0o644)
}
