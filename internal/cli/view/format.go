// Package view renders what the windlass CLI prints: tables of runs and
// definitions, a run described on one screen, objects as YAML, JSON or
// names. It is pure: objects and the time "now" go in, text comes out.
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// Formats -o accepts.
const (
	FormatYAML = "yaml"
	FormatJSON = "json"
	FormatName = "name"
)

// CheckFormat validates an -o value ("" is the command's own output).
func CheckFormat(f string, allowed ...string) error {
	if f == "" {
		return nil
	}
	for _, a := range allowed {
		if f == a {
			return nil
		}
	}
	return fmt.Errorf("-o %q: want one of %s", f, strings.Join(allowed, ", "))
}

// Object is what PrintObjects prints: an API object with its kind.
type Object interface {
	runtime.Object
	metav1.Object
}

// PrintObjects writes objs as YAML or JSON (one object alone, several as a
// v1 List, as kubectl does) or as KIND.GROUP/NAME lines. gvk fills in the
// apiVersion and kind the typed client leaves empty.
func PrintObjects(w io.Writer, format string, gvk schema.GroupVersionKind, objs []Object) error {
	for _, o := range objs {
		o.GetObjectKind().SetGroupVersionKind(gvk)
	}
	switch format {
	case FormatName:
		for _, o := range objs {
			fmt.Fprintf(w, "%s.%s/%s\n", strings.ToLower(gvk.Kind), gvk.Group, o.GetName())
		}
		return nil
	case FormatJSON, FormatYAML:
		var v any = map[string]any{"apiVersion": "v1", "kind": "List", "items": objs}
		if len(objs) == 1 {
			v = objs[0]
		}
		if format == FormatYAML {
			b, err := yaml.Marshal(v)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "    ")
		return enc.Encode(v)
	}
	return fmt.Errorf("unknown output format %q", format)
}

// Succeeded is the Succeeded condition of a run's conditions.
func Succeeded(conds []metav1.Condition) *metav1.Condition {
	return meta.FindStatusCondition(conds, windlassv1.ConditionSucceeded)
}

// Status is a run's state in one word: Succeeded, Failed, Running or
// Pending (not started yet).
func Status(conds []metav1.Condition) string {
	c := Succeeded(conds)
	switch {
	case c == nil:
		return "Pending"
	case c.Status == metav1.ConditionTrue:
		return "Succeeded"
	case c.Status == metav1.ConditionFalse:
		return "Failed"
	case c.Reason == windlassv1.ReasonPending || c.Reason == windlassv1.ReasonPipelineRunPending:
		return "Pending"
	}
	return "Running"
}

// Reason is the Succeeded condition's reason, "-" without one.
func Reason(conds []metav1.Condition) string {
	if c := Succeeded(conds); c != nil && c.Reason != "" {
		return c.Reason
	}
	return "-"
}

// Age is how long ago t was, as kubectl prints it ("-" for no time).
func Age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return Human(now.Sub(t.Time))
}

// Duration is how long a run took, or has been running ("-" before it started).
func Duration(start, end *metav1.Time, now time.Time) string {
	if start == nil || start.IsZero() {
		return "-"
	}
	stop := now
	if end != nil && !end.IsZero() {
		stop = end.Time
	}
	return Human(stop.Sub(start.Time))
}

// Human writes d briefly: <1s, 42s, 3m5s, 2h10m, 3d4h (the API keeps
// times to the second, so nothing finer is shown).
func Human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		m, s := int(d.Minutes()), int(d.Seconds())%60
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s)
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// ParamText shows a param value on one line.
func ParamText(v windlassv1.ParamValue) string {
	if v.Type == windlassv1.ParamTypeString || v.Type == "" {
		return v.StringVal
	}
	b, _ := json.Marshal(v)
	return string(b)
}
