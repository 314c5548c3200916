// Package corpus runs the bad-input corpus (testdata/*.yaml) against a real
// API server with the controllers: each malformed Task, TaskRun, Pipeline
// or PipelineRun is either refused by the API server with a message naming
// the field, or ended by the controller, within seconds, with a reason and
// a message naming the field. Panic recovery is off: a panicking reconcile
// fails the suite.
package corpus

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/test/util"
)

var k8s client.Client

// Short waits, so every case ends within seconds: a missing Task or
// Pipeline, a service account or registry that never comes.
const (
	notFoundTimeout  = 2 * time.Second
	transientTimeout = 3 * time.Second
	maxMatrix        = 8
)

func TestMain(m *testing.M) {
	util.RunSuite(m, func(opts *manager.Options) {
		// Short waits, so every case ends within seconds.
		opts.TaskNotFoundTimeout, opts.TransientTimeout, opts.MaxMatrixCombinations = notFoundTimeout, transientTimeout, maxMatrix
	}, func(s util.Suite) {
		k8s = s.Client
	})
}
