// Package runmetrics holds the Prometheus collector every run kind shares:
// the count of runs not yet finished, read from the informer cache at scrape time.
package runmetrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Running counts the unfinished runs of one kind.
type Running[L client.ObjectList] struct {
	reader  client.Reader
	desc    *prometheus.Desc
	newList func() L
	count   func(L) int
}

// NewRunning returns a collector of a gauge named name; count tells how many
// runs of a freshly listed newList() are unfinished. Register it once.
func NewRunning[L client.ObjectList](r client.Reader, name, help string, newList func() L, count func(L) int) *Running[L] {
	return &Running[L]{reader: r, desc: prometheus.NewDesc(name, help, nil, nil), newList: newList, count: count}
}

// Describe implements prometheus.Collector.
func (c *Running[L]) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *Running[L]) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list := c.newList()
	if err := c.reader.List(ctx, list); err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(c.count(list)))
}
