package substitute

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func vals() Values {
	return Values{
		Roots: []string{"params", "results", "workspaces", "context"},
		Strings: map[string]string{
			"params.revision":      "main",
			"params.dotted.name":   "d",
			"results.digest.path":  "/windlass/results/digest",
			"workspaces.src.path":  "/workspace/src",
			"workspaces.src.bound": "true",
			"context.taskRun.name": "build-1",
		},
		Arrays:  map[string][]string{"params.flags": {"-v", "-x"}, "params.empty": {}},
		Objects: map[string]map[string]string{"params.target": {"os": "linux", "arch": "amd64"}},
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "no refs", want: "no refs"},
		{in: "git checkout $(params.revision)", want: "git checkout main"},
		{in: "$(params.revision)-$(context.taskRun.name)", want: "main-build-1"},
		{in: `$(params["revision"]) $(params['revision'])`, want: "main main"},
		{in: `$(params["dotted.name"])`, want: "d"},
		{in: "$(params.flags[1])", want: "-x"},
		{in: "$(params.target.os)/$(params.target.arch)", want: "linux/amd64"},
		{in: "echo > $(results.digest.path)", want: "echo > /windlass/results/digest"},
		{in: "cd $(workspaces.src.path) && [ $(workspaces.src.bound) = true ]", want: "cd /workspace/src && [ true = true ]"},
		{in: "now=$(date +%s) $(params.revision)", want: "now=$(date +%s) main"},
		{in: "$(tasks.a.results.b)", want: "$(tasks.a.results.b)"}, // not a root of these Values
		{in: "$( params.revision )", want: "main"},
		{in: "$(params.nope)", err: "field: $(params.nope): no such value"},
		{in: "$(params.flags)", err: "an array value needs [*]"},
		{in: "$(params.flags[*])", err: "[*] expands an array only as a whole item"},
		{in: "$(params.flags[2])", err: "index 2 is out of range: the array has 2 items"},
		{in: "$(params.flags[-1])", err: "not * or a non-negative number"},
		{in: "$(params.target)", err: "an object value needs a key"},
		{in: "$(params.target.cpu)", err: `the object has no key "cpu" (keys: arch, os)`},
		{in: "$(params.revision[0])", err: "a string value cannot be indexed"},
		{in: `$(params["revision)`, err: "unterminated name"},
		// Tekton v1's other spelling of params.
		{in: "$(inputs.params.revision) $(inputs.params.target.os) $(inputs.params['revision'])", want: "main linux main"},
		{in: "$(inputs.params.nope)", err: "field: $(inputs.params.nope): no such value"},
		{in: "$(inputs.resources.x) $(inputsparams.revision)", want: "$(inputs.resources.x) $(inputsparams.revision)"}, // not ours
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := vals().String("field", tt.in)
			if tt.err != "" {
				var se *Error
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &se) || se.Field != "field" {
					t.Fatalf("got %q, %v; want a *Error on field containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		{name: "nil stays nil", in: nil, want: nil},
		{name: "star expands in place", in: []string{"build", "$(params.flags[*])", "--rev=$(params.revision)"}, want: []string{"build", "-v", "-x", "--rev=main"}},
		{name: "empty array expands to nothing", in: []string{"a", "$(params.empty[*])", "b"}, want: []string{"a", "b"}},
		{name: "a whole array reference as an item expands too (Tekton)", in: []string{"$(params.flags)", " $(params.flags) "}, want: []string{"-v", "-x", "-v", "-x"}},
		{name: "an array inside a larger item is an error", in: []string{"x=$(params.flags)"}, err: "field[0]: $(params.flags): an array value needs [*]"},
		{name: "star inside a larger item is an error", in: []string{"x=$(params.flags[*])"}, err: "field[0]: $(params.flags[*]): [*] expands an array only as a whole item"},
		{name: "star on a string", in: []string{"$(params.revision[*])"}, err: "field[0]: $(params.revision[*]): [*] needs an array value"},
		{name: "inputs.params expands like params", in: []string{"$(inputs.params.flags[*])"}, want: []string{"-v", "-x"}},
		{name: "unknown in second item", in: []string{"ok", "$(params.nope[*])"}, err: "field[1]: $(params.nope[*]): no such value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vals().List("field", tt.in)
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
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "none", in: "echo hello", want: nil},
		{name: "dots, brackets, indexes, members", in: `$(params.a) $(params["b.c"][*]) $(params['d'][0]) $(params.obj.key)`, want: []string{"a", "b.c", "d", "obj.key"}},
		{name: "other roots and shell substitutions are not ours", in: "$(results.x.path) $(date +%s) $(params) $(context.taskRun.name)", want: nil},
		{name: "spaces inside are trimmed", in: "$( params.a )", want: []string{"a"}},
		{name: "inputs.params is params", in: "$(inputs.params.a) $(inputs.params.b[*]) $(inputs.other.c)", want: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Paths("params", tt.in)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefer(t *testing.T) {
	v := Values{Roots: []string{"workspaces"}, Strings: map[string]string{"workspaces.src.bound": "true"},
		Defer: func(p string) bool { return strings.HasSuffix(p, ".path") }}
	got, err := v.String("f", "$(workspaces.src.bound) $(workspaces.source.path)/Dockerfile $(workspaces['x'].path)")
	if err != nil {
		t.Fatal(err)
	}
	if want := "true $(workspaces.source.path)/Dockerfile $(workspaces['x'].path)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := v.String("f", "$(workspaces.src.claim)"); err == nil || !strings.Contains(err.Error(), "no such value") {
		t.Errorf("a reference not deferred still must resolve: err = %v", err)
	}
}
