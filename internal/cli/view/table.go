package view

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Table is rows under a header.
type Table struct {
	Header []string
	Rows   [][]string
}

// Write aligns the table's columns.
func (t Table) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// newestFirst sorts items in place by creation time, newest first, then by
// name, and points at each.
func newestFirst[T any](items []T, created func(*T) time.Time, name func(*T) string) []*T {
	sort.SliceStable(items, func(i, j int) bool {
		ci, cj := created(&items[i]), created(&items[j])
		if !ci.Equal(cj) {
			return ci.After(cj)
		}
		return name(&items[i]) < name(&items[j])
	})
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// PipelineRuns is the table of `windlass list pipelineruns`, newest first
// (items are sorted so).
func PipelineRuns(items []windlassv1.PipelineRun, now time.Time) Table {
	t := Table{Header: []string{"NAME", "PIPELINE", "AGE", "DURATION", "STATUS", "REASON"}}
	for _, pr := range newestFirst(items, func(p *windlassv1.PipelineRun) time.Time { return p.CreationTimestamp.Time }, func(p *windlassv1.PipelineRun) string { return p.Name }) {
		pipeline := "(inline)"
		if pr.Spec.PipelineRef != nil {
			pipeline = pr.Spec.PipelineRef.Name
		}
		t.Rows = append(t.Rows, []string{pr.Name, pipeline, Age(pr.CreationTimestamp, now),
			Duration(pr.Status.StartTime, pr.Status.CompletionTime, now), Status(pr.Status.Conditions), Reason(pr.Status.Conditions)})
	}
	return t
}

// TaskRuns is the table of `windlass list taskruns`, newest first (items
// are sorted so).
func TaskRuns(items []windlassv1.TaskRun, now time.Time) Table {
	t := Table{Header: []string{"NAME", "TASK", "AGE", "DURATION", "STATUS", "REASON"}}
	for _, tr := range newestFirst(items, func(p *windlassv1.TaskRun) time.Time { return p.CreationTimestamp.Time }, func(p *windlassv1.TaskRun) string { return p.Name }) {
		t.Rows = append(t.Rows, []string{tr.Name, taskOf(tr), Age(tr.CreationTimestamp, now),
			Duration(tr.Status.StartTime, tr.Status.CompletionTime, now), Status(tr.Status.Conditions), Reason(tr.Status.Conditions)})
	}
	return t
}

func taskOf(tr *windlassv1.TaskRun) string {
	switch {
	case tr.Spec.TaskRef != nil && tr.Spec.TaskRef.Name != "":
		return tr.Spec.TaskRef.Name
	case tr.Spec.TaskRef != nil && tr.Spec.TaskRef.Resolver != "":
		for _, p := range tr.Spec.TaskRef.Params {
			if p.Name == "name" {
				return tr.Spec.TaskRef.Resolver + ":" + p.Value.StringVal
			}
		}
		return tr.Spec.TaskRef.Resolver
	}
	return "(inline)"
}

// Pipelines is the table of `windlass list pipelines`, by name.
func Pipelines(items []windlassv1.Pipeline, now time.Time) Table {
	t := Table{Header: []string{"NAME", "TASKS", "PARAMS", "AGE"}}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	for _, p := range items {
		t.Rows = append(t.Rows, []string{p.Name, fmt.Sprint(len(p.Spec.Tasks) + len(p.Spec.Finally)), paramNames(p.Spec.Params), Age(p.CreationTimestamp, now)})
	}
	return t
}

// Tasks is the table of `windlass list tasks`, by name.
func Tasks(items []windlassv1.Task, now time.Time) Table {
	t := Table{Header: []string{"NAME", "STEPS", "PARAMS", "AGE"}}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	for _, p := range items {
		t.Rows = append(t.Rows, []string{p.Name, fmt.Sprint(len(p.Spec.Steps)), paramNames(p.Spec.Params), Age(p.CreationTimestamp, now)})
	}
	return t
}

// EventListeners is the table of `windlass list eventlisteners`, by name.
func EventListeners(items []triggersv1.EventListener, now time.Time) Table {
	t := Table{Header: []string{"NAME", "ADDRESS", "READY", "REASON", "AGE"}}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	for _, el := range items {
		addr, ready, reason := "-", "Unknown", "-"
		if el.Status.Address != nil && el.Status.Address.URL != "" {
			addr = el.Status.Address.URL
		}
		for _, c := range el.Status.Conditions {
			if c.Type == "Ready" {
				ready, reason = string(c.Status), c.Reason
			}
		}
		t.Rows = append(t.Rows, []string{el.Name, addr, ready, reason, Age(el.CreationTimestamp, now)})
	}
	return t
}

func paramNames(ps []windlassv1.ParamSpec) string {
	if len(ps) == 0 {
		return "-"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}
