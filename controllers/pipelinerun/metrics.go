package pipelinerun

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/runmetrics"
)

var pipelineRunDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "windlass_pipelinerun_duration_seconds",
	Help:    "Time from a PipelineRun's start to its completion, by final status and reason.",
	Buckets: []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200},
}, []string{"status", "reason"})

func init() {
	metrics.Registry.MustRegister(pipelineRunDuration)
}

// NewRunningCollector reports the PipelineRuns not yet finished, counted from
// the informer cache at scrape time. Register it once.
func NewRunningCollector(r client.Reader) prometheus.Collector {
	return runmetrics.NewRunning(r, "windlass_pipelineruns_running", "PipelineRuns started (or pending) and not yet finished.",
		func() *windlassv1.PipelineRunList { return &windlassv1.PipelineRunList{} },
		func(l *windlassv1.PipelineRunList) int {
			n := 0
			for i := range l.Items {
				if !isDone(&l.Items[i]) {
					n++
				}
			}
			return n
		})
}
