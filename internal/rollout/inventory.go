package rollout

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Ref names an object of the app inside its namespace.
type Ref struct {
	Group, Kind, Name string
}

// RefOf returns the Ref of an object.
func RefOf(u *unstructured.Unstructured) Ref {
	gk := u.GroupVersionKind().GroupKind()
	return Ref{Group: gk.Group, Kind: gk.Kind, Name: u.GetName()}
}

// String is Kind.group/name (Kind/name in the core group), as kubectl writes it.
func (r Ref) String() string {
	if r.Group == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "." + r.Group + "/" + r.Name
}

// ParseRef reads what Ref.String wrote.
func ParseRef(s string) (Ref, error) {
	kg, name, ok := strings.Cut(s, "/")
	if !ok || kg == "" || name == "" {
		return Ref{}, fmt.Errorf("object %q: want Kind[.group]/name", s)
	}
	kind, group, _ := strings.Cut(kg, ".")
	return Ref{Group: group, Kind: kind, Name: name}, nil
}

// Prune returns what the live revision had and the next one lacks, sorted:
// the objects to delete once the next revision is current.
func Prune(live, next []Ref) []Ref {
	keep := map[Ref]bool{}
	for _, r := range next {
		keep[r] = true
	}
	var out []Ref
	for _, r := range live {
		if !keep[r] && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Ref) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// Outcomes of a revision.
const (
	Deployed   = "deployed"
	RolledBack = "rolled-back"
)

// Revision is one deploy of the app as the inventory remembers it.
type Revision struct {
	Number   int       `json:"revision"`
	Commit   string    `json:"commit,omitempty"`
	Strategy string    `json:"strategy"`
	Time     time.Time `json:"time"`
	Outcome  string    `json:"outcome"`
	Message  string    `json:"message,omitempty"`
	// Objects are what this revision applied; Kept are objects it left in
	// place on purpose (blue-green's previous color) and must not be pruned.
	Objects []Ref  `json:"-"`
	Kept    []Ref  `json:"-"`
	Color   string `json:"color,omitempty"`
}

type revisionJSON struct {
	Revision
	Objects []string `json:"objects"`
	Kept    []string `json:"kept,omitempty"`
}

// Inventory is the app's record in the ConfigMap windlass-deploy-APP: its
// revisions (newest first) and the manifest of the live one, which a failed
// deploy applies again.
type Inventory struct {
	App       string
	Live      int // the revision that is deployed; 0 if none
	Last      int // the highest revision number given out
	Revisions []Revision
	Manifest  []byte // the live revision's objects, YAML
}

// MaxHistory is how many revisions the inventory remembers.
const MaxHistory = 10

// Inventory ConfigMap keys.
const (
	KeyInventory = "inventory.json"
	KeyManifest  = "live.yaml.gz"
)

// InventoryName is the ConfigMap's name for an app.
func InventoryName(app string) string { return "windlass-deploy-" + app }

// LiveRevision returns the live revision, or nil.
func (inv *Inventory) LiveRevision() *Revision {
	for i := range inv.Revisions {
		if inv.Revisions[i].Number == inv.Live && inv.Live != 0 {
			return &inv.Revisions[i]
		}
	}
	return nil
}

// Next returns the number of the next revision.
func (inv *Inventory) Next() int { return inv.Last + 1 }

// Record adds a revision; a deployed one becomes live with its manifest.
func (inv *Inventory) Record(r Revision, manifest []byte) {
	inv.Revisions = append([]Revision{r}, inv.Revisions...)
	if len(inv.Revisions) > MaxHistory {
		inv.Revisions = inv.Revisions[:MaxHistory]
	}
	if r.Number > inv.Last {
		inv.Last = r.Number
	}
	if r.Outcome == Deployed {
		inv.Live, inv.Manifest = r.Number, manifest
	}
}

type inventoryJSON struct {
	App       string         `json:"app"`
	Live      int            `json:"live"`
	Last      int            `json:"last"`
	Revisions []revisionJSON `json:"revisions"`
}

// Encode returns the ConfigMap's data and binaryData.
func (inv *Inventory) Encode() (map[string]string, map[string][]byte, error) {
	j := inventoryJSON{App: inv.App, Live: inv.Live, Last: inv.Last}
	for _, r := range inv.Revisions {
		rj := revisionJSON{Revision: r, Objects: []string{}}
		for _, o := range r.Objects {
			rj.Objects = append(rj.Objects, o.String())
		}
		for _, o := range r.Kept {
			rj.Kept = append(rj.Kept, o.String())
		}
		j.Revisions = append(j.Revisions, rj)
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	if _, err := zw.Write(inv.Manifest); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return map[string]string{KeyInventory: string(data)}, map[string][]byte{KeyManifest: zipped.Bytes()}, nil
}

// DecodeInventory reads what Encode wrote. No data at all is an empty
// inventory (the app's first deploy).
func DecodeInventory(app string, data map[string]string, binary map[string][]byte) (*Inventory, error) {
	inv := &Inventory{App: app}
	raw, ok := data[KeyInventory]
	if !ok {
		return inv, nil
	}
	var j inventoryJSON
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return nil, fmt.Errorf("inventory %s: %s: %w", InventoryName(app), KeyInventory, err)
	}
	if j.App != "" && j.App != app {
		return nil, fmt.Errorf("inventory %s belongs to app %q, not %q", InventoryName(app), j.App, app)
	}
	inv.Live, inv.Last = j.Live, j.Last
	for _, rj := range j.Revisions {
		r := rj.Revision
		for _, s := range rj.Objects {
			ref, err := ParseRef(s)
			if err != nil {
				return nil, fmt.Errorf("inventory %s: revision %d: %w", InventoryName(app), r.Number, err)
			}
			r.Objects = append(r.Objects, ref)
		}
		for _, s := range rj.Kept {
			ref, err := ParseRef(s)
			if err != nil {
				return nil, fmt.Errorf("inventory %s: revision %d: %w", InventoryName(app), r.Number, err)
			}
			r.Kept = append(r.Kept, ref)
		}
		inv.Revisions = append(inv.Revisions, r)
	}
	if z := binary[KeyManifest]; len(z) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return nil, fmt.Errorf("inventory %s: %s: %w", InventoryName(app), KeyManifest, err)
		}
		if inv.Manifest, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("inventory %s: %s: %w", InventoryName(app), KeyManifest, err)
		}
	}
	if inv.Live != 0 && inv.LiveRevision() == nil {
		return nil, fmt.Errorf("inventory %s: live revision %d is not in its history", InventoryName(app), inv.Live)
	}
	return inv, nil
}
