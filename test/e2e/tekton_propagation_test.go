//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// TestTektonPropagation runs the shapes of Tekton's stable examples that
// rely on implicit workspace propagation, object params, a task's workspace
// path passed in a param, an embedded task's metadata and pod template
// volumes (examples/v1: propagating_workspaces, propagating-workspaces,
// propagating_workspaces_with_referenced_resources,
// propagating-workspaces-in-pipelines, object-param-result,
// pipeline-object-param-and-result, pipelinerun, pipelinerun-with-
// pipelinespec-and-taskspec, template-volume), and checks what each saw.
func TestTektonPropagation(t *testing.T) {
	t.Parallel()
	ns := namespace(t)
	ctx := context.Background()
	for _, obj := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "recipes", Namespace: ns}, Data: map[string]string{"brownies": "1. Heat oven"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "password", Namespace: ns}, StringData: map[string]string{"password": "hunter2"}},
	} {
		if err := crc.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	createObjects(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: tr-propagated}
spec:
  workspaces: [{name: tr-workspace, emptyDir: {}}]
  taskSpec:
    results: [{name: path}]
    steps:
    - {name: s, image: SHELL, script: 'touch $(workspaces.tr-workspace.path)/f && echo -n "$(workspaces.tr-workspace.path)" > $(results.path.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: recipe}
spec:
  params: [{name: filename, value: recipe.txt}]
  workspaces:
  - name: shared-data
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  - {name: recipe-store, configMap: {name: recipes, items: [{key: brownies, path: recipe.txt}]}}
  - {name: password-vault, secret: {secretName: password}}
  pipelineSpec:
    results: [{name: recipe, value: $(tasks.print.results.recipe)}]
    tasks:
    - name: fetch
      taskSpec:
        steps:
        - name: fetch
          image: SHELL
          script: |
            test "hunter2" = "$(cat $(workspaces.password-vault.path)/password)"
            cp $(workspaces.recipe-store.path)/recipe.txt $(workspaces.shared-data.path)
    - name: print
      runAfter: [fetch]
      taskSpec:
        results: [{name: recipe}]
        steps:
        - {name: print, image: SHELL, script: 'cat $(workspaces.shared-data.path)/$(params.filename) > $(results.recipe.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: fetch-secure-data}
spec:
  workspaces: [{name: shared-data}]
  steps:
  - {name: write, image: SHELL, script: 'echo -n hi >> $(workspaces.shared-data.path)/recipe.txt'}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: referenced}
spec:
  workspaces:
  - name: shared-data
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  pipelineSpec:
    results: [{name: recipe, value: $(tasks.print.results.recipe)}]
    tasks:
    - {name: fetch, workspaces: [{name: shared-data}], taskRef: {name: fetch-secure-data}}
    - name: print
      runAfter: [fetch]
      taskSpec:
        results: [{name: recipe}]
        steps:
        - {name: print, image: SHELL, script: 'cat $(workspaces.shared-data.path)/recipe.txt > $(results.recipe.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: workspace-example}
spec:
  workspaces: [{name: shared-data}]
  results: [{name: path, value: $(tasks.t1.results.path)}]
  tasks:
  - name: t1
    taskSpec:
      results: [{name: path}]
      steps:
      - {name: ls, image: SHELL, script: 'ls $(workspaces.shared-data.path) && echo -n $(workspaces.shared-data.path) > $(results.path.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: in-pipelines}
spec:
  pipelineRef: {name: workspace-example}
  workspaces:
  - name: shared-data
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: object-param}
spec:
  params: [{name: gitrepo, value: {commit: sha123}}]
  taskSpec:
    params:
    - name: gitrepo
      type: object
      properties: {url: {type: string}, commit: {type: string}}
      default: {url: github.example.com}
    results:
    - {name: object-results, type: object, properties: {IMAGE_URL: {type: string}, IMAGE_DIGEST: {type: string}}}
    steps:
    - name: validate
      image: SHELL
      args: ["$(params.gitrepo.url)", "$(params.gitrepo.commit)"]
      script: |
        test "$1" = github.example.com
        test "$2" = sha123
        echo -n "{\"IMAGE_URL\":\"$1\", \"IMAGE_DIGEST\":\"$2\"}" > $(results.object-results.path)
---
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: write-param-to-result}
spec:
  params: [{name: arg, type: object, properties: {url: {type: string}, commit: {type: string}}}]
  results: [{name: object-result, type: object, properties: {foo: {type: string}, bar: {type: string}}}]
  steps:
  - {name: write, image: SHELL, script: 'echo -n "{\"foo\":\"$(params.arg.url)\",\"bar\":\"$(params.arg.commit)\"}" > $(results.object-result.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: echo-param}
spec:
  params: [{name: arg, type: object, properties: {foo: {type: string}, bar: {type: string}}}]
  results: [{name: out}]
  steps:
  - {name: echo, image: SHELL, script: 'echo -n "$(params.arg.foo) $(params.arg.bar)" > $(results.out.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: Pipeline
metadata: {name: object-pipeline}
spec:
  params:
  - {name: gitrepo, properties: {url: {}, commit: {}}}
  results: [{name: out, value: $(tasks.task2.results.out)}]
  tasks:
  - {name: task1, taskRef: {name: write-param-to-result}, params: [{name: arg, value: "$(params.gitrepo[*])"}]}
  - {name: task2, taskRef: {name: echo-param}, params: [{name: arg, value: "$(tasks.task1.results.object-result[*])"}]}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: object-run}
spec:
  pipelineRef: {name: object-pipeline}
  params: [{name: gitrepo, value: {url: abc.com, commit: sha123}}]
---
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: build}
spec:
  params: [{name: DOCKERFILE}]
  workspaces: [{name: source}]
  results: [{name: dockerfile}]
  steps:
  - {name: build, image: SHELL, script: 'cat "$(params.DOCKERFILE)" && echo -n "$(params.DOCKERFILE)" > $(results.dockerfile.path)'}
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: ws-path}
spec:
  workspaces:
  - name: git-source
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  pipelineSpec:
    workspaces: [{name: git-source}]
    results: [{name: dockerfile, value: $(tasks.build.results.dockerfile)}]
    tasks:
    - name: clone
      workspaces: [{name: output, workspace: git-source}]
      taskSpec:
        workspaces: [{name: output}]
        steps: [{name: clone, image: SHELL, script: 'mkdir -p $(workspaces.output.path)/app && echo FROM scratch > $(workspaces.output.path)/app/Dockerfile'}]
    - name: build
      runAfter: [clone]
      taskRef: {name: build}
      workspaces: [{name: source, workspace: git-source}]
      params: [{name: DOCKERFILE, value: $(workspaces.source.path)/app/Dockerfile}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: with-metadata}
spec:
  pipelineSpec:
    tasks:
    - name: echo-good-morning
      taskSpec:
        metadata:
          labels: {app: example}
          annotations: {example.com/note: hello}
        steps: [{name: echo, image: SHELL, script: 'echo Good Morning!'}]
---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: template-volume}
spec:
  podTemplate:
    volumes: [{name: custom, emptyDir: {}}]
  taskSpec:
    results: [{name: read}]
    steps:
    - name: write
      image: SHELL
      script: 'echo -n some stuff > /im/a/custom/mount/path/file'
      volumeMounts: [{name: custom, mountPath: /im/a/custom/mount/path}]
    - name: read
      image: SHELL
      script: 'cat /short/and/stout/file > $(results.read.path)'
      volumeMounts: [{name: custom, mountPath: /short/and/stout}]
---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: named-claim}
spec:
  workspaces:
  - name: read-allowed
    volumeClaimTemplate:
      metadata: {name: pvc, labels: {team: a}}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
  taskSpec:
    workspaces: [{name: read-allowed}]
    results: [{name: claim}]
    steps: [{name: list, image: SHELL, script: 'ls $(workspaces.read-allowed.path) && echo -n $(workspaces.read-allowed.claim) > $(results.claim.path)'}]
---
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata: {name: reasons}
spec:
  params: [{name: gitrepo, value: {url: abc.com, commit: sha123}}]
  pipelineSpec:
    results:
    - {name: reasons, value: $(finally.verify.results.reasons)}
    - {name: lengths, value: $(tasks.lengths.results.out)}
    - {name: gitrepo, value: $(tasks.object.results.out)}
    - {name: joined, value: $(tasks.whole.results.out)}
    tasks:
    - name: list
      taskSpec:
        results: [{name: items, type: array}]
        steps: [{name: w, image: SHELL, script: 'echo -n "[\"a\",\"b c\"]" > $(results.items.path)'}]
    - name: whole
      params: [{name: items, value: $(tasks.list.results.items)}]
      taskSpec:
        params: [{name: items, type: array}]
        results: [{name: out}]
        steps: [{name: w, image: SHELL, command: [sh, -c, 'echo -n "$#:$1|$2" > $(results.out.path)', sh], args: ["$(params.items[*])"]}]
    - name: echo-continue
      onError: continue
      taskSpec: {steps: [{name: fail, image: SHELL, script: 'exit 1'}]}
    - name: fan
      matrix: {params: [{name: x, value: [a, b, c]}]}
      taskSpec:
        params: [{name: x}]
        results: [{name: only-a}, {name: arr, type: array}]
        steps: [{name: w, image: SHELL, script: 'echo -n "[\"$(params.x)\"]" > $(results.arr.path); if [ $(params.x) = a ]; then echo -n yes > $(results.only-a.path); fi'}]
    - name: lengths
      params:
      - {name: count, value: $(tasks.fan.matrix.length)}
      - {name: only-a, value: $(tasks.fan.matrix.only-a.length)}
      taskSpec:
        params: [{name: count}, {name: only-a}]
        results: [{name: out}]
        steps: [{name: w, image: SHELL, script: 'echo -n "$(params.count)/$(params.only-a)" > $(results.out.path)'}]
    - name: object
      params: [{name: gitrepo, value: {branch: main, url: xyz.com}}]
      taskSpec:
        results: [{name: out}]
        steps:
        - {name: w, image: SHELL, script: 'echo -n "$(params.gitrepo.url) $(params.gitrepo.commit) $(params.gitrepo.branch)" > $(results.out.path)'}
    finally:
    - name: verify
      params:
      - {name: continued, value: $(tasks.echo-continue.reason)}
      - {name: succeeded, value: $(tasks.lengths.reason)}
      taskSpec:
        params: [{name: continued}, {name: succeeded}]
        results: [{name: reasons}]
        steps: [{name: w, image: SHELL, script: 'echo -n "$(params.continued) $(params.succeeded)" > $(results.reasons.path)'}]
`)
	const timeout = 3 * time.Minute
	stringResult := func(v windlassv1.ParamValue) string { return v.StringVal }

	t.Run("a TaskRun's workspace into its embedded taskSpec", func(t *testing.T) {
		tr := waitRunDone(t, ns, "tr-propagated", metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
		if got := stringResult(resultOf(t, tr, "path")); got != "/workspace/tr-workspace" {
			t.Errorf("path = %q", got)
		}
	})
	pipelineResult := func(t *testing.T, name, result, want string) {
		t.Helper()
		pr := waitPipelineDone(t, ns, name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
		for _, r := range pr.Status.Results {
			if r.Name == result {
				if r.Value.StringVal != want {
					t.Errorf("%s: result %s = %q, want %q", name, result, r.Value.StringVal, want)
				}
				return
			}
		}
		t.Errorf("%s: no result %s in %+v", name, result, pr.Status.Results)
	}
	t.Run("a PipelineRun's workspaces into an embedded pipelineSpec and its taskSpecs", func(t *testing.T) {
		pipelineResult(t, "recipe", "recipe", "1. Heat oven")
	})
	t.Run("a referenced Task binds explicitly, an embedded one is propagated to", func(t *testing.T) {
		pipelineResult(t, "referenced", "recipe", "hi")
	})
	t.Run("a referenced Pipeline's workspace into its embedded taskSpec", func(t *testing.T) {
		pipelineResult(t, "in-pipelines", "path", "/workspace/shared-data")
	})
	t.Run("an object param's partial default merged with the run's keys", func(t *testing.T) {
		tr := waitRunDone(t, ns, "object-param", metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
		got := resultOf(t, tr, "object-results").ObjectVal
		if got["IMAGE_URL"] != "github.example.com" || got["IMAGE_DIGEST"] != "sha123" {
			t.Errorf("object-results = %v", got)
		}
	})
	t.Run("a whole object param passed to a Task's object param", func(t *testing.T) {
		pipelineResult(t, "object-run", "out", "abc.com sha123")
	})
	t.Run("a task's workspace path passed in its param", func(t *testing.T) {
		pipelineResult(t, "ws-path", "dockerfile", "/workspace/source/app/Dockerfile")
	})
	t.Run("an embedded task's metadata on its TaskRun and pod", func(t *testing.T) {
		waitPipelineDone(t, ns, "with-metadata", metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
		tr := getTaskRun(t, ns, "with-metadata-echo-good-morning")
		pod := &corev1.Pod{}
		if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: tr.Status.PodName}, pod); err != nil {
			t.Fatal(err)
		}
		for what, m := range map[string]map[string]string{"TaskRun labels": tr.Labels, "pod labels": pod.Labels} {
			if m["app"] != "example" {
				t.Errorf("%s: %v, want app=example", what, m)
			}
		}
		for what, m := range map[string]map[string]string{"TaskRun annotations": tr.Annotations, "pod annotations": pod.Annotations} {
			if m["example.com/note"] != "hello" {
				t.Errorf("%s: %v, want example.com/note=hello", what, m)
			}
		}
	})
	t.Run("a named claim template prefixes the claim and labels it", func(t *testing.T) {
		tr := waitRunDone(t, ns, "named-claim", metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
		if got := stringResult(resultOf(t, tr, "claim")); got != "pvc-named-claim-read-allowed" {
			t.Errorf("claim = %q", got)
		}
		pvc := &corev1.PersistentVolumeClaim{}
		if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "pvc-named-claim-read-allowed"}, pvc); err != nil {
			t.Fatal(err)
		}
		if pvc.Labels["team"] != "a" {
			t.Errorf("claim labels %v", pvc.Labels)
		}
	})
	t.Run("task reasons, matrix lengths, a propagated object merged key by key, a whole array result", func(t *testing.T) {
		pipelineResult(t, "reasons", "reasons", "FailureIgnored Succeeded")
		pipelineResult(t, "reasons", "lengths", "3/1")
		pipelineResult(t, "reasons", "gitrepo", "xyz.com sha123 main")
		pipelineResult(t, "reasons", "joined", "2:a|b c")
	})
	t.Run("pod template volumes mounted by the steps", func(t *testing.T) {
		tr := waitRunDone(t, ns, "template-volume", metav1.ConditionTrue, windlassv1.ReasonSucceeded, timeout)
		if got := stringResult(resultOf(t, tr, "read")); got != "some stuff" {
			t.Errorf("read = %q", got)
		}
	})
}
