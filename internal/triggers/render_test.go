package triggers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

func tmpl(s string) triggersv1.TriggerResourceTemplate {
	return triggersv1.TriggerResourceTemplate{RawExtension: runtime.RawExtension{Raw: []byte(s)}}
}

const pipelineRunTemplate = `{
  "apiVersion": "windlass.dev/v1alpha1",
  "kind": "PipelineRun",
  "metadata": {"generateName": "build-", "labels": {"team": "a", "$(tt.params.labelKey)": "$(tt.params.revision)"}},
  "spec": {
    "timeout": 3,
    "params": [
      {"name": "revision", "value": "$(tt.params.revision)"},
      {"name": "message", "value": "msg: $(tt.params.message)"},
      {"name": "run", "value": "run-$(uid)"},
      {"name": "dotted", "value": "$(tt.params[\"a.b\"])"}
    ],
    "args": ["--rev=$(tt.params.revision)", "$(params.ownParam)", "$(context.pipelineRun.name)", "$(date +%s)"]
  }
}`

func renderInput(templates ...triggersv1.TriggerResourceTemplate) RenderInput {
	return RenderInput{
		Templates: templates,
		Params: map[string]string{
			"revision": "abc123",
			"message":  "say \"hi\"\n$(tt.params.revision) $(uid) }]",
			"labelKey": "commit",
			"a.b":      "dotted",
		},
		Declared:  []triggersv1.ParamSpec{{Name: "revision"}, {Name: "message"}, {Name: "labelKey"}, {Name: "a.b"}},
		Identity:  Identity{Digest: sha256Hex("event"), Delivery: "d-1", EventType: "push"},
		Listener:  "listener",
		Namespace: "ns",
		Trigger:   "github-push",
	}
}

func TestRender(t *testing.T) {
	in := renderInput(tmpl(pipelineRunTemplate))
	objs, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("got %d objects", len(objs))
	}
	uid := in.Identity.UID("github-push")
	want := map[string]any{
		"apiVersion": "windlass.dev/v1alpha1",
		"kind":       "PipelineRun",
		"metadata": map[string]any{
			"name":      "build-" + nameSuffix(in.Identity.Digest, "github-push", 0),
			"namespace": "ns",
			"labels": map[string]any{
				"team":             "a",
				"commit":           "abc123",
				LabelEventListener: "listener",
				LabelTrigger:       "github-push",
				LabelDelivery:      "d-1",
			},
			"annotations": map[string]any{AnnotationEvent: in.Identity.Digest},
		},
		"spec": map[string]any{
			"timeout": int64(3),
			"params": []any{
				map[string]any{"name": "revision", "value": "abc123"},
				// The value is inserted as it is: no JSON breakage, no second round of substitution.
				map[string]any{"name": "message", "value": "msg: say \"hi\"\n$(tt.params.revision) $(uid) }]"},
				map[string]any{"name": "run", "value": "run-" + uid},
				map[string]any{"name": "dotted", "value": "dotted"},
			},
			"args": []any{"--rev=abc123", "$(params.ownParam)", "$(context.pipelineRun.name)", "$(date +%s)"},
		},
	}
	if diff := cmp.Diff(want, objs[0].Object); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if n := objs[0].GetName(); len(n) != len("build-")+10 {
		t.Fatalf("name %q: want build- and 10 hex digits", n)
	}
}

func TestRenderNames(t *testing.T) {
	two := func(gen string) RenderInput {
		return renderInput(
			tmpl(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"`+gen+`"}}`),
			tmpl(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"`+gen+`"}}`),
		)
	}
	names := func(t *testing.T, in RenderInput) []string {
		t.Helper()
		objs, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range objs {
			if _, has := o.Object["metadata"].(map[string]any)["generateName"]; has {
				t.Fatalf("generateName not removed from %v", o.Object)
			}
			out = append(out, o.GetName())
		}
		return out
	}

	t.Run("same identity, same names", func(t *testing.T) {
		a, b := names(t, two("x-")), names(t, two("x-"))
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("(-first +second):\n%s", diff)
		}
		if a[0] == a[1] {
			t.Fatalf("two templates got the same name %q", a[0])
		}
	})
	t.Run("another digest, other names", func(t *testing.T) {
		in := two("x-")
		in.Identity.Digest = sha256Hex("another event")
		if a, b := names(t, two("x-")), names(t, in); a[0] == b[0] || a[1] == b[1] {
			t.Fatalf("names %v and %v should differ", a, b)
		}
	})
	t.Run("another trigger, other names", func(t *testing.T) {
		in := two("x-")
		in.Trigger = "other"
		if a, b := names(t, two("x-")), names(t, in); a[0] == b[0] {
			t.Fatalf("names %v and %v should differ", a, b)
		}
	})
	t.Run("a long generateName is cut to 63 characters", func(t *testing.T) {
		gen := strings.Repeat("g", 60) + "-"
		for _, n := range names(t, two(gen)) {
			if len(n) != 63 || !strings.HasPrefix(n, strings.Repeat("g", 53)) {
				t.Fatalf("name %q (%d chars): want 53 g and 10 hex digits", n, len(n))
			}
		}
	})
	t.Run("a multi-byte character is not split", func(t *testing.T) {
		gen := strings.Repeat("g", 52) + "é"
		for _, n := range names(t, two(gen)) {
			if !strings.HasPrefix(n, strings.Repeat("g", 52)) || len(n) != 62 {
				t.Fatalf("name %q", n)
			}
		}
	})
	t.Run("a fixed name is kept", func(t *testing.T) {
		in := renderInput(tmpl(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fixed-$(tt.params.revision)","generateName":"ignored-","namespace":"other"}}`))
		objs, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		if o := objs[0]; o.GetName() != "fixed-abc123" || o.GetGenerateName() != "" || o.GetNamespace() != "other" {
			t.Fatalf("got name %q, generateName %q, namespace %q", o.GetName(), o.GetGenerateName(), o.GetNamespace())
		}
	})
	t.Run("no delivery id, no delivery label; long names sanitized", func(t *testing.T) {
		in := renderInput(tmpl(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n","labels":{"keep":"me"},"annotations":{"a":"b"}}}`))
		in.Identity.Delivery = ""
		in.Trigger = "triggers[3]"
		objs, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		wantLabels := map[string]string{"keep": "me", LabelEventListener: "listener", LabelTrigger: "triggers-3"}
		if diff := cmp.Diff(wantLabels, objs[0].GetLabels()); diff != "" {
			t.Fatalf("labels (-want +got):\n%s", diff)
		}
		wantAnn := map[string]string{"a": "b", AnnotationEvent: in.Identity.Digest}
		if diff := cmp.Diff(wantAnn, objs[0].GetAnnotations()); diff != "" {
			t.Fatalf("annotations (-want +got):\n%s", diff)
		}
	})
}

func TestRenderErrors(t *testing.T) {
	ok := tmpl(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"}}`)
	tests := []struct {
		name string
		tmpl string
		err  string
	}{
		{name: "undeclared param", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"data":{"k":"$(tt.params.nope)"}}`,
			err: `resourcetemplates[1].data.k: $(tt.params.nope): the template declares no param "nope"`},
		{name: "undeclared param in a list", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"x":[1,["$(tt.params.nope)"]]}`,
			err: `resourcetemplates[1].x[1][0]: $(tt.params.nope): the template declares no param "nope"`},
		{name: "undeclared param in a key", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"data":{"$(tt.params.nope)":"v"}}`,
			err: `resourcetemplates[1].data["$(tt.params.nope)"] (the key): $(tt.params.nope): the template declares no param "nope"`},
		{name: "unknown tt reference", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"$(tt.name)"}}`,
			err: `resourcetemplates[1].metadata.name: $(tt.name): only $(tt.params.<name>) is known under tt`},
		{name: "unquoted bracket", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"$(tt.params[revision])"}}`,
			err: `a bracketed param name must be quoted`},
		{name: "keys collide", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n","labels":{"$(tt.params.labelKey)":"1","commit":"2"}}}`,
			err: `resourcetemplates[1].metadata.labels: keys "$(tt.params.labelKey)" and "commit" both become "commit"`},
		{name: "no apiVersion", tmpl: `{"kind":"ConfigMap","metadata":{"name":"n"}}`, err: "resourcetemplates[1]: apiVersion is missing"},
		{name: "apiVersion not a string", tmpl: `{"apiVersion":1,"kind":"ConfigMap","metadata":{"name":"n"}}`, err: "resourcetemplates[1]: apiVersion must be a string, not a number"},
		{name: "no kind", tmpl: `{"apiVersion":"v1","metadata":{"name":"n"}}`, err: "resourcetemplates[1]: kind is missing"},
		{name: "empty kind", tmpl: `{"apiVersion":"v1","kind":"","metadata":{"name":"n"}}`, err: "resourcetemplates[1]: kind is empty"},
		{name: "no metadata", tmpl: `{"apiVersion":"v1","kind":"ConfigMap"}`, err: "resourcetemplates[1]: metadata.name or metadata.generateName is required (metadata is missing)"},
		{name: "metadata not an object", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":"x"}`, err: "resourcetemplates[1]: metadata must be an object, not a string"},
		{name: "no name", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"labels":{}}}`, err: "resourcetemplates[1]: metadata.name or metadata.generateName is required"},
		{name: "name not a string", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":3}}`, err: "resourcetemplates[1].metadata.name must be a string, not a number"},
		{name: "labels not an object", tmpl: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n","labels":["x"]}}`, err: "resourcetemplates[1].metadata.labels must be an object, not a list"},
		{name: "not an object", tmpl: `["x"]`, err: "resourcetemplates[1] is not a JSON object"},
		{name: "null", tmpl: `null`, err: "resourcetemplates[1] is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(renderInput(ok, tmpl(tt.tmpl)))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("got %v; want error containing %q", err, tt.err)
			}
		})
	}
}

func TestRenderFromObject(t *testing.T) {
	// A template held as a decoded object instead of raw JSON renders too.
	in := renderInput(triggersv1.TriggerResourceTemplate{RawExtension: runtime.RawExtension{
		Object: &runtime.Unknown{Raw: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"}}`)},
	}})
	objs, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if objs[0].GetName() != "n" || objs[0].GetKind() != "ConfigMap" {
		t.Fatalf("got %v", objs[0].Object)
	}
}
