package triggers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

const (
	// maxName is the longest name Render makes from a generateName: names
	// become label values downstream.
	maxName = 63
	// nameSuffixLen is how many hex digits Render appends to a generateName.
	nameSuffixLen = 10
)

// RenderInput is one trigger's rendering.
type RenderInput struct {
	// Templates are the template's resourcetemplates.
	Templates []triggersv1.TriggerResourceTemplate
	// Params is complete: the result of ApplyTemplateParams.
	Params map[string]string
	// Declared are the template's params; only they may be referenced.
	Declared []triggersv1.ParamSpec
	// Identity is the event's identity: it names the objects.
	Identity Identity
	// Listener is the EventListener's name.
	Listener string
	// Namespace is the listener's namespace: the default namespace of rendered objects.
	Namespace string
	// Trigger is the trigger's name (inline name, triggerRef, or "triggers[i]").
	Trigger string
}

// Render turns resource templates into the objects to create.
//
//   - $(tt.params.x) (or $(tt.params["x"])) and $(uid) are substituted in
//     every string of the decoded template: map values, list items and map
//     keys. Substitution works on the decoded object, not on JSON text, so a
//     value with quotes, newlines or "$(" cannot change the object's shape,
//     and a substituted value is not looked at again. A param the template
//     does not declare is an error naming it and where it is used. Other
//     $(...) (a PipelineRun's own $(params.x), a shell $(cmd)) are left alone.
//   - Each object needs apiVersion, kind and metadata.name or
//     metadata.generateName.
//   - An object with a generateName is named generateName (cut so the name
//     has at most 63 characters) plus 10 hex digits derived from the event
//     digest, the trigger and the template's index: rendering the same event
//     again gives the same names. A fixed metadata.name stays as it is. The
//     generateName is removed. An empty namespace becomes Namespace.
//   - Labels LabelEventListener, LabelTrigger and LabelDelivery (when the
//     event has a delivery id) and annotation AnnotationEvent are set; the
//     template's other labels and annotations are kept.
func Render(in RenderInput) ([]*unstructured.Unstructured, error) {
	declared := make(map[string]bool, len(in.Declared))
	for _, p := range in.Declared {
		declared[p.Name] = true
	}
	out := make([]*unstructured.Unstructured, 0, len(in.Templates))
	for i, t := range in.Templates {
		field := fmt.Sprintf("resourcetemplates[%d]", i)
		raw := t.Raw
		if len(raw) == 0 && t.Object != nil {
			var err error
			if raw, err = json.Marshal(t.Object); err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
		}
		var obj map[string]any
		if err := utiljson.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("%s is not a JSON object: %w", field, err)
		}
		if obj == nil {
			return nil, fmt.Errorf("%s is empty: it needs apiVersion, kind and metadata", field)
		}
		s := substituter{params: in.Params, declared: declared, uid: in.Identity.UID(in.Trigger)}
		v, err := s.value(obj, field)
		if err != nil {
			return nil, err
		}
		obj = v.(map[string]any)
		if err := finish(obj, field, i, in); err != nil {
			return nil, err
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
	return out, nil
}

// finish checks an object's type and metadata and sets its name, namespace,
// labels and annotation.
func finish(obj map[string]any, field string, index int, in RenderInput) error {
	for _, f := range []string{"apiVersion", "kind"} {
		if _, err := requiredString(obj, f, field); err != nil {
			return err
		}
	}
	mdv, ok := obj["metadata"]
	if !ok || mdv == nil {
		return fmt.Errorf("%s: metadata.name or metadata.generateName is required (metadata is missing)", field)
	}
	md, ok := mdv.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: metadata must be an object, not %s", field, kindOf(mdv))
	}
	name, err := optionalString(md, "name", field+".metadata")
	if err != nil {
		return err
	}
	gen, err := optionalString(md, "generateName", field+".metadata")
	if err != nil {
		return err
	}
	if name == "" && gen == "" {
		return fmt.Errorf("%s: metadata.name or metadata.generateName is required", field)
	}
	if name == "" {
		name = cutName(gen, maxName-nameSuffixLen) + nameSuffix(in.Identity.Digest, in.Trigger, index)
	}
	delete(md, "generateName")
	md["name"] = name
	ns, err := optionalString(md, "namespace", field+".metadata")
	if err != nil {
		return err
	}
	if ns == "" {
		md["namespace"] = in.Namespace
	}
	labels, err := stringMap(md, "labels", field+".metadata")
	if err != nil {
		return err
	}
	labels[LabelEventListener] = LabelValue(in.Listener)
	labels[LabelTrigger] = LabelValue(in.Trigger)
	if in.Identity.Delivery != "" {
		labels[LabelDelivery] = in.Identity.Delivery
	}
	annotations, err := stringMap(md, "annotations", field+".metadata")
	if err != nil {
		return err
	}
	annotations[AnnotationEvent] = in.Identity.Digest
	return nil
}

func requiredString(m map[string]any, key, field string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", fmt.Errorf("%s: %s is missing", field, key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: %s must be a string, not %s", field, key, kindOf(v))
	}
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", field, key)
	}
	return s, nil
}

func optionalString(m map[string]any, key, field string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s must be a string, not %s", field, key, kindOf(v))
	}
	return s, nil
}

// stringMap returns m[key] as a map, creating it when missing.
func stringMap(m map[string]any, key, field string) (map[string]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		out := map[string]any{}
		m[key] = out
		return out, nil
	}
	out, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s must be an object, not %s", field, key, kindOf(v))
	}
	return out, nil
}

// cutName cuts s to at most n bytes without splitting a UTF-8 character.
func cutName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// nameSuffix is what Render appends to a generateName.
func nameSuffix(digest, trigger string, index int) string {
	sum := sha256.Sum256([]byte(digest + "/" + trigger + "/" + strconv.Itoa(index)))
	return hex.EncodeToString(sum[:])[:nameSuffixLen]
}

// substituter replaces $(tt.params.x) and $(uid) in a decoded template.
type substituter struct {
	params   map[string]string
	declared map[string]bool
	uid      string
}

func (s substituter) value(v any, field string) (any, error) {
	switch v := v.(type) {
	case string:
		return s.str(v, field)
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			nv, err := s.value(item, field+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(map[string]any, len(v))
		from := make(map[string]string, len(v))
		for _, k := range keys {
			child := field + pathKey(k)
			nk, err := s.str(k, child+" (the key)")
			if err != nil {
				return nil, err
			}
			if other, dup := from[nk]; dup {
				return nil, fmt.Errorf("%s: keys %q and %q both become %q", field, other, k, nk)
			}
			from[nk] = k
			nv, err := s.value(v[k], child)
			if err != nil {
				return nil, err
			}
			out[nk] = nv
		}
		return out, nil
	}
	return v, nil
}

// str substitutes the references in one string.
func (s substituter) str(in, field string) (string, error) {
	return replaceRefs(in, func(start int) (string, int, bool, error) {
		end := strings.IndexByte(in[start:], ')')
		if end < 0 {
			// No ")" after it, so neither this "$(" nor any later one is a
			// reference: all are left as they are.
			return "", 0, false, nil
		}
		end += start
		ref := in[start : end+1]
		inner := strings.TrimSpace(in[start+2 : end])
		if inner == "uid" {
			return s.uid, end + 1, true, nil
		}
		name, ok, err := templateParam(inner)
		if !ok {
			return "", 0, false, nil
		}
		if err != nil {
			return "", 0, true, fmt.Errorf("%s: %s: %w", field, ref, err)
		}
		if !s.declared[name] {
			return "", 0, true, fmt.Errorf("%s: %s: the template declares no param %q", field, ref, name)
		}
		v, ok := s.params[name]
		if !ok {
			return "", 0, true, fmt.Errorf("%s: %s: param %q has no value", field, ref, name)
		}
		return v, end + 1, true, nil
	})
}

// templateParam parses the inside of $(...) as a template param reference:
// tt.params.name, tt.params["name"] or tt.params['name']. ok is false when
// the reference is not under tt.
func templateParam(inner string) (name string, ok bool, err error) {
	rest, ok := strings.CutPrefix(inner, "tt.")
	if !ok {
		return "", false, nil
	}
	if name, found := strings.CutPrefix(rest, "params."); found {
		if name == "" {
			return "", true, fmt.Errorf("the param name is missing")
		}
		return name, true, nil
	}
	if quoted, found := strings.CutPrefix(rest, "params["); found {
		if len(quoted) >= 3 && strings.HasSuffix(quoted, "]") {
			q := quoted[:len(quoted)-1]
			if (q[0] == '"' || q[0] == '\'') && q[len(q)-1] == q[0] && len(q) >= 2 {
				return q[1 : len(q)-1], true, nil
			}
		}
		return "", true, fmt.Errorf(`a bracketed param name must be quoted, e.g. $(tt.params["name"])`)
	}
	return "", true, fmt.Errorf("only $(tt.params.<name>) is known under tt")
}
