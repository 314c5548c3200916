package dag

import (
	"reflect"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		name    string
		nodes   []string
		deps    map[string][]string
		order   []string
		wantErr string
	}{
		{name: "independent tasks keep their order", nodes: []string{"b", "a", "c"}, order: []string{"b", "a", "c"}},
		{name: "diamond", nodes: []string{"join", "left", "right", "root"},
			deps:  map[string][]string{"left": {"root"}, "right": {"root"}, "join": {"left", "right", "left"}},
			order: []string{"root", "left", "right", "join"}},
		{name: "unknown dependency", nodes: []string{"a"}, deps: map[string][]string{"a": {"nope"}},
			wantErr: `task "a" depends on "nope", which is not a task of the pipeline`},
		{name: "self", nodes: []string{"a"}, deps: map[string][]string{"a": {"a"}}, wantErr: `task "a" depends on itself`},
		{name: "cycle named in execution order", nodes: []string{"a", "b", "c", "d"},
			deps:    map[string][]string{"b": {"a", "d"}, "c": {"b"}, "d": {"c"}},
			wantErr: "the tasks form a cycle: b → c → d → b"},
		{name: "duplicate", nodes: []string{"a", "a"}, wantErr: `task "a" is declared twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Build(tc.nodes, tc.deps)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Order(); !reflect.DeepEqual(got, tc.order) {
				t.Errorf("Order() = %v, want %v", got, tc.order)
			}
		})
	}
	g, _ := Build([]string{"a", "b", "c"}, map[string][]string{"c": {"b", "a", "b"}})
	if got := g.Parents("c"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Parents(c) = %v, want [a b] (sorted, once each)", got)
	}
}
