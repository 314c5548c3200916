package rollout

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func refs(t *testing.T, ss ...string) []Ref {
	t.Helper()
	var out []Ref
	for _, s := range ss {
		r, err := ParseRef(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRefRoundTrip(t *testing.T) {
	for _, s := range []string{"Deployment.apps/web", "Service/web", "Ingress.networking.k8s.io/web"} {
		r, err := ParseRef(s)
		if err != nil || r.String() != s {
			t.Fatalf("ParseRef(%q) = %+v, %v; String %q", s, r, err, r.String())
		}
	}
	if r, _ := ParseRef("Ingress.networking.k8s.io/web"); r.Group != "networking.k8s.io" || r.Kind != "Ingress" {
		t.Fatalf("group/kind: %+v", r)
	}
	for _, bad := range []string{"", "web", "/web", "Service/"} {
		if _, err := ParseRef(bad); err == nil {
			t.Fatalf("ParseRef(%q): want an error", bad)
		}
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name             string
		live, next, want []string
	}{
		{name: "first deploy", next: []string{"Service/web"}},
		{name: "same set", live: []string{"Service/web", "Deployment.apps/web"}, next: []string{"Deployment.apps/web", "Service/web"}},
		{name: "removed objects, sorted", live: []string{"Service/web", "ConfigMap/old", "Deployment.apps/web", "ConfigMap/a-old"},
			next: []string{"Deployment.apps/web", "ConfigMap/new"}, want: []string{"ConfigMap/a-old", "ConfigMap/old", "Service/web"}},
		{name: "same name, other kind", live: []string{"ConfigMap/web"}, next: []string{"Secret/web"}, want: []string{"ConfigMap/web"}},
		{name: "duplicates once", live: []string{"ConfigMap/x", "ConfigMap/x"}, want: []string{"ConfigMap/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Prune(refs(t, tc.live...), refs(t, tc.next...))
			if !reflect.DeepEqual(got, refs(t, tc.want...)) {
				t.Fatalf("Prune = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInventoryRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	inv, err := DecodeInventory("web", nil, nil)
	if err != nil || inv.Live != 0 || inv.Next() != 1 || inv.LiveRevision() != nil {
		t.Fatalf("empty inventory: %+v, %v", inv, err)
	}
	inv.Record(Revision{Number: 1, Commit: "c1", Strategy: "rolling", Time: at, Outcome: Deployed,
		Objects: refs(t, "Deployment.apps/web", "Service/web")}, []byte("kind: Service\n"))
	inv.Record(Revision{Number: 2, Commit: "c2", Strategy: "rolling", Time: at.Add(time.Minute), Outcome: RolledBack,
		Message: "revision 2 of web failed: x; rolled back to 1", Objects: refs(t, "Deployment.apps/web")}, []byte("ignored"))
	inv.Record(Revision{Number: 3, Commit: "c3", Strategy: "blue-green", Time: at.Add(2 * time.Minute), Outcome: Deployed, Color: Blue,
		Objects: refs(t, "Deployment.apps/web-blue"), Kept: refs(t, "Deployment.apps/web-green")}, []byte("kind: Deployment\n"))
	if inv.Live != 3 || inv.Last != 3 || inv.Next() != 4 {
		t.Fatalf("live %d last %d", inv.Live, inv.Last)
	}
	data, bin, err := inv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(data[KeyInventory], `"Deployment.apps/web-blue"`) {
		t.Fatalf("objects are written as Kind.group/name:\n%s", data[KeyInventory])
	}
	back, err := DecodeInventory("web", data, bin)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, inv) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, inv)
	}
	if lr := back.LiveRevision(); lr == nil || lr.Color != Blue || string(back.Manifest) != "kind: Deployment\n" {
		t.Fatalf("live revision %+v manifest %q", lr, back.Manifest)
	}

	for name, d := range map[string]map[string]string{
		"not json":           {KeyInventory: "{"},
		"other app":          {KeyInventory: `{"app":"api"}`},
		"bad object":         {KeyInventory: `{"app":"web","revisions":[{"revision":1,"objects":["nope"]}]}`},
		"live not in record": {KeyInventory: `{"app":"web","live":2,"last":2,"revisions":[{"revision":1,"objects":[]}]}`},
	} {
		if _, err := DecodeInventory("web", d, nil); err == nil || !strings.Contains(err.Error(), "windlass-deploy-web") {
			t.Errorf("%s: want an error naming the ConfigMap, got %v", name, err)
		}
	}
	if _, err := DecodeInventory("web", data, map[string][]byte{KeyManifest: []byte("not gzip")}); err == nil {
		t.Error("a corrupt manifest: want an error")
	}
}

func TestInventoryKeepsHistoryBounded(t *testing.T) {
	inv := &Inventory{App: "web"}
	for i := 1; i <= MaxHistory+5; i++ {
		inv.Record(Revision{Number: i, Outcome: Deployed}, nil)
	}
	if len(inv.Revisions) != MaxHistory || inv.Revisions[0].Number != MaxHistory+5 || inv.LiveRevision() == nil {
		t.Fatalf("history: %d revisions, newest %d", len(inv.Revisions), inv.Revisions[0].Number)
	}
}
