package freshness

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Expectations remember the children a controller created that its cache has
// not shown yet. Until the cache shows them, a reconcile of the parent would
// think them missing and create them again (an AlreadyExists round trip for the
// API server); the child's own create event reconciles the parent once it is
// cached. An expectation lapses after TTL, so a child deleted before the cache
// ever saw it cannot hold its parent back for long. Make one with
// NewExpectations; a nil *Expectations expects nothing.
type Expectations struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	pending map[types.NamespacedName]map[string]time.Time // parent → child name → when created
}

// ExpectationTTL is how long a created child may stay out of the cache before
// a reconcile stops waiting for it: far longer than a watch event takes.
const ExpectationTTL = 30 * time.Second

// NewExpectations returns Expectations that lapse after ttl; now is the clock.
func NewExpectations(ttl time.Duration, now func() time.Time) *Expectations {
	return &Expectations{ttl: ttl, now: now, pending: map[types.NamespacedName]map[string]time.Time{}}
}

// Created records that parent created the child named child.
func (e *Expectations) Created(parent types.NamespacedName, child string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.pending[parent]
	if m == nil {
		m = map[string]time.Time{}
		e.pending[parent] = m
	}
	m[child] = e.now()
}

// Unseen reports whether a child parent created is neither in the cache yet
// (cached reports that) nor lapsed. Children the cache shows are forgotten.
func (e *Expectations) Unseen(parent types.NamespacedName, cached func(child string) bool) bool {
	if e == nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.pending[parent]
	now := e.now()
	unseen := false
	for child, at := range m {
		switch {
		case cached(child), now.Sub(at) > e.ttl:
			delete(m, child)
		default:
			unseen = true
		}
	}
	if len(m) == 0 {
		delete(e.pending, parent)
	}
	return unseen
}

// Forget drops what is expected of parent (it is gone or finished).
func (e *Expectations) Forget(parent types.NamespacedName) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pending, parent)
}
