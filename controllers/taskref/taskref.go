// Package taskref finds the Task a TaskRef names: in the run's namespace by
// name; through the cluster resolver in another namespace the controller
// serves from (Tekton's syntax: resolver cluster, params kind, name,
// namespace); or through the bundles resolver in an OCI bundle (params
// bundle, name, kind). The TaskRun and PipelineRun reconcilers share it.
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

// NotFoundError is a referenced Task (or Pipeline) that does not exist
// (yet). Namespace is set when it was looked for outside the run's namespace.
type NotFoundError struct{ Kind, Namespace, Name string }

func (e *NotFoundError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "Task"
	}
	if e.Namespace != "" {
		return fmt.Sprintf("%s %q not found in namespace %q", kind, e.Name, e.Namespace)
	}
	return fmt.Sprintf("%s %q not found", kind, e.Name)
}

// InvalidError is a TaskRef that can never resolve: the user's spec is wrong.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// Target is where a TaskRef points.
type Target struct {
	Namespace, Name string
	// Bundle is the OCI bundle reference (bundles resolver).
	Bundle string
	// Resolved is true when a resolver (not a plain name) found it.
	Resolved bool
	// URL, Revision and Path: the git and http resolvers' file (Git: a repository).
	URL, Revision, Path string
	Git                 bool
}

// Options are what the resolvers may use.
type Options struct {
	// Namespaces the cluster resolver may read besides the run's own.
	Namespaces []string
	// Bundles pulls bundle images; nil disables the bundles resolver.
	Bundles Fetcher
	// Remote fetches files for the git and http resolvers; nil disables them.
	Remote RemoteFetcher
}

// resolverParams are the params each resolver takes.
var resolverParams = map[string][]string{
	"cluster": {"kind", "name", "namespace"}, "bundles": {"bundle", "name", "kind"},
	"git": {"url", "revision", "pathInRepo"}, "http": {"url"},
}

// Parse says where ref points for a run in namespace ns. allowed lists the
// namespaces the cluster resolver may read besides the run's own.
func Parse(ref *windlassv1.TaskRef, ns string, allowed []string) (Target, error) {
	if ref.Kind == windlassv1.ApprovalKind || ref.APIVersion != "" {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("taskRef kind %s: an approval gate runs only as a pipeline task "+
			"(taskRef {apiVersion: %s, kind: %s}, run by the PipelineRun controller); a TaskRun cannot run it", orTask(ref.Kind), windlassv1.GroupVersion, windlassv1.ApprovalKind)}
	}
	if ref.Resolver == "" {
		if ref.Name == "" {
			return Target{}, &InvalidError{Msg: "taskRef: name or resolver is required"}
		}
		return Target{Namespace: ns, Name: ref.Name}, nil
	}
	return parseResolver("taskRef", "task", ref.Resolver, ref.Params, ns, allowed)
}

// ParsePipeline says where a pipelineRef points for a run in namespace ns.
func ParsePipeline(ref *windlassv1.PipelineRef, ns string, allowed []string) (Target, error) {
	if ref.Resolver == "" {
		if ref.Name == "" {
			return Target{}, &InvalidError{Msg: "pipelineRef: name or resolver is required"}
		}
		return Target{Namespace: ns, Name: ref.Name}, nil
	}
	return parseResolver("pipelineRef", "pipeline", ref.Resolver, ref.Params, ns, allowed)
}

// parseResolver reads a resolver's params; field names the reference in
// errors, kind is what it must resolve to (task or pipeline).
func parseResolver(field, kind, resolver string, params []windlassv1.Param, ns string, allowed []string) (Target, error) {
	names, ok := resolverParams[resolver]
	if !ok {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.resolver %q: the resolvers are cluster, bundles, git and http", field, resolver)}
	}
	p := map[string]string{}
	for _, prm := range params {
		if prm.Value.Type != "" && prm.Value.Type != windlassv1.ParamTypeString {
			return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params %s: must be a string", field, prm.Name)}
		}
		if !slices.Contains(names, prm.Name) {
			return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params %s: the %s resolver takes %s", field, prm.Name, resolver, strings.Join(names, ", "))}
		}
		p[prm.Name] = prm.Value.StringVal
	}
	if k := p["kind"]; k != "" && !strings.EqualFold(k, kind) {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params kind %q: only %s can be resolved here", field, k, kind)}
	}
	// What the error messages call the object: Task, Pipeline.
	object := strings.ToUpper(kind[:1]) + kind[1:]
	if resolver == "git" || resolver == "http" {
		t := Target{URL: p["url"], Revision: p["revision"], Path: p["pathInRepo"], Git: resolver == "git", Resolved: true}
		switch {
		case t.URL == "":
			return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params url: the %s resolver needs the file's URL", field, resolver)}
		case t.Git && t.Path == "":
			return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params pathInRepo: the git resolver needs the %s file's path in the repository", field, object)}
		case !strings.HasPrefix(t.URL, "https://") && !strings.HasPrefix(t.URL, "http://"):
			return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params url %q: want an http:// or https:// URL", field, t.URL)}
		}
		return t, nil
	}
	t := Target{Namespace: p["namespace"], Name: p["name"], Resolved: true}
	if t.Name == "" {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params name: the %s resolver needs the %s's name", field, resolver, object)}
	}
	if resolver == "bundles" {
		if t.Bundle = p["bundle"]; t.Bundle == "" {
			return Target{}, &InvalidError{Msg: field + ".params bundle: the bundles resolver needs the bundle's image reference"}
		}
		t.Namespace = ""
		return t, nil
	}
	if t.Namespace == "" {
		t.Namespace = ns
	}
	if t.Namespace != ns && !slices.Contains(allowed, t.Namespace) {
		return Target{}, &InvalidError{Msg: fmt.Sprintf("%s.params namespace %q: the cluster resolver serves %ss only from the run's own namespace and %s",
			field, t.Namespace, object, strings.Join(quoteAll(allowed), ", "))}
	}
	return t, nil
}

func orTask(kind string) string {
	if kind == "" {
		return "Task"
	}
	return kind
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
// (or a BundleNotFoundError) when the Task does not exist and an
// InvalidError for a ref that cannot resolve; other errors are transient.
// The RefSource says where a resolver found it (nil for a plain name).
func Get(ctx context.Context, c client.Reader, ref *windlassv1.TaskRef, ns string, o Options) (*windlassv1.Task, *windlassv1.RefSource, error) {
	t, err := Parse(ref, ns, o.Namespaces)
	if err != nil {
		return nil, nil, err
	}
	if t.Bundle != "" {
		return fromBundle(ctx, o.Bundles, t)
	}
	if t.URL != "" {
		return fromRemote(ctx, o.Remote, t)
	}
	task := &windlassv1.Task{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Name}, task); err != nil {
		if apierrors.IsNotFound(err) {
			nf := &NotFoundError{Name: t.Name}
			if t.Namespace != ns {
				nf.Namespace = t.Namespace
			}
			return nil, nil, nf
		}
		return nil, nil, fmt.Errorf("getting Task %s/%s: %w", t.Namespace, t.Name, err)
	}
	if !t.Resolved {
		return task, nil, nil
	}
	src, err := clusterSource(task)
	return task, src, err
}

func fromBundle(ctx context.Context, f Fetcher, t Target) (*windlassv1.Task, *windlassv1.RefSource, error) {
	b, src, err := pullBundle(ctx, f, t)
	if err != nil {
		return nil, nil, err
	}
	task, err := FromBundle(b, t.Bundle, t.Name)
	if err != nil {
		return nil, nil, err
	}
	return task, src, nil
}

// pullBundle pulls the bundle t names; the source is the bundle pinned by digest.
func pullBundle(ctx context.Context, f Fetcher, t Target) (*Pulled, *windlassv1.RefSource, error) {
	if f == nil {
		return nil, nil, &InvalidError{Msg: "resolver bundles: this controller does not pull bundles"}
	}
	b, err := f.Fetch(ctx, t.Bundle)
	if err != nil {
		return nil, nil, err
	}
	d := b.Digest
	uri := t.Bundle
	if i := strings.Index(uri, "@"); i >= 0 {
		uri = uri[:i]
	}
	return b, &windlassv1.RefSource{URI: uri + "@" + d.String(), Digest: map[string]string{"sha256": d.Hex}}, nil
}

// clusterSource is the provenance of a Task the cluster resolver read: its API
// path with its uid, and the sha256 of its spec as recorded.
func clusterSource(task *windlassv1.Task) (*windlassv1.RefSource, error) {
	return objectSource("tasks", task, task.Spec)
}

func objectSource(resource string, obj client.Object, spec any) (*windlassv1.RefSource, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &windlassv1.RefSource{
		URI:    fmt.Sprintf("/apis/windlass.dev/v1alpha1/namespaces/%s/%s/%s@%s", obj.GetNamespace(), resource, obj.GetName(), obj.GetUID()),
		Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])},
	}, nil
}

// GetPipeline reads the Pipeline ref names for a run in ns, as Get reads a
// Task, with the same errors; the RefSource is nil for a plain name.
func GetPipeline(ctx context.Context, c client.Reader, ref *windlassv1.PipelineRef, ns string, o Options) (*windlassv1.Pipeline, *windlassv1.RefSource, error) {
	t, err := ParsePipeline(ref, ns, o.Namespaces)
	if err != nil {
		return nil, nil, err
	}
	p := &windlassv1.Pipeline{}
	switch {
	case t.Bundle != "":
		b, src, err := pullBundle(ctx, o.Bundles, t)
		if err != nil {
			return nil, nil, err
		}
		return p, src, fromBundleLayer(b, t.Bundle, "Pipeline", t.Name, p)
	case t.URL != "":
		data, src, err := fetchRemote(ctx, o.Remote, t)
		if err != nil {
			return nil, nil, err
		}
		return p, src, decodeRemote(data, src, "Pipeline", p)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Name}, p); err != nil {
		if apierrors.IsNotFound(err) {
			nf := &NotFoundError{Kind: "Pipeline", Name: t.Name}
			if t.Namespace != ns {
				nf.Namespace = t.Namespace
			}
			return nil, nil, nf
		}
		return nil, nil, fmt.Errorf("getting Pipeline %s/%s: %w", t.Namespace, t.Name, err)
	}
	if !t.Resolved {
		return p, nil, nil
	}
	src, err := objectSource("pipelines", p, p.Spec)
	return p, src, err
}

// IsNotFound reports whether err says the referenced Task does not exist (yet).
func IsNotFound(err error) bool {
	var nf *NotFoundError
	var bnf *BundleNotFoundError
	var rnf *RemoteNotFoundError
	return errors.As(err, &nf) || errors.As(err, &bnf) || errors.As(err, &rnf)
}

// IsPermanent reports whether err is the user's spec (a bad ref), as opposed
// to a missing Task (which may yet appear) or a transient failure.
func IsPermanent(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}
