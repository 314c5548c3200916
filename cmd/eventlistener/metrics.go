package main

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	eventsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "windlass_eventlistener_events_total",
		Help: "Events received, by HTTP status answered.",
	}, []string{"code"})
	triggerOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "windlass_eventlistener_trigger_outcomes_total",
		Help: "What each trigger did with an event: created, duplicate, filtered, rejected, invalid, conflict, forbidden, error.",
	}, []string{"trigger", "outcome"})
	eventDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "windlass_eventlistener_event_duration_seconds",
		Help:    "Time from a request's arrival to its answer, by HTTP status.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"code"})
)

func init() { metrics.Registry.MustRegister(eventsTotal, triggerOutcomes, eventDuration) }

func observe(code int, ans *Answer, d time.Duration) {
	c := strconv.Itoa(code)
	eventsTotal.WithLabelValues(c).Inc()
	eventDuration.WithLabelValues(c).Observe(d.Seconds())
	for _, t := range ans.Triggers {
		triggerOutcomes.WithLabelValues(t.Name, string(t.Outcome)).Inc()
	}
}
