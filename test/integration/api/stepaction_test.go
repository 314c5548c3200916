package api

import "testing"

const stepActionHead = "apiVersion: windlass.dev/v1alpha1\nkind: StepAction\nmetadata: {name: NAME}\nspec:\n"

func TestStepActionSchemaAndCEL(t *testing.T) {
	runCases(t, []rejectCase{
		{name: "valid, every field", manifest: stepActionHead + `
  description: prints
  image: busybox
  args: ["$(params.flags[*])"]
  script: |
    echo $(params.msg) > $(step.results.out.path)
  env: [{name: A, value: "$(params.cfg.key)"}]
  workingDir: /work
  securityContext: {runAsUser: 1000}
  volumeMounts: [{name: v, mountPath: /v}]
  params:
  - {name: msg, default: hi}
  - {name: flags, type: array, default: [-v]}
  - {name: cfg, type: object, properties: {key: {type: string}}, default: {key: k}}
  results:
  - {name: out}
  - {name: list, type: array}
  - {name: obj, type: object, properties: {a: {type: string}}}
`},
		{name: "no image", manifest: stepActionHead + "  script: echo\n", wantErr: "spec.image: Required value"},
		{name: "script with command", manifest: stepActionHead + `
  image: busybox
  command: [sh]
  script: "true"
`, wantErr: "script cannot be used together with command"},
		{name: "duplicate param names", manifest: stepActionHead + `
  image: busybox
  params: [{name: p}, {name: p}]
`, wantErr: "spec.params[1]: Duplicate value"},
		{name: "bad result name", manifest: stepActionHead + `
  image: busybox
  results: [{name: "1r"}]
`, wantErr: "spec.results[0].name"},
		{name: "properties on a string result", manifest: stepActionHead + `
  image: busybox
  results: [{name: r, properties: {a: {type: string}}}]
`, wantErr: "properties are only allowed for type object"},
		{name: "unknown field", manifest: stepActionHead + `
  image: busybox
  imagee: x
`, wantErr: `unknown field "spec.imagee"`},
	})
}

func TestTaskStepRefSchemaAndCEL(t *testing.T) {
	runCases(t, []rejectCase{
		{name: "ref with params, results elsewhere and Task result value", manifest: taskHead + `
  results:
  - {name: r, value: "$(steps.produce.results.out)"}
  steps:
  - name: produce
    image: busybox
    results: [{name: out}, {name: list, type: array}]
    script: echo -n x > $(step.results.out.path)
  - name: act
    ref: {name: an-action}
    params:
    - {name: s, value: "$(steps.produce.results.out)"}
    - {name: a, value: [x, y]}
    - {name: o, value: {k: v}}
    timeout: 1m
    onError: continue
    computeResources: {limits: {memory: 64Mi}}
  - ref: {name: unnamed}
`},
		{name: "ref with image", manifest: taskHead + `
  steps: [{name: a, ref: {name: x}, image: busybox}]
`, wantErr: "spec.steps[0].image: Invalid value: image cannot be used with ref: the StepAction sets it"},
		{name: "ref with script", manifest: taskHead + `
  steps: [{name: a, ref: {name: x}, script: echo}]
`, wantErr: "spec.steps[0].script: Invalid value: script cannot be used with ref"},
		{name: "ref with env", manifest: taskHead + `
  steps: [{name: a, ref: {name: x}, env: [{name: A, value: b}]}]
`, wantErr: "spec.steps[0].env: Invalid value: env cannot be used with ref"},
		{name: "ref with results", manifest: taskHead + `
  steps: [{name: a, ref: {name: x}, results: [{name: r}]}]
`, wantErr: "spec.steps[0].results: Invalid value: results cannot be used with ref"},
		{name: "params without ref", manifest: taskHead + `
  steps: [{name: a, image: busybox, params: [{name: p, value: v}]}]
`, wantErr: "spec.steps[0].params: Invalid value: params are only allowed with ref"},
		{name: "ref without a name", manifest: taskHead + `
  steps: [{name: a, ref: {}}]
`, wantErr: "spec.steps[0].ref.name: Required value"},
		{name: "step without image or ref", manifest: taskHead + `
  steps: [{name: a, ref: {name: x}}, {name: b, script: "true"}]
`, wantErr: "every step needs an image unless stepTemplate.image is set"},
	})
}
