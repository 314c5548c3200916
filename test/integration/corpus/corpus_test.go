package corpus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

// A case is one file: a comment line saying what is wrong, a "# want:"
// line, then YAML documents. Every document but the last is set-up (a
// Task, a Secret) and must be accepted; the last is the case.
//
//	# want: rejected TEXT   the API server refuses it, its error containing TEXT
//	# want: REASON TEXT     it is accepted and the controller ends the run with
//	                        Succeeded=False, reason REASON, a message containing TEXT
type corpusCase struct {
	name, what      string
	reason, text    string // reason "rejected": refused by the API server
	setup           []string
	subject         string
	subjectOverride *unstructured.Unstructured
}

func readCase(t *testing.T, path string) corpusCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := corpusCase{name: strings.TrimSuffix(filepath.Base(path), ".yaml")}
	lines := strings.SplitN(string(data), "\n", 3)
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "# ") || !strings.HasPrefix(lines[1], "# want: ") {
		t.Fatalf("%s: want a description line and a '# want: ' line first", path)
	}
	c.what = strings.TrimPrefix(lines[0], "# ")
	want := strings.TrimPrefix(lines[1], "# want: ")
	c.reason, c.text, _ = strings.Cut(want, " ")
	docs := strings.Split(lines[2], "\n---\n")
	c.setup, c.subject = docs[:len(docs)-1], docs[len(docs)-1]
	return c
}

func toObject(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatalf("the case is not YAML: %v", err)
	}
	return obj
}

func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) < 100 {
		t.Fatalf("%d corpus files (%v), want at least 100", len(files), err)
	}
	cases := []corpusCase{}
	for _, f := range files {
		cases = append(cases, readCase(t, f))
	}
	cases = append(cases, hugeCases()...)
	counts := map[string]int{}
	for _, c := range cases {
		kind := "rejected by the API server"
		if c.reason != "rejected" {
			kind = "ended by the controller"
		}
		counts[kind]++
	}
	t.Logf("%d cases: %v", len(cases), counts)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, c)
		})
	}
}

// hugeCases are the corpus's oversized inputs, too big to check in.
func hugeCases() []corpusCase {
	big := strings.Repeat("x", 1100<<10)
	items := make([]any, 3200)
	for i := range items {
		items[i] = strings.Repeat("y", 1000)
	}
	huge := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "windlass.dev/v1alpha1", "kind": "TaskRun", "metadata": map[string]any{"name": "run"},
		"spec": map[string]any{"taskRef": map[string]any{"name": "t"}, "params": []any{map[string]any{"name": "a", "value": items}}},
	}}
	return []corpusCase{
		{name: "huge-param-array", what: "a 3.2 MB param array", reason: "rejected", text: "", subjectOverride: huge},
		{name: "huge-param-value", what: "a 1.1 MiB param used three times in a script: the pod exceeds what the API server takes",
			reason: windlassv1.ReasonPodCreationFailed, text: "too large",
			setup: []string{"apiVersion: windlass.dev/v1alpha1\nkind: Task\nmetadata: {name: t}\nspec:\n  params: [{name: big}]\n" +
				"  steps: [{image: x, script: 'echo $(params.big) $(params.big) $(params.big)'}]"},
			subject: "apiVersion: windlass.dev/v1alpha1\nkind: TaskRun\nmetadata: {name: run}\nspec:\n  taskRef: {name: t}\n  params: [{name: big, value: '" + big + "'}]"},
	}
}

func runCase(t *testing.T, c corpusCase) {
	ctx := context.Background()
	ns := util.Namespace(t, k8s, "corpus-")
	for _, doc := range c.setup {
		obj := toObject(t, doc)
		obj.SetNamespace(ns)
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("set-up %s %s refused: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	obj := c.subjectOverride
	if obj == nil {
		obj = toObject(t, c.subject)
	}
	obj = obj.DeepCopy()
	obj.SetNamespace(ns)
	// As kubectl sends it: unknown fields are errors, not warnings.
	err := k8s.Create(ctx, obj, client.FieldValidation("Strict"))
	if c.reason == "rejected" {
		switch {
		case err == nil:
			t.Fatalf("%s: accepted; want the API server to refuse it with %q", c.what, c.text)
		case !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) && !apierrors.IsRequestEntityTooLargeError(err):
			t.Fatalf("%s: %v; want Invalid, BadRequest or RequestEntityTooLarge", c.what, err)
		case !strings.Contains(err.Error(), c.text):
			t.Fatalf("%s: refused with %q, which does not contain %q", c.what, err, c.text)
		}
		t.Logf("%s: refused: %s", c.what, firstLine(err.Error()))
		return
	}
	if err != nil {
		t.Fatalf("%s: refused by the API server (%v); want the controller to end it with %s", c.what, err, c.reason)
	}
	cond := waitEnded(t, obj)
	if cond.Reason != c.reason || !strings.Contains(cond.Message, c.text) {
		t.Fatalf("%s: ended %s/%s %q; want reason %s and a message containing %q", c.what, cond.Status, cond.Reason, cond.Message, c.reason, c.text)
	}
	t.Logf("%s: ended %s: %s", c.what, cond.Reason, firstLine(cond.Message))
}

// waitEnded waits (a few seconds at most) for the run's final condition.
func waitEnded(t *testing.T, obj *unstructured.Unstructured) metav1.Condition {
	t.Helper()
	var run client.Object = &windlassv1.TaskRun{}
	conds := func() []metav1.Condition { return run.(*windlassv1.TaskRun).Status.Conditions }
	if obj.GetKind() == "PipelineRun" {
		run = &windlassv1.PipelineRun{}
		conds = func() []metav1.Condition { return run.(*windlassv1.PipelineRun).Status.Conditions }
	}
	var last *metav1.Condition
	deadline := 5*time.Second + max(notFoundTimeout, transientTimeout)
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, deadline, true, func(ctx context.Context) (bool, error) {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), run); err != nil {
			return false, err
		}
		last = meta.FindStatusCondition(conds(), windlassv1.ConditionSucceeded)
		return last != nil && last.Status == metav1.ConditionFalse, nil
	})
	if err != nil {
		t.Fatalf("not ended within %s (%v); last condition %+v", deadline, err, last)
	}
	return *last
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
