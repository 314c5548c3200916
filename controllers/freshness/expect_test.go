package freshness

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestExpectations(t *testing.T) {
	p := types.NamespacedName{Namespace: "ns", Name: "p"}
	q := types.NamespacedName{Namespace: "ns", Name: "q"}
	type step struct {
		op     string // created, unseen, forget, wait
		parent types.NamespacedName
		child  string
		cached []string      // for unseen
		wait   time.Duration // for wait
		want   bool          // for unseen
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"nothing created", []step{{op: "unseen", parent: p}}},
		{"created, not cached", []step{{op: "created", parent: p, child: "a"}, {op: "unseen", parent: p, want: true}}},
		{"created, then cached", []step{
			{op: "created", parent: p, child: "a"},
			{op: "unseen", parent: p, cached: []string{"a"}},
			{op: "unseen", parent: p}, // seen once is enough: it is forgotten
		}},
		{"one of two cached", []step{
			{op: "created", parent: p, child: "a"}, {op: "created", parent: p, child: "b"},
			{op: "unseen", parent: p, cached: []string{"a"}, want: true},
			{op: "unseen", parent: p, cached: []string{"b"}},
		}},
		{"parents are separate", []step{{op: "created", parent: p, child: "a"}, {op: "unseen", parent: q}, {op: "unseen", parent: p, want: true}}},
		{"lapses after the TTL", []step{
			{op: "created", parent: p, child: "a"},
			{op: "wait", wait: 10 * time.Second}, {op: "unseen", parent: p, want: true},
			{op: "wait", wait: 21 * time.Second}, {op: "unseen", parent: p},
		}},
		{"forget", []step{{op: "created", parent: p, child: "a"}, {op: "forget", parent: p}, {op: "unseen", parent: p}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			e := NewExpectations(30*time.Second, func() time.Time { return now })
			for i, s := range tc.steps {
				switch s.op {
				case "created":
					e.Created(s.parent, s.child)
				case "forget":
					e.Forget(s.parent)
				case "wait":
					now = now.Add(s.wait)
				case "unseen":
					cached := map[string]bool{}
					for _, c := range s.cached {
						cached[c] = true
					}
					if got := e.Unseen(s.parent, func(c string) bool { return cached[c] }); got != s.want {
						t.Fatalf("step %d: Unseen(%s) = %v, want %v", i, s.parent.Name, got, s.want)
					}
				}
			}
		})
	}
}

func TestNilExpectationsExpectNothing(t *testing.T) {
	var e *Expectations
	p := types.NamespacedName{Namespace: "ns", Name: "p"}
	e.Created(p, "a")
	if e.Unseen(p, func(string) bool { return false }) {
		t.Error("a nil Expectations reported an unseen child")
	}
	e.Forget(p)
}
