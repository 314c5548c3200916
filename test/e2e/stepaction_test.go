//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// reportAction takes a param of each type and writes them, joined, to its
// result summary. POSIX sh: the shell image is busybox.
const reportAction = `
metadata: {name: report}
spec:
  image: SHELL
  params:
  - {name: s, default: "default s"}
  - {name: a, type: array, default: [d1, d2]}
  - name: o
    type: object
    properties: {k: {type: string}, j: {type: string}}
    default: {k: sk, j: sj}
  results: [{name: summary}]
  env:
  - {name: S, value: $(params.s)}
  - {name: O_K, value: $(params.o.k)}
  - {name: O_J, value: $(params.o.j)}
  args: ["$(params.a[*])"]
  script: |
    printf '%s|%s|%s|%s' "$S" "$*" "$O_K" "$O_J" > $(step.results.summary.path)
`

// The run is Tekton's StepAction examples (params, passing results,
// results) rolled into one, by hand in windlass.dev/v1alpha1.
const stepActionRun = `
metadata: {name: actions}
spec:
  params:
  - {name: name, value: windlass}
  - {name: list, value: [a, "b c"]}
  - {name: cfg, value: {k: K}}
  taskSpec:
    params:
    - {name: name}
    - {name: list, type: array}
    - {name: cfg, type: object, properties: {k: {type: string}, j: {type: string}}, default: {k: dk, j: dj}}
    results:
    - {name: direct, value: $(steps.use-action.results.summary)}
    - {name: passed, value: $(steps.from-results.results.summary)}
    - {name: check}
    steps:
    - name: produce
      image: SHELL
      results:
      - {name: word}
      - {name: items, type: array}
      - {name: obj, type: object, properties: {k: {type: string}, j: {type: string}}}
      script: |
        printf hello > $(step.results.word.path)
        printf '["x", "y"]' > $(step.results.items.path)
        printf '{"k": "K1", "j": "J1"}' > $(step.results.obj.path)
        cat /tekton/scripts/* > /dev/null # Tekton's path, as its stepaction-passing-results example reads it
    - name: use-action
      ref: {name: report}
      params:
      - {name: s, value: $(params.name)}
      - {name: a, value: "$(params.list[*])"}
      - {name: o, value: "$(params.cfg[*])"}
    - name: from-results
      ref: {name: report}
      params:
      - {name: s, value: $(steps.produce.results.word)}
      - {name: a, value: "$(steps.produce.results.items[*])"}
      - {name: o, value: "$(steps.produce.results.obj[*])"}
    - name: defaults
      ref: {name: report}
    - name: check
      image: SHELL
      env:
      - {name: W, value: $(steps.produce.results.word)}
      - {name: I1, value: "$(steps.produce.results.items[1])"}
      args: ["$(steps.defaults.results.summary)"]
      script: |
        printf '%s,%s,%s' "$W" "$I1" "$1" > $(results.check.path)
`

// TestStepActions runs StepActions on the cluster: params of the three
// types from the Task's params, from an earlier step's results and from
// defaults; step results read by a later step; Task results set from step
// results.
func TestStepActions(t *testing.T) {
	ns := namespace(t)
	sa := &windlassv1.StepAction{}
	if err := yaml.UnmarshalStrict([]byte(strings.ReplaceAll(reportAction, "SHELL", image(t, "shell"))), sa); err != nil {
		t.Fatal(err)
	}
	sa.Namespace = ns
	if err := crc.Create(context.Background(), sa); err != nil {
		t.Fatal(err)
	}
	createRun(t, ns, stepActionRun)
	tr := waitRunDone(t, ns, "actions", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	got := map[string]string{}
	for _, r := range tr.Status.Results {
		got[r.Name] = r.Value.StringVal
	}
	want := map[string]string{
		"direct": "windlass|a b c|K|dj",
		"passed": "hello|x y|K1|J1",
		"check":  "hello,y,default s|d1 d2|sk|sj",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("result %s = %q, want %q", k, got[k], v)
		}
	}
	if len(tr.Status.Steps) != 5 {
		t.Errorf("steps %+v", tr.Status.Steps)
	}
}
