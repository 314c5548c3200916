// Package taskref finds the Task a TaskRef names: in the run's namespace by
// name, or through the cluster resolver in another namespace the controller
// serves from (Tekton's syntax: resolver cluster, params kind, name,
// namespace). The TaskRun and PipelineRun reconcilers share it.
package taskref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// NotFoundError is a referenced Task that does not exist (yet). Namespace
// is set when the Task was looked for outside the run's namespace.
type NotFoundError struct{ Namespace, Name string }

func (e *NotFoundError) Error() string {
	if e.Namespace != "" {
		return fmt.Sprintf("Task %q not found in namespace %q", e.Name, e.Namespace)
	}
	return fmt.Sprintf("Task %q not found", e.Name)
}

// InvalidError is a TaskRef that can never resolve: the user's spec is wrong.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Target is where a TaskRef points.
type Target struct {
	Namespace, Name string
	// Resolved is true when a resolver (not a plain name) found it.
	Resolved bool
}

// Parse says where ref points for a run in namespace ns. allowed lists the
// namespaces the cluster resolver may read besides the run's own.
func Parse(ref *windlassv1.TaskRef, ns string, allowed []string) (Target, error) {
	if ref.Resolver == "" {
		if ref.Name == "" {
			return Target{}, &InvalidError{Msg: "taskRef: name or resolver is required"}
		}
		return Target{Namespace: ns, Name: ref.Name}, nil
	}
	if ref.Resolver != "cluster" {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("taskRef.resolver %q: only the cluster resolver is supported", ref.Resolver)}
	}
	p := map[string]string{}
	for _, prm := range ref.Params {
		if prm.Value.Type != "" && prm.Value.Type != windlassv1.ParamTypeString {
			return Target{}, &InvalidError{Msg: fmt.Sprintf("taskRef.params %s: must be a string", prm.Name)}
		}
		switch prm.Name {
		case "kind", "name", "namespace":
			p[prm.Name] = prm.Value.StringVal
		default:
			return Target{}, &InvalidError{Msg: fmt.Sprintf("taskRef.params %s: the cluster resolver takes kind, name and namespace", prm.Name)}
		}
	}
	if k := p["kind"]; k != "" && !strings.EqualFold(k, "task") {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("taskRef.params kind %q: only task can be resolved here", k)}
	}
	t := Target{Namespace: p["namespace"], Name: p["name"], Resolved: true}
	if t.Name == "" {
		return Target{}, &InvalidError{Msg: "taskRef.params name: the cluster resolver needs the Task's name"}
	}
	if t.Namespace == "" {
		t.Namespace = ns
	}
	if t.Namespace != ns && !slices.Contains(allowed, t.Namespace) {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("taskRef.params namespace %q: the cluster resolver serves Tasks only from the run's own namespace and %s",
			t.Namespace, strings.Join(quoteAll(allowed), ", "))}
	}
	return t, nil
}

func quoteAll(s []string) []string {
	if len(s) == 0 {
		return []string{"no other (--cluster-resolver-namespaces is empty)"}
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// Get reads the Task ref names for a run in ns. It returns a NotFoundError
// when the Task does not exist and an InvalidError for a ref that cannot
// resolve; other errors are transient.
func Get(ctx context.Context, c client.Reader, ref *windlassv1.TaskRef, ns string, allowed []string) (*windlassv1.Task, Target, error) {
	t, err := Parse(ref, ns, allowed)
	if err != nil {
		return nil, t, err
	}
	task := &windlassv1.Task{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Name}, task); err != nil {
		if apierrors.IsNotFound(err) {
			nf := &NotFoundError{Name: t.Name}
			if t.Namespace != ns {
				nf.Namespace = t.Namespace
			}
			return nil, t, nf
		}
		return nil, t, fmt.Errorf("getting Task %s/%s: %w", t.Namespace, t.Name, err)
	}
	return task, t, nil
}

// Source is the provenance of a resolved Task: its API path with its uid,
// and the sha256 of its spec as recorded.
func Source(task *windlassv1.Task) (*windlassv1.RefSource, error) {
	data, err := json.Marshal(task.Spec)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &windlassv1.RefSource{
		URI:    fmt.Sprintf("/apis/windlass.dev/v1alpha1/namespaces/%s/tasks/%s@%s", task.Namespace, task.Name, task.UID),
		Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])},
	}, nil
}

// IsPermanent reports whether err is the user's spec (a bad ref), as opposed
// to a missing Task (which may yet appear) or a transient failure.
func IsPermanent(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}
