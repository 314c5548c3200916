package triggers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

func TestBindParams(t *testing.T) {
	tests := []struct {
		name   string
		params []Param
		want   map[string]string
		err    string
	}{
		{name: "none", params: nil, want: map[string]string{}},
		{name: "resolved", params: []Param{
			{Name: "revision", Value: "$(body.head_commit.id)", Source: `binding "github-push"`},
			{Name: "url", Value: "https://x/$(body.repository.name).git", Source: `binding "github-push"`},
			{Name: "literal", Value: "main", Source: `trigger "t" bindings[1]`},
		}, want: map[string]string{"revision": "abc123", "url": "https://x/r.git", "literal": "main"}},
		{name: "bound twice", params: []Param{
			{Name: "revision", Value: "a", Source: `binding "github-push"`},
			{Name: "other", Value: "b", Source: `binding "github-push"`},
			{Name: "revision", Value: "c", Source: `trigger "t" bindings[2]`},
		}, err: `param "revision" is bound twice: by binding "github-push" and by trigger "t" bindings[2]`},
		{name: "reference that does not resolve", params: []Param{
			{Name: "revision", Value: "$(body.head_commit.nope)", Source: `binding "github-push"`},
		}, err: `param "revision" of binding "github-push": $(body.head_commit.nope): body.head_commit has no field "nope"`},
	}
	ev := pushEvent(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BindParams(tt.params, ev)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestApplyTemplateParams(t *testing.T) {
	spec := []triggersv1.ParamSpec{
		{Name: "revision"},
		{Name: "url"},
		{Name: "branch", Default: ptr("main")},
		{Name: "empty-default", Default: ptr("")},
	}
	tests := []struct {
		name        string
		spec        []triggersv1.ParamSpec
		bound       map[string]string
		want        map[string]string
		wantIgnored []string
		err         string
	}{
		{name: "bound and defaulted", spec: spec,
			bound: map[string]string{"revision": "abc", "url": "u"},
			want:  map[string]string{"revision": "abc", "url": "u", "branch": "main", "empty-default": ""}},
		{name: "a binding wins over the default", spec: spec,
			bound: map[string]string{"revision": "abc", "url": "u", "branch": "dev"},
			want:  map[string]string{"revision": "abc", "url": "u", "branch": "dev", "empty-default": ""}},
		{name: "undeclared params are ignored and reported, sorted", spec: spec,
			bound:       map[string]string{"revision": "abc", "url": "u", "zeta": "1", "alpha": "2"},
			want:        map[string]string{"revision": "abc", "url": "u", "branch": "main", "empty-default": ""},
			wantIgnored: []string{"alpha", "zeta"}},
		{name: "an empty bound value counts as bound", spec: spec,
			bound: map[string]string{"revision": "", "url": ""},
			want:  map[string]string{"revision": "", "url": "", "branch": "main", "empty-default": ""}},
		{name: "no params at all", spec: nil, bound: nil, want: map[string]string{}},
		{name: "one missing", spec: spec, bound: map[string]string{"url": "u"},
			err: `template param "revision" has no value: no binding supplies it and it has no default`},
		{name: "several missing", spec: spec, bound: map[string]string{"x": "1"},
			err: `template params "revision", "url" have no value: no binding supplies them and they have no default`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ignored, err := ApplyTemplateParams(tt.spec, tt.bound)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, %v; want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("params (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIgnored, ignored); diff != "" {
				t.Fatalf("ignored (-want +got):\n%s", diff)
			}
		})
	}
}
