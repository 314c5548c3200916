package resolve

import (
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
