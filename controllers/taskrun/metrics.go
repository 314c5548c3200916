package taskrun

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
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

// RunningCollector reports the number of TaskRuns not yet finished, counted
// from the informer cache at scrape time.
type RunningCollector struct {
	Reader client.Reader
	desc   *prometheus.Desc
}

// NewRunningCollector returns the collector; register it once.
func NewRunningCollector(r client.Reader) *RunningCollector {
	return &RunningCollector{Reader: r, desc: prometheus.NewDesc("windlass_taskruns_running",
		"TaskRuns started and not yet finished.", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *RunningCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *RunningCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list := &windlassv1.TaskRunList{}
	if err := c.Reader.List(ctx, list); err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	n := 0
	for i := range list.Items {
		if !isDone(&list.Items[i]) {
			n++
		}
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

func condition(tr *windlassv1.TaskRun) *metav1.Condition {
	return meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
}
