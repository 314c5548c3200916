package podspec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func mustYAML[T any](t *testing.T, s string) *T {
	t.Helper()
	v := new(T)
	if err := yaml.UnmarshalStrict([]byte(s), v); err != nil {
		t.Fatalf("bad test YAML: %v\n%s", err, s)
	}
	return v
}

// paramsAction is Tekton's stepaction-params example's StepAction.
const paramsAction = `
image: bash
params:
- {name: string-param, default: "a string param"}
- {name: array-param, type: array, default: [an, array, param]}
- name: object-param
  type: object
  properties: {key1: {type: string}, key2: {type: string}, key3: {type: string}}
  default: {key1: "sa key1", key2: "sa key2", key3: "sa key3"}
- name: enum-param
  type: object
  properties: {v1: {type: string}}
  default: {v1: enum1}
env:
- {name: A1, value: "$(params.array-param[1])"}
- {name: S, value: "$(params.string-param)"}
- {name: K1, value: "$(params.object-param.key1)"}
- {name: K2, value: "$(params.object-param.key2)"}
- {name: K3, value: "$(params.object-param.key3)"}
- {name: E1, value: "$(params.enum-param.v1)"}
args: ["$(params.array-param[*])", "$(params.string-param)"]
script: echo $(params.string-param) > $(step.results.out.path)
results: [{name: out}]
securityContext: {runAsUser: 1000}
`

func TestPrepareInlinesStepActions(t *testing.T) {
	actions := map[string]*windlassv1.StepActionSpec{
		"params":  mustYAML[windlassv1.StepActionSpec](t, paramsAction),
		"env":     mustYAML[windlassv1.StepActionSpec](t, "image: alpine\ncommand: [env]\n"),
		"typed":   mustYAML[windlassv1.StepActionSpec](t, "image: bash\nparams:\n- {name: a, type: array}\n- {name: s}\n- {name: o, type: object, properties: {URL: {type: string}, D: {type: string}}}\nenv: [{name: S, value: $(params.s)}]\nargs: [\"$(params.a[*])\", \"$(params.a[0])\", \"$(params.o.URL)\"]\n"),
		"needs-p": mustYAML[windlassv1.StepActionSpec](t, "image: x\nparams: [{name: p}]\n"),
		"own":     mustYAML[windlassv1.StepActionSpec](t, "image: x\nargs: [$(params.task-param)]\n"),
		"results": mustYAML[windlassv1.StepActionSpec](t, "image: x\nresults: [{name: mine}]\nscript: date > $(results.mine.path); date > $(results.task.path)\n"),
	}
	tests := []struct {
		name string
		run  string
		// want are the fields of the inlined steps to compare (by step index).
		want map[int]windlassv1.Step
		err  string
	}{
		{
			name: "params of three types: the Task's values first, StepAction defaults for what is left out",
			run: `
params:
- {name: stringparam, value: "taskrun stringparam"}
- {name: arrayparam, value: [taskrun, array, param]}
- {name: objectparam, value: {key2: "taskrun key2"}}
- {name: enumparam, value: enum9}
taskSpec:
  params:
  - name: objectparam
    type: object
    properties: {key1: {type: string}, key2: {type: string}}
    default: {key1: "taskspec key1", key2: "taskspec key2"}
  steps:
  - name: action-runner
    ref: {name: params}
    timeout: 1m
    params:
    - {name: string-param, value: $(params.stringparam)}
    - {name: array-param, value: "$(params.arrayparam[*])"}
    - {name: object-param, value: "$(params.objectparam[*])"}
    - {name: enum-param, value: "$(params.enumparam[*])"}
`,
			want: map[int]windlassv1.Step{0: {
				Name: "action-runner", Image: "bash",
				Env: []corev1.EnvVar{{Name: "A1", Value: "array"}, {Name: "S", Value: "taskrun stringparam"},
					{Name: "K1", Value: "taskspec key1"}, {Name: "K2", Value: "taskrun key2"}, {Name: "K3", Value: "sa key3"}, {Name: "E1", Value: "enum1"}},
				Args:   []string{"taskrun", "array", "param", "taskrun stringparam"},
				Script: "echo taskrun stringparam > /windlass/run/step-results/action-runner/out",
			}},
		},
		{
			name: "defaults only, literal values, and the stepTemplate still applies later",
			run: `
taskSpec:
  stepTemplate: {env: [{name: foo, value: bar}]}
  steps:
  - ref: {name: env}
  - name: p
    ref: {name: params}
    params:
    - {name: array-param, value: [x, "$(context.taskRun.name)"]}
    - {name: object-param, value: {key1: k}}
`,
			want: map[int]windlassv1.Step{
				0: {Image: "alpine", Command: []string{"env"}},
				1: {Name: "p", Image: "bash",
					Env: []corev1.EnvVar{{Name: "A1", Value: "run"}, {Name: "S", Value: "a string param"},
						{Name: "K1", Value: "k"}, {Name: "K2", Value: "sa key2"}, {Name: "K3", Value: "sa key3"}, {Name: "E1", Value: "enum1"}},
					Args:   []string{"x", "run", "a string param"},
					Script: "echo a string param > /windlass/run/step-results/p/out",
				},
			},
		},
		{
			name: "params bound to an earlier step's results stay references, resolved when the step runs",
			run: `
taskSpec:
  results: [{name: r, value: "$(steps.inline-step.results.result2)"}]
  steps:
  - name: inline-step
    image: alpine
    results: [{name: result1, type: array}, {name: result2}, {name: result3, type: object, properties: {URL: {type: string}}}]
    script: echo -n foo > $(step.results.result2.path)
  - name: action-runner
    ref: {name: typed}
    params:
    - {name: a, value: "$(steps.inline-step.results.result1[*])"}
    - {name: s, value: "$(steps.inline-step.results.result2)"}
    - {name: o, value: "$(steps.inline-step.results.result3[*])"}
`,
			want: map[int]windlassv1.Step{
				0: {Name: "inline-step", Image: "alpine", Script: "echo -n foo > /windlass/run/step-results/inline-step/result2"},
				1: {Name: "action-runner", Image: "bash", Env: []corev1.EnvVar{{Name: "S", Value: "$(steps.inline-step.results.result2)"}},
					Args: []string{"$(steps.inline-step.results.result1[*])", "$(steps.inline-step.results.result1[0])", "$(steps.inline-step.results.result3.URL)"}},
			},
		},
		{
			name: "a StepAction's $(results.R.path): its own results, and the Task's",
			run:  "taskSpec:\n  results: [{name: task}]\n  steps: [{name: a, ref: {name: results}}]\n",
			want: map[int]windlassv1.Step{0: {Name: "a", Image: "x", Script: "date > /windlass/results/mine; date > /windlass/results/task"}},
		},
		{name: "an undeclared step param", run: "taskSpec:\n  steps: [{name: a, ref: {name: env}, params: [{name: x, value: y}]}]\n",
			err: `spec.steps[0].params[0] (x): the StepAction "env" declares no param "x" (declared: none)`},
		{name: "a required param left out", run: "taskSpec:\n  steps: [{name: a, ref: {name: needs-p}}]\n",
			err: `spec.steps[0].params: "p" required by the StepAction "needs-p" (no default) but not set by the step`},
		{name: "a value of the wrong type", run: "taskSpec:\n  steps: [{name: a, ref: {name: needs-p}, params: [{name: p, value: [a]}]}]\n",
			err: `param "p" is declared as string but the value is an array`},
		{name: "the StepAction's params are its own, not the Task's",
			run: "params: [{name: task-param, value: v}]\ntaskSpec:\n  params: [{name: task-param}]\n  steps: [{name: a, ref: {name: own}}]\n",
			err: `spec.steps[0] (StepAction "own").args[0]: $(params.task-param): no such value`},
		{name: "a missing StepAction", run: "taskSpec:\n  steps: [{name: a, ref: {name: nope}}]\n", err: `spec.steps[0].ref: StepAction "nope" not found`},
		{name: "a step result of a later step", run: `
taskSpec:
  steps:
  - {name: a, image: x, args: ["$(steps.b.results.r)"]}
  - {name: b, image: x, results: [{name: r}]}
`, err: `spec.steps[0].args[0]: $(steps.b.results.r): no step "b" runs before it`},
		{name: "an undeclared step result", run: `
taskSpec:
  steps:
  - {name: a, image: x, results: [{name: r}]}
  - {name: b, image: x, env: [{name: E, value: "$(steps.a.results.q)"}]}
`, err: `spec.steps[1].env[0].value: $(steps.a.results.q): step "a" declares no result "q" (declared: r)`},
		{name: "a step result in a script", run: `
taskSpec:
  steps:
  - {name: a, image: x, results: [{name: r}]}
  - {name: b, image: x, script: "echo $(steps.a.results.r)"}
`, err: `spec.steps[1].script: $(steps.a.results.r): step results can be used only in command, args and env`},
		{name: "a step's own result path it does not declare", run: "taskSpec:\n  steps: [{name: a, image: x, script: \"echo > $(step.results.r.path)\"}]\n",
			err: `spec.steps[0]: $(step.results.r.path): the step declares no results`},
		{name: "a Task result value that is not a step result", run: "taskSpec:\n  results: [{name: r, value: \"x $(steps.a.results.r)\"}]\n  steps: [{name: a, image: x, results: [{name: r}]}]\n",
			err: `spec.results[0].value: "x $(steps.a.results.r)": want exactly $(steps.<step>.results.<result>)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &windlassv1.TaskRun{Spec: *mustYAML[windlassv1.TaskRunSpec](t, tt.run)}
			tr.Name, tr.Namespace = "run", "ns"
			prep, err := Prepare(tr, tr.Spec.TaskSpec, "", actions)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				got := prep.Final.Steps[i]
				if got.Ref != nil || got.Params != nil {
					t.Errorf("step %d keeps its ref or params: %+v", i, got)
				}
				got = windlassv1.Step{Name: got.Name, Image: got.Image, Command: got.Command, Args: got.Args, Script: got.Script, Env: got.Env}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestBuildStepResults checks what the entrypoints are told: the producing
// step makes its results directory, the consuming step resolves its
// references, and the last step sets the Task result from the step result.
func TestBuildStepResults(t *testing.T) {
	tr := &windlassv1.TaskRun{Spec: *mustYAML[windlassv1.TaskRunSpec](t, `
taskSpec:
  stepTemplate: {env: [{name: foo, value: bar}]}
  results: [{name: r, value: "$(steps.a.results.out)"}]
  steps:
  - {name: a, image: x, command: [sh, -c, "echo hi > $(step.results.out.path)"], results: [{name: out}]}
  - {name: b, image: x, command: [echo, "$(steps.a.results.out)"]}
`)}
	tr.Name, tr.Namespace = "run", "ns"
	prep, err := Prepare(tr, tr.Spec.TaskSpec, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := Build(Input{Run: tr, Spec: prep.Final}, Config{EntrypointImage: "ep"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Join(pod.Spec.Containers[0].Args, " "), strings.Join(pod.Spec.Containers[1].Args, " ")
	for _, c := range []struct{ args, want string }{
		{a, "--mkdir /windlass/run/step-results/a -- sh -c echo hi > /windlass/run/step-results/a/out"},
		{b, "--step-results --result-from r=/windlass/run/step-results/a/out -- echo $(steps.a.results.out)"},
	} {
		if !strings.Contains(c.args, c.want) {
			t.Errorf("args %q lack %q", c.args, c.want)
		}
	}
	if strings.Contains(a, "--step-results") {
		t.Errorf("step a resolves step results it does not use: %s", a)
	}
}
