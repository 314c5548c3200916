package freshness

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestTracker(t *testing.T) {
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	type step struct {
		op    string // wrote, stale, forget
		key   types.NamespacedName
		rv    string
		newRV string // for wrote; "" means rv+"'"
		want  bool   // for stale
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"nothing written: never stale", []step{{"stale", a, "1", "", false}}},
		{"the replaced version is stale", []step{{"wrote", a, "1", "", false}, {"stale", a, "1", "", true}, {"stale", a, "1", "", true}}},
		{"a newer version clears the record", []step{{"wrote", a, "1", "", false}, {"stale", a, "2", "", false}, {"stale", a, "1", "", false}}},
		{"keys are separate", []step{{"wrote", a, "1", "", false}, {"stale", b, "1", "", false}, {"stale", a, "1", "", true}}},
		{"the latest write counts", []step{{"wrote", a, "1", "", false}, {"wrote", a, "2", "", false}, {"stale", a, "2", "", true}, {"stale", a, "3", "", false}}},
		{"forget drops it", []step{{"wrote", a, "1", "", false}, {"forget", a, "", "", false}, {"stale", a, "1", "", false}}},
		{"an empty version is not recorded", []step{{"wrote", a, "", "", false}, {"stale", a, "", "", false}}},
		{"a write that changed nothing is not recorded", []step{{"wrote", a, "1", "1", false}, {"stale", a, "1", "", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr Tracker
			for i, s := range tc.steps {
				switch s.op {
				case "wrote":
					newRV := s.newRV
					if newRV == "" {
						newRV = s.rv + "'"
					}
					tr.Wrote(s.key, s.rv, newRV)
				case "forget":
					tr.Forget(s.key)
				case "stale":
					if got := tr.Stale(s.key, s.rv); got != s.want {
						t.Fatalf("step %d: Stale(%s, %q) = %v, want %v", i, s.key.Name, s.rv, got, s.want)
					}
				}
			}
		})
	}
}
