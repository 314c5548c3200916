// Package freshness keeps a reconciler from acting on its own stale cache.
//
// Right after a controller writes an object, the informer cache still holds
// the version it wrote over until the watch event for the write arrives. An
// event for a related object (a pod, a child run) can trigger a reconcile in
// that window: it would recompute from the old version and its optimistically
// locked write would fail with a conflict, costing the API server a request
// for nothing. The Tracker remembers, per object, the resourceVersion a write
// replaced, so such a reconcile can be skipped: the write's own watch event
// reconciles the object again moments later. Expectations do the same for
// children a controller created and its cache has not shown yet.
package freshness

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// Tracker is safe for concurrent use; the zero value is ready.
type Tracker struct {
	replaced sync.Map // types.NamespacedName → resourceVersion a write of ours replaced
}

// Wrote records that a write turned version oldRV of the object key into
// newRV. A write the API server found to change nothing keeps the version and
// sends no event, so it is not recorded: the cache is not stale then.
func (t *Tracker) Wrote(key types.NamespacedName, oldRV, newRV string) {
	if oldRV != "" && oldRV != newRV {
		t.replaced.Store(key, oldRV)
	}
}

// Stale reports whether rv, the version read from the cache, is one a write of
// ours already replaced. Once the cache shows any other version, the record is
// dropped: resourceVersions are opaque, so only equality is meaningful.
func (t *Tracker) Stale(key types.NamespacedName, rv string) bool {
	old, ok := t.replaced.Load(key)
	if !ok {
		return false
	}
	if old.(string) == rv {
		return true
	}
	t.replaced.CompareAndDelete(key, old)
	return false
}

// Forget drops what is known of key (the object is gone).
func (t *Tracker) Forget(key types.NamespacedName) { t.replaced.Delete(key) }
