package taskrun

import (
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/runmetrics"
	"github.com/windlass-dev/windlass/controllers/runstatus"
)

var (
	taskRunDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "windlass_taskrun_duration_seconds",
		Help:    "Time from a TaskRun's start to its completion, by final status and reason.",
		Buckets: []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
	}, []string{"status", "reason"})
	podCreationSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "windlass_taskrun_pod_creation_seconds",
		Help:    "Latency of the API call that creates a TaskRun's pod.",
		Buckets: prometheus.ExponentialBuckets(0.002, 2, 12),
	})
)

func init() {
	metrics.Registry.MustRegister(taskRunDuration, podCreationSeconds)
}

// NewRunningCollector reports the TaskRuns not yet finished, counted from
// the informer cache at scrape time. Register it once.
func NewRunningCollector(r client.Reader) prometheus.Collector {
	return runmetrics.NewRunning(r, "windlass_taskruns_running", "TaskRuns started and not yet finished.",
		func() *windlassv1.TaskRunList { return &windlassv1.TaskRunList{} },
		func(l *windlassv1.TaskRunList) int {
			n := 0
			for i := range l.Items {
				if !isDone(&l.Items[i]) {
					n++
				}
			}
			return n
		})
}

func condition(tr *windlassv1.TaskRun) *metav1.Condition {
	return runstatus.Condition(tr.Status.Conditions)
}

func state(tr *windlassv1.TaskRun) runstatus.State {
	return runstatus.State{Conditions: tr.Status.Conditions, StartTime: tr.Status.StartTime, Completion: tr.Status.CompletionTime}
}

func (r *Reconciler) transitions() runstatus.Recorder {
	return runstatus.Recorder{Events: r.Recorder, Duration: taskRunDuration}
}
