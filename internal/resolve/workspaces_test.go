package resolve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestImplicitWorkspaces(t *testing.T) {
	bind := func(names ...string) []windlassv1.WorkspaceBinding {
		var out []windlassv1.WorkspaceBinding
		for _, n := range names {
			out = append(out, windlassv1.WorkspaceBinding{Name: n, EmptyDir: &corev1.EmptyDirVolumeSource{}})
		}
		return out
	}
	tests := []struct {
		name  string
		spec  string
		bound []windlassv1.WorkspaceBinding
		want  []string
	}{
		{"a used, bound, undeclared workspace is declared",
			`steps: [{image: a, command: [echo], args: ["$(workspaces.tr-workspace.path)"]}]`, bind("tr-workspace"), []string{"tr-workspace"}},
		{"script, sidecar and env, every variable, bracket names",
			`{steps: [{image: a, script: "cat $(workspaces.src.path)/f; echo $(workspaces['cache'].bound)", env: [{name: C, value: "$(workspaces.claim.claim)"}]}], sidecars: [{image: b, script: "ls $(workspaces.side.volume)"}]}`,
			bind("side", "src", "cache", "claim"), []string{"cache", "claim", "side", "src"}},
		{"a declared workspace stays as declared",
			`{workspaces: [{name: src, mountPath: /src}], steps: [{image: a, script: "ls $(workspaces.src.path)"}]}`, bind("src"), nil},
		{"an unbound one is left for the substitution to report",
			`steps: [{image: a, script: "ls $(workspaces.nope.path)"}]`, bind("src"), nil},
		{"a bound one the spec does not use is not declared",
			`steps: [{image: a, script: "ls $(workspaces.src.path) $(date)"}]`, bind("src", "extra"), []string{"src"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var spec windlassv1.TaskSpec
			if err := yaml.UnmarshalStrict([]byte(tt.spec), &spec); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ImplicitWorkspaces(&spec, tt.bound) {
				if w.MountPath != "" || w.ReadOnly || w.Optional {
					t.Errorf("%s declared with %+v, want the defaults", w.Name, w)
				}
				got = append(got, w.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("declared (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpandWorkspaces: a param value naming the Task's workspace, as a
// pipeline passes $(workspaces.source.path), resolves to its path in the
// pod (its mountPath when declared), in every kind of value.
func TestExpandWorkspaces(t *testing.T) {
	spec := &windlassv1.TaskSpec{Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "source"}, {Name: "cache", MountPath: "/cache"}, {Name: "opt", Optional: true}}}
	bound := map[string]Workspace{"source": {Volume: "ws-source", Claim: "pvc-1"}, "cache": {Volume: "ws-cache"}}
	params := map[string]windlassv1.ParamValue{
		"DOCKERFILE": *windlassv1.NewString("$(workspaces.source.path)/Dockerfile"),
		"dirs":       *windlassv1.NewArray("$(workspaces.cache.path)", "$(workspaces.opt.bound)", "$(params.x) $(date)"),
		"o":          *windlassv1.NewObject(map[string]string{"claim": "$(workspaces.source.claim)", "v": "$(workspaces['cache'].volume)"}),
	}
	given := params["dirs"].ArrayVal
	if err := ExpandWorkspaces(params, spec, bound); err != nil {
		t.Fatal(err)
	}
	want := map[string]windlassv1.ParamValue{
		"DOCKERFILE": *windlassv1.NewString("/workspace/source/Dockerfile"),
		"dirs":       *windlassv1.NewArray("/cache", "false", "$(params.x) $(date)"),
		"o":          *windlassv1.NewObject(map[string]string{"claim": "pvc-1", "v": "ws-cache"}),
	}
	if diff := cmp.Diff(want, params); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if given[0] != "$(workspaces.cache.path)" {
		t.Error("the run's own array was changed")
	}
	err := ExpandWorkspaces(map[string]windlassv1.ParamValue{"p": *windlassv1.NewString("$(workspaces.nope.path)")}, spec, bound)
	if err == nil || !strings.Contains(err.Error(), "spec.params (p): $(workspaces.nope.path): no such value") {
		t.Errorf("err = %v, want the param and the reference named", err)
	}
}
