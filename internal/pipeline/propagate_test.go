package pipeline

import (
	"reflect"
	"strings"
	"testing"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestEmbeddedTaskSpecsSeeThePipelinesParams(t *testing.T) {
	const head = `
spec:
  params:
  - {name: rev, value: abc123}
  - {name: flags, value: [-v, -race]}
  - {name: repo, value: {url: "https://git.example/r", branch: main}}
  pipelineSpec:
    params:
    - {name: rev, description: the revision}
    - {name: flags, type: array}
    - {name: repo, type: object, properties: {url: {}, branch: {}}}
    - {name: mode, default: fast}
    tasks:
`
	str := func(s string) windlassv1.ParamValue {
		return windlassv1.ParamValue{Type: windlassv1.ParamTypeString, StringVal: s}
	}
	for _, tc := range []struct {
		name       string
		task       string
		wantDecl   []string // names of the TaskRun's taskSpec params, in order
		wantParams map[string]windlassv1.ParamValue
	}{
		{
			name:       "an undeclared string param is declared and passed, defaults included",
			task:       `- {name: a, taskSpec: {steps: [{image: busybox, script: "git checkout $(params.rev) && echo $(params.mode)"}]}}`,
			wantDecl:   []string{"mode", "rev"},
			wantParams: map[string]windlassv1.ParamValue{"rev": str("abc123"), "mode": str("fast")},
		},
		{
			name:       "arrays and object members, in any field",
			task:       `- {name: a, taskSpec: {steps: [{image: busybox, args: ["$(params.flags[*])"], env: [{name: U, value: "$(params.repo.url)"}]}]}}`,
			wantDecl:   []string{"flags", "repo"},
			wantParams: map[string]windlassv1.ParamValue{"flags": {Type: windlassv1.ParamTypeArray, ArrayVal: []string{"-v", "-race"}}, "repo": {Type: windlassv1.ParamTypeObject, ObjectVal: map[string]string{"url": "https://git.example/r", "branch": "main"}}},
		},
		{
			name:       "bracket names resolve to the same param",
			task:       `- {name: a, taskSpec: {steps: [{image: busybox, script: "echo $(params['rev'])"}]}}`,
			wantDecl:   []string{"rev"},
			wantParams: map[string]windlassv1.ParamValue{"rev": str("abc123")},
		},
		{
			name:       "the inputs.params spelling propagates too",
			task:       `- {name: a, taskSpec: {steps: [{image: busybox, args: ["$(inputs.params.flags[*])"], script: "echo $(inputs.params.rev)"}]}}`,
			wantDecl:   []string{"flags", "rev"},
			wantParams: map[string]windlassv1.ParamValue{"flags": {Type: windlassv1.ParamTypeArray, ArrayVal: []string{"-v", "-race"}}, "rev": str("abc123")},
		},
		{
			name:       "a param the task spec declares is its own",
			task:       `- {name: a, params: [{name: rev, value: pinned}], taskSpec: {params: [{name: rev}], steps: [{image: busybox, script: "echo $(params.rev)"}]}}`,
			wantDecl:   []string{"rev"},
			wantParams: map[string]windlassv1.ParamValue{"rev": str("pinned")},
		},
		{
			name:       "a value the pipeline task passes wins over the run's",
			task:       `- {name: a, params: [{name: rev, value: "v-$(params.rev)"}], taskSpec: {steps: [{image: busybox, script: "echo $(params.rev)"}]}}`,
			wantDecl:   []string{"rev"},
			wantParams: map[string]windlassv1.ParamValue{"rev": str("v-abc123")},
		},
		{
			name:       "an unknown param is left for the TaskRun to report",
			task:       `- {name: a, taskSpec: {steps: [{image: busybox, script: "echo $(params.nope) $(date)"}]}}`,
			wantDecl:   nil,
			wantParams: map[string]windlassv1.ParamValue{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, head+"    "+tc.task+"\n")
			s.plan()
			tr := s.children["pr-a"]
			if tr == nil {
				t.Fatalf("no TaskRun created: %v", s.names())
			}
			var decl []string
			for _, p := range tr.Spec.TaskSpec.Params {
				decl = append(decl, p.Name)
				if p.Default != nil {
					t.Errorf("declared param %s keeps a default: the run's value is passed instead", p.Name)
				}
			}
			if !reflect.DeepEqual(decl, tc.wantDecl) {
				t.Errorf("taskSpec params = %v, want %v", decl, tc.wantDecl)
			}
			got := map[string]windlassv1.ParamValue{}
			for _, p := range tr.Spec.Params {
				if _, dup := got[p.Name]; dup {
					t.Errorf("param %s passed twice", p.Name)
				}
				got[p.Name] = p.Value
			}
			if !reflect.DeepEqual(got, tc.wantParams) {
				t.Errorf("params = %+v, want %+v", got, tc.wantParams)
			}
		})
	}
}

func TestReferencedTasksAreLeftAlone(t *testing.T) {
	s := newSim(t, `
spec:
  pipelineSpec:
    params: [{name: rev, default: x}]
    tasks:
    - {name: a, taskRef: {name: build}}
`)
	s.plan()
	tr := s.children["pr-a"]
	if tr.Spec.TaskSpec != nil || len(tr.Spec.Params) != 0 {
		t.Errorf("a referenced Task got %+v / %+v", tr.Spec.TaskSpec, tr.Spec.Params)
	}
}

func TestEmbeddedPipelineSpecsSeeTheRunsUndeclaredParams(t *testing.T) {
	s := newSim(t, `
spec:
  params:
  - {name: HELLO, value: "Hello World!"}
  - {name: words, value: [a, b]}
  pipelineSpec:
    tasks:
    - name: a
      params: [{name: greeting, value: "$(params.HELLO)"}]
      taskSpec:
        params: [{name: greeting}]
        steps: [{image: busybox, script: "echo $(params.greeting) $(params.words[*])"}]
    finally:
    - {name: f, taskSpec: {steps: [{image: busybox, script: "echo $(params.HELLO)"}]}}
`)
	if got := s.resolved.Unused; len(got) != 0 {
		t.Errorf("embedded spec reported unused params %v", got)
	}
	s.plan()
	a := s.children["pr-a"]
	if a == nil {
		t.Fatalf("no TaskRun for a: %v", s.names())
	}
	if got := s.param("pr-a", "greeting").StringVal; got != "Hello World!" {
		t.Errorf("a's greeting = %q, want the run's HELLO", got)
	}
	if got := s.param("pr-a", "words"); !reflect.DeepEqual(got.ArrayVal, []string{"a", "b"}) {
		t.Errorf("a's words = %+v, want the run's array", got)
	}
	var decl []string
	for _, p := range a.Spec.TaskSpec.Params {
		decl = append(decl, p.Name+":"+string(p.EffectiveType()))
	}
	if want := []string{"greeting:string", "words:array"}; !reflect.DeepEqual(decl, want) {
		t.Errorf("a's taskSpec params = %v, want %v", decl, want)
	}
	s.finish("pr-a", true)
	s.plan()
	if s.children["pr-f"] == nil {
		t.Fatalf("finally task not created: %v", s.names())
	}
	if got := s.param("pr-f", "HELLO").StringVal; got != "Hello World!" {
		t.Errorf("finally f's HELLO = %q, want the run's", got)
	}
}

func TestReferencedPipelinesIgnoreUndeclaredParams(t *testing.T) {
	run := &windlassv1.PipelineRun{}
	run.Name, run.Namespace = "pr", "ci"
	run.Spec.Params = []windlassv1.Param{{Name: "revison", Value: *windlassv1.NewString("x")}, {Name: "rev", Value: *windlassv1.NewString("y")}}
	spec := &windlassv1.PipelineSpec{
		Params: []windlassv1.ParamSpec{{Name: "rev"}},
		Tasks: []windlassv1.PipelineTask{{Name: "a", TaskSpec: &windlassv1.TaskSpec{
			Steps: []windlassv1.Step{{Image: "busybox", Script: "echo $(params.rev)"}}}}},
	}
	r, err := Resolve(run, "pl", spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Unused, []string{"revison"}) || len(r.Implicit) != 0 {
		t.Errorf("unused = %v, implicit = %v; want [revison] and none", r.Unused, r.Implicit)
	}
	if _, ok := r.Params["revison"]; ok {
		t.Errorf("the ignored param was bound")
	}
	spec.Tasks[0].Params = []windlassv1.Param{{Name: "r", Value: *windlassv1.NewString("$(params.revison)")}}
	if _, err := Resolve(run, "pl", spec, nil); err == nil || !strings.Contains(err.Error(), "$(params.revison)") {
		t.Errorf("a referenced pipeline's use of an ignored param: got %v, want an error naming it", err)
	}
}

// TestPropagatedWorkspaces: a workspace the run binds reaches embedded task
// specs that use it, through an embedded pipeline that does not declare it
// or a pipeline that does; referenced Tasks and explicit bindings are left
// as written.
func TestPropagatedWorkspaces(t *testing.T) {
	const run = `
spec:
  workspaces:
  - {name: shared, volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce]}}}
  - {name: store, configMap: {name: recipes}}
  pipelineSpec:
`
	for _, tc := range []struct {
		name string
		spec string
		want map[string]string // pipeline task → its TaskRun's bindings (name=source)
	}{
		{
			name: "undeclared by the embedded pipeline and its task specs",
			spec: `
    tasks:
    - {name: a, taskSpec: {steps: [{image: busybox, script: "cp $(workspaces.store.path)/r $(workspaces.shared.path)"}]}}
    - {name: b, runAfter: [a], taskSpec: {steps: [{image: busybox, script: "cat $(workspaces.shared.path)/r"}]}}
    - {name: c, runAfter: [a], taskSpec: {steps: [{image: busybox, script: "true"}]}}`,
			want: map[string]string{"a": "shared=pvc-pr-shared,store=recipes", "b": "shared=pvc-pr-shared", "c": ""},
		},
		{
			name: "declared by the pipeline, used undeclared by a task spec",
			spec: `
    workspaces: [{name: shared}, {name: store}]
    tasks:
    - {name: a, taskSpec: {steps: [{image: busybox, script: "ls $(workspaces.shared.path)"}]}}`,
			want: map[string]string{"a": "shared=pvc-pr-shared"},
		},
		{
			name: "a referenced Task gets only what the pipeline task binds",
			spec: `
    tasks:
    - {name: a, workspaces: [{name: shared}], taskRef: {name: fetch}}`,
			want: map[string]string{"a": "shared=pvc-pr-shared"},
		},
		{
			name: "an explicit binding of the same name wins",
			spec: `
    tasks:
    - {name: a, workspaces: [{name: shared, workspace: store}], taskSpec: {workspaces: [{name: shared}], steps: [{image: busybox, script: "ls $(workspaces.shared.path)"}]}}`,
			want: map[string]string{"a": "shared=recipes"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, run+tc.spec+"\n")
			for range 2 {
				s.plan()
				for _, n := range s.names() {
					s.finish(n, true)
				}
			}
			for task, want := range tc.want {
				tr := s.children["pr-"+task]
				if tr == nil {
					t.Fatalf("no TaskRun for %s: %v", task, s.names())
				}
				var got []string
				for _, b := range tr.Spec.Workspaces {
					src := "?"
					switch {
					case b.PersistentVolumeClaim != nil:
						src = b.PersistentVolumeClaim.ClaimName
					case b.ConfigMap != nil:
						src = b.ConfigMap.Name
					}
					got = append(got, b.Name+"="+src)
				}
				if g := strings.Join(got, ","); g != want {
					t.Errorf("%s binds %q, want %q", task, g, want)
				}
			}
		})
	}
}

func TestUndeclaredWorkspacesOfAReferencedPipeline(t *testing.T) {
	run := &windlassv1.PipelineRun{Spec: windlassv1.PipelineRunSpec{
		PipelineRef: &windlassv1.PipelineRef{Name: "pl"},
		Workspaces:  []windlassv1.WorkspaceBinding{{Name: "shared"}},
	}}
	_, err := Resolve(run, "pl", &windlassv1.PipelineSpec{Tasks: []windlassv1.PipelineTask{{Name: "a", TaskRef: &windlassv1.TaskRef{Name: "t"}}}}, nil)
	if err == nil || !strings.Contains(err.Error(), `spec.workspaces[0]: the Pipeline declares no workspace "shared"`) {
		t.Fatalf("err = %v, want the undeclared workspace named", err)
	}
}

// TestTaskWorkspacePathsInParams: $(workspaces.<w>.path) in a task's param
// is the Task's workspace's, so the pipeline passes it on as written (the
// TaskRun resolves it); $(workspaces.<w>.bound) is the pipeline's.
func TestTaskWorkspacePathsInParams(t *testing.T) {
	s := newSim(t, `
spec:
  workspaces: [{name: git-source, emptyDir: {}}]
  pipelineSpec:
    workspaces: [{name: git-source}]
    tasks:
    - name: build
      taskRef: {name: kaniko}
      workspaces: [{name: source, workspace: git-source}]
      params:
      - {name: DOCKERFILE, value: "$(workspaces.source.path)/Dockerfile"}
      - {name: BOUND, value: "$(workspaces.git-source.bound)"}
`)
	s.plan()
	if got := s.param("pr-build", "DOCKERFILE").StringVal; got != "$(workspaces.source.path)/Dockerfile" {
		t.Errorf("DOCKERFILE = %q, want the reference passed on", got)
	}
	if got := s.param("pr-build", "BOUND").StringVal; got != "true" {
		t.Errorf("BOUND = %q, want true", got)
	}
}

// TestEmbeddedTaskMetadata: an embedded task's metadata labels and
// annotates its TaskRun, over the run's labels, never over Windlass's own.
func TestEmbeddedTaskMetadata(t *testing.T) {
	s := newSim(t, `
metadata:
  labels: {app: run, team: a}
spec:
  pipelineSpec:
    tasks:
    - name: echo
      taskSpec:
        metadata:
          labels: {app: example, windlass.dev/pipelineTask: spoofed}
          annotations: {note: hello}
        steps: [{image: busybox, script: "echo hi"}]
    - {name: plain, taskSpec: {steps: [{image: busybox, script: "echo hi"}]}}
`)
	s.plan()
	tr := s.children["pr-echo"]
	if tr == nil {
		t.Fatalf("no TaskRun: %v", s.names())
	}
	for k, want := range map[string]string{"app": "example", "team": "a", LabelPipelineTask: "echo"} {
		if got := tr.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if got := tr.Annotations["note"]; got != "hello" {
		t.Errorf("annotation note = %q, want hello", got)
	}
	if tr.Spec.TaskSpec.Metadata != nil {
		t.Error("the TaskRun's taskSpec keeps the metadata, which a TaskRun's schema refuses")
	}
	if plain := s.children["pr-plain"]; plain.Labels["app"] != "run" || len(plain.Annotations) != 0 {
		t.Errorf("a task without metadata got labels %v, annotations %v", plain.Labels, plain.Annotations)
	}
}

// TestNamedClaimTemplate: a volumeClaimTemplate's metadata.name prefixes
// the claim the run makes (as in Tekton), which its tasks then bind.
func TestNamedClaimTemplate(t *testing.T) {
	s := newSim(t, `
spec:
  workspaces: [{name: shared, volumeClaimTemplate: {metadata: {name: data}, spec: {accessModes: [ReadWriteOnce]}}}]
  pipelineSpec:
    workspaces: [{name: shared}]
    tasks:
    - {name: a, workspaces: [{name: w, workspace: shared}], taskRef: {name: t}}
`)
	s.plan()
	b := s.children["pr-a"].Spec.Workspaces
	if len(b) != 1 || b[0].PersistentVolumeClaim == nil || b[0].PersistentVolumeClaim.ClaimName != "data-pr-shared" {
		t.Errorf("bindings %+v, want w bound to the claim data-pr-shared", b)
	}
	if got := BindingClaim("pr", s.run.Spec.Workspaces[0]); got != "data-pr-shared" {
		t.Errorf("BindingClaim = %q", got)
	}
}

// TestPropagatedObjectParamsMergeKeyByKey: an object param an embedded task
// spec uses undeclared, which both the run and the pipeline task give, is
// the run's with the task's keys over it (Tekton's scope and precedence).
func TestPropagatedObjectParamsMergeKeyByKey(t *testing.T) {
	s := newSim(t, `
spec:
  params: [{name: gitrepo, value: {url: abc.com, commit: sha123}}]
  pipelineSpec:
    tasks:
    - name: task1
      params: [{name: gitrepo, value: {branch: main, url: xyz.com}}]
      taskSpec:
        steps: [{image: busybox, args: ["--url=$(params.gitrepo.url)", "--commit=$(params.gitrepo.commit)", "--branch=$(params.gitrepo.branch)"]}]
`)
	s.plan()
	got := s.param("pr-task1", "gitrepo")
	want := *windlassv1.NewObject(map[string]string{"url": "xyz.com", "commit": "sha123", "branch": "main"})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gitrepo = %+v, want %+v", got, want)
	}
}
