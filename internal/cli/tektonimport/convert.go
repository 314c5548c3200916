// Package tektonimport converts Tekton Tasks, Pipelines, TaskRuns and
// PipelineRuns (tekton.dev/v1 and v1beta1), and StepActions (tekton.dev/v1beta1
// and v1alpha1), into Windlass objects with
// Tekton's own code: its defaulting and validation judge the input, its
// conversion turns v1beta1 into v1. Whether Windlass supports the result is
// decided by Windlass's lint (the CRD schema, strict decoding into the API
// types, the controller's checks), so every gap is reported per field.
//
// Only the CLI imports this package: Tekton (and knative) stay out of the
// controller and the other binaries.
package tektonimport

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	tektonv1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonv1alpha1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1alpha1"
	tektonv1beta1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/lint"
)

// Severity of a finding.
const (
	// Invalid: Tekton itself refuses the object.
	Invalid = "invalid"
	// Unsupported: valid Tekton that Windlass cannot run as is.
	Unsupported = "unsupported"
	// Warning: converted, with something dropped or rewritten.
	Warning = "warning"
)

// Finding is one thing to know about an imported object.
type Finding struct {
	Severity string
	Field    string // a field path of the converted object, or empty
	Message  string
}

// Result is one imported document.
type Result struct {
	File       string
	Line       int    // where the document starts in File
	Kind, Name string // Name is the generateName (with a trailing -) when there is no name
	// YAML is the Windlass object; nil when the document could not be converted.
	YAML     []byte
	Findings []Finding
}

// Clean reports whether the object imports without an invalid or unsupported finding.
func (r *Result) Clean() bool {
	return r.YAML != nil && !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity != Warning })
}

var kinds = map[string]bool{"Task": true, "Pipeline": true, "TaskRun": true, "PipelineRun": true}

// supported reports whether the kind and version are imported: the four
// kinds of v1 and v1beta1; StepActions of v1beta1 (their newest version) and v1alpha1.
func supported(gvk schema.GroupVersionKind) bool {
	if gvk.Kind == "StepAction" {
		return gvk.Version == "v1beta1" || gvk.Version == "v1alpha1"
	}
	return kinds[gvk.Kind] && (gvk.Version == "v1" || gvk.Version == "v1beta1")
}

// Objects imports the Tekton objects among objs (as lint.Read reads them);
// objects of other APIs are skipped. They are checked together, so that a
// run is checked against the Task or Pipeline it names when it is among them.
func Objects(ctx context.Context, objs []lint.Object) []Result {
	ctx = tektonContext(ctx)
	var results []Result
	var converted []lint.Object
	var index []int // results' index of each of converted
	for _, o := range objs {
		if o.GVK.Group != "tekton.dev" {
			continue
		}
		r := Result{File: o.File, Line: o.Line, Kind: o.GVK.Kind, Name: o.Name}
		if r.Name == "" {
			if md, ok := o.Obj["metadata"].(map[string]any); ok {
				r.Name, _ = md["generateName"].(string)
			}
		}
		if !supported(o.GVK) {
			r.Findings = []Finding{{Severity: Unsupported, Field: "kind",
				Message: fmt.Sprintf("%s %s: Windlass has no such kind (imported: Task, Pipeline, TaskRun, PipelineRun of tekton.dev/v1 and v1beta1; StepAction of v1beta1 and v1alpha1)", o.GVK.GroupVersion(), o.GVK.Kind)}}
			results = append(results, r)
			continue
		}
		out, findings, err := convert(ctx, o)
		r.Findings = findings
		if err != nil {
			r.Findings = append(r.Findings, Finding{Severity: Invalid, Message: err.Error()})
			results = append(results, r)
			continue
		}
		r.YAML = out
		w, probs := lint.Read(o.File, out)
		for _, p := range probs {
			r.Findings = append(r.Findings, Finding{Severity: Unsupported, Message: p.Message})
		}
		results = append(results, r)
		if len(w) == 1 {
			converted = append(converted, w[0])
			index = append(index, len(results)-1)
		}
	}
	for _, p := range lint.Objects(ctx, converted) {
		if p.Object >= 0 {
			r := &results[index[p.Object]]
			r.Findings = append(r.Findings, Finding{Severity: Unsupported, Field: p.Field, Message: p.Message})
		}
	}
	return results
}

// tektonContext enables every Tekton feature (alpha included), so that the
// input is judged by what Tekton can run, and Windlass's support separately.
func tektonContext(ctx context.Context) context.Context {
	ff, _ := config.NewFeatureFlagsFromMap(map[string]string{
		"enable-api-fields": "alpha", "enable-param-enum": "true", "enable-cel-in-whenexpression": "true",
		"enable-artifacts": "true", "enable-step-actions": "true", "enable-concise-resolver-syntax": "true",
	})
	d, _ := config.NewDefaultsFromMap(map[string]string{})
	return apis.WithinCreate(config.ToContext(ctx, &config.Config{FeatureFlags: ff, Defaults: d}))
}

// tektonObject is what the four kinds have in common, in both versions.
type tektonObject interface {
	apis.Defaultable
	apis.Validatable
	metav1.Object
	runtime.Object
}

// convert validates one Tekton object and returns it as Windlass YAML.
func convert(ctx context.Context, o lint.Object) ([]byte, []Finding, error) {
	gvk := o.GVK
	raw, err := json.Marshal(o.Obj)
	if err != nil {
		return nil, nil, err
	}
	in, v1 := newObjects(gvk)
	if err := json.Unmarshal(raw, in); err != nil {
		return nil, nil, fmt.Errorf("decoding: %w", err)
	}
	// Tekton's webhook defaults, then validates; Validate may change what it
	// checks, so a copy is judged and the user's object converted as written.
	judged := in.DeepCopyObject().(tektonObject)
	if judged.GetName() == "" && judged.GetGenerateName() != "" {
		judged.SetName(judged.GetGenerateName() + "import")
	}
	judged.SetDefaults(ctx)
	if ferr := judged.Validate(ctx); ferr != nil {
		if e := ferr.Filter(apis.ErrorLevel); e != nil {
			return nil, nil, fmt.Errorf("Tekton's validation: %s", strings.ReplaceAll(e.Error(), "\n", "; ")) //nolint:staticcheck // it names Tekton, a proper noun
		}
	}
	// Converted to v1 (a StepAction to v1beta1, its newest version).
	if gvk.Version == "v1alpha1" || gvk.Version == "v1beta1" && gvk.Kind != "StepAction" {
		if err := in.(apis.Convertible).ConvertTo(ctx, v1.(apis.Convertible)); err != nil {
			return nil, nil, fmt.Errorf("Tekton's conversion to v1: %w", err) //nolint:staticcheck // it names Tekton, a proper noun
		}
	} else {
		v1 = in
	}
	var findings []Finding
	meta := v1.(metav1.Object)
	annotations, labels := meta.GetAnnotations(), meta.GetLabels()
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		if strings.HasPrefix(k, "tekton.dev/v1beta1") {
			findings = append(findings, Finding{Severity: Warning, Field: "metadata.annotations",
				Message: fmt.Sprintf("dropped %s, where Tekton's conversion keeps v1beta1 fields v1 has no place for: %s", k, annotations[k])})
			delete(annotations, k)
		}
	}
	meta.SetAnnotations(rewriteKeys(annotations, "annotations", &findings))
	meta.SetLabels(rewriteKeys(labels, "labels", &findings))

	raw, err = json.Marshal(v1)
	if err != nil {
		return nil, nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, nil, err
	}
	pruneZero(obj)
	obj["apiVersion"] = windlassv1.GroupVersion.String()
	obj["kind"] = gvk.Kind
	delete(obj, "status")
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
		if len(md) == 0 {
			delete(obj, "metadata")
		}
	}
	out, err := yaml.Marshal(obj)
	return out, findings, err
}

// rewriteKeys renames tekton.dev/ keys to windlass.dev/ (a warning each).
func rewriteKeys(m map[string]string, what string, findings *[]Finding) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		nk := k
		if rest, ok := strings.CutPrefix(k, "tekton.dev/"); ok {
			nk = "windlass.dev/" + rest
			*findings = append(*findings, Finding{Severity: Warning, Field: "metadata." + what,
				Message: fmt.Sprintf("%s renamed %s", k, nk)})
		}
		out[nk] = m[k]
	}
	return out
}

func newObjects(gvk schema.GroupVersionKind) (in tektonObject, v1 tektonObject) {
	beta := gvk.Version == "v1beta1"
	switch gvk.Kind {
	case "Task":
		in, v1 = &tektonv1.Task{}, &tektonv1.Task{}
		if beta {
			in = &tektonv1beta1.Task{} //nolint:staticcheck // v1beta1 is read to be converted to v1
		}
	case "Pipeline":
		in, v1 = &tektonv1.Pipeline{}, &tektonv1.Pipeline{}
		if beta {
			in = &tektonv1beta1.Pipeline{} //nolint:staticcheck // v1beta1 is read to be converted to v1
		}
	case "StepAction":
		in, v1 = &tektonv1beta1.StepAction{}, &tektonv1beta1.StepAction{}
		if gvk.Version == "v1alpha1" {
			in = &tektonv1alpha1.StepAction{}
		}
	case "TaskRun":
		in, v1 = &tektonv1.TaskRun{}, &tektonv1.TaskRun{}
		if beta {
			in = &tektonv1beta1.TaskRun{} //nolint:staticcheck // v1beta1 is read to be converted to v1
		}
	default:
		in, v1 = &tektonv1.PipelineRun{}, &tektonv1.PipelineRun{}
		if beta {
			in = &tektonv1beta1.PipelineRun{} //nolint:staticcheck // v1beta1 is read to be converted to v1
		}
	}
	return in, v1
}

// emptyMeans are keys whose empty value means something (an emptyDir
// volume, an empty default or value): kept.
var emptyMeans = map[string]bool{"emptyDir": true, "default": true, "value": true}

// pruneZero drops the zero values Tekton's Go types write although the user
// never gave them (name: "", computeResources: {}, serviceAccountName: "").
func pruneZero(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if props, ok := c.(map[string]any); ok && k == "properties" {
				// An object's keys: an empty one ({}) declares a key.
				for _, p := range props {
					pruneZero(p)
				}
				continue
			}
			pruneZero(c)
			if emptyMeans[k] {
				continue
			}
			switch c := c.(type) {
			case map[string]any:
				if len(c) == 0 {
					delete(v, k)
				}
			case string:
				if c == "" {
					delete(v, k)
				}
			case nil:
				delete(v, k)
			}
		}
	case []any:
		for _, c := range v {
			pruneZero(c)
		}
	}
}
