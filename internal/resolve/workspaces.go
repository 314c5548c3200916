package resolve

import (
	"encoding/json"
	"slices"
	"strings"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/substitute"
)

// UsedWorkspaces are the workspaces a task spec's $(workspaces.<name>.<var>)
// references name, sorted, whether the spec declares them or not.
func UsedWorkspaces(spec *windlassv1.TaskSpec) []string {
	var out []string
	for _, s := range SpecStrings(spec) {
		for _, p := range substitute.Paths("workspaces", s) {
			i := strings.LastIndex(p, ".")
			if i <= 0 {
				continue
			}
			if name := p[:i]; !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ImplicitWorkspaces are the workspaces an embedded task spec uses without
// declaring them that the run binds (Tekton's propagated workspaces), each
// declared with defaults, sorted by name. Nil when there are none.
func ImplicitWorkspaces(spec *windlassv1.TaskSpec, bindings []windlassv1.WorkspaceBinding) []windlassv1.WorkspaceDeclaration {
	var out []windlassv1.WorkspaceDeclaration
	for _, name := range UsedWorkspaces(spec) {
		if slices.ContainsFunc(spec.Workspaces, func(w windlassv1.WorkspaceDeclaration) bool { return w.Name == name }) {
			continue
		}
		if slices.ContainsFunc(bindings, func(b windlassv1.WorkspaceBinding) bool { return b.Name == name }) {
			out = append(out, windlassv1.WorkspaceDeclaration{Name: name})
		}
	}
	return out
}

// SpecStrings are every string in a task spec that holds a $( reference,
// wherever it is.
func SpecStrings(ts *windlassv1.TaskSpec) []string {
	raw, err := json.Marshal(ts)
	if err != nil {
		return nil // a TaskSpec always marshals
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if strings.Contains(v, "$(") {
				out = append(out, v)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}
