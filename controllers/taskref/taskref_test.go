package taskref

import (
	"strings"
	"testing"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func str(n, v string) windlassv1.Param {
	return windlassv1.Param{Name: n, Value: windlassv1.ParamValue{Type: windlassv1.ParamTypeString, StringVal: v}}
}

func TestParse(t *testing.T) {
	allowed := []string{"windlass-catalog"}
	tests := []struct {
		name string
		ref  windlassv1.TaskRef
		want Target
		err  string
	}{
		{name: "by name", ref: windlassv1.TaskRef{Name: "build"}, want: Target{Namespace: "team", Name: "build"}},
		{name: "cluster, catalog", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{
			str("kind", "task"), str("name", "git-clone"), str("namespace", "windlass-catalog")}},
			want: Target{Namespace: "windlass-catalog", Name: "git-clone", Resolved: true}},
		{name: "cluster, own namespace by default", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("name", "mine")}},
			want: Target{Namespace: "team", Name: "mine", Resolved: true}},
		{name: "cluster, kind Task", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("kind", "Task"), str("name", "x")}},
			want: Target{Namespace: "team", Name: "x", Resolved: true}},
		{name: "namespace not served", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("name", "x"), str("namespace", "kube-system")}},
			err: `taskRef.params namespace "kube-system": the cluster resolver serves Tasks only from the run's own namespace and "windlass-catalog"`},
		{name: "pipeline kind", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("kind", "pipeline"), str("name", "x")}},
			err: `taskRef.params kind "pipeline"`},
		{name: "no name", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("namespace", "windlass-catalog")}},
			err: "taskRef.params name: the cluster resolver needs the Task's name"},
		{name: "unknown param", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("name", "x"), str("url", "y")}},
			err: "taskRef.params url: the cluster resolver takes kind, name, namespace"},
		{name: "array param", ref: windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{{Name: "name",
			Value: windlassv1.ParamValue{Type: windlassv1.ParamTypeArray, ArrayVal: []string{"x"}}}}}, err: "taskRef.params name: must be a string"},
		{name: "other resolver", ref: windlassv1.TaskRef{Resolver: "hub"}, err: `taskRef.resolver "hub": the resolvers are cluster, bundles, git and http`},
		{name: "git without url", ref: windlassv1.TaskRef{Resolver: "git"}, err: `taskRef.params url: the git resolver needs the file's URL`},
		{name: "git", ref: windlassv1.TaskRef{Resolver: "git", Params: []windlassv1.Param{
			str("url", "https://git.example/t.git"), str("revision", "v1"), str("pathInRepo", "task.yaml")}},
			want: Target{URL: "https://git.example/t.git", Revision: "v1", Path: "task.yaml", Git: true, Resolved: true}},
		{name: "git with a param of the scm mode", ref: windlassv1.TaskRef{Resolver: "git", Params: []windlassv1.Param{
			str("url", "https://git.example/t.git"), str("token", "t")}}, err: `taskRef.params token: the git resolver takes url, revision, pathInRepo`},
		{name: "http", ref: windlassv1.TaskRef{Resolver: "http", Params: []windlassv1.Param{str("url", "https://h/t.yaml")}},
			want: Target{URL: "https://h/t.yaml", Resolved: true}},
		{name: "bundle", ref: windlassv1.TaskRef{Resolver: "bundles", Params: []windlassv1.Param{
			str("bundle", "10.88.0.1:5000/windlass/catalog/git-clone:0.1"), str("name", "git-clone"), str("kind", "task")}},
			want: Target{Name: "git-clone", Bundle: "10.88.0.1:5000/windlass/catalog/git-clone:0.1", Resolved: true}},
		{name: "bundle without a reference", ref: windlassv1.TaskRef{Resolver: "bundles", Params: []windlassv1.Param{str("name", "x")}},
			err: "taskRef.params bundle: the bundles resolver needs the bundle's image reference"},
		{name: "bundle with a namespace", ref: windlassv1.TaskRef{Resolver: "bundles", Params: []windlassv1.Param{str("name", "x"), str("namespace", "y")}},
			err: "taskRef.params namespace: the bundles resolver takes bundle, name, kind"},
		{name: "nothing", ref: windlassv1.TaskRef{}, err: "taskRef: name or resolver is required"},
		{name: "an approval gate", ref: windlassv1.TaskRef{APIVersion: "windlass.dev/v1alpha1", Kind: "Approval"},
			err: "taskRef kind Approval: an approval gate runs only as a pipeline task"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(&tt.ref, "team", allowed)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !IsPermanent(err) {
					t.Fatalf("got %v, want a permanent error containing %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := Parse(&windlassv1.TaskRef{Resolver: "cluster", Params: []windlassv1.Param{str("name", "x"), str("namespace", "other")}}, "team", nil); err == nil ||
		!strings.Contains(err.Error(), "no other (--cluster-resolver-namespaces is empty)") {
		t.Fatalf("empty allowed list: %v", err)
	}
}

func TestSourceNamesTheTaskAndHashesItsSpec(t *testing.T) {
	task := &windlassv1.Task{}
	task.Namespace, task.Name, task.UID = "windlass-catalog", "git-clone", "u-1"
	task.Spec.Steps = []windlassv1.Step{{Name: "clone", Image: "img"}}
	a, err := clusterSource(task)
	if err != nil {
		t.Fatal(err)
	}
	if a.URI != "/apis/windlass.dev/v1alpha1/namespaces/windlass-catalog/tasks/git-clone@u-1" || len(a.Digest["sha256"]) != 64 {
		t.Fatalf("source %+v", a)
	}
	task.Spec.Steps[0].Image = "other"
	if b, _ := clusterSource(task); b.Digest["sha256"] == a.Digest["sha256"] {
		t.Fatal("a different spec has the same digest")
	}
}
