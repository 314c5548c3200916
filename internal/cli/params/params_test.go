package params

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

var declared = []windlassv1.ParamSpec{
	{Name: "revision"},
	{Name: "flags", Type: windlassv1.ParamTypeArray},
	{Name: "cfg", Type: windlassv1.ParamTypeObject, Properties: map[string]windlassv1.PropertySpec{"url": {}, "branch": {}}},
	{Name: "level", Enum: []string{"debug", "info"}, Default: windlassv1.NewString("info")},
	{Name: "dotted.name", Default: windlassv1.NewString("x")},
}

// render shows params as YAML, so cases read as they are written.
func render(t *testing.T, ps []windlassv1.Param) string {
	t.Helper()
	b, err := yaml.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		flags    []string
		declared []windlassv1.ParamSpec
		o        Options
		want     string
		err      string
	}{
		{
			name:  "every kind of value",
			flags: []string{"revision=main", "flags=-v,--x=1", "flags=last", "cfg.url=https://h/r", "cfg.branch=dev", "level=debug", "dotted.name=y"},
			want: `- name: revision
  value: main
- name: flags
  value:
  - -v
  - --x=1
  - last
- name: cfg
  value:
    branch: dev
    url: https://h/r
- name: level
  value: debug
- name: dotted.name
  value: "y"
`,
		},
		{
			name:  "JSON array and object, defaults used",
			flags: []string{`flags=["a,1","b"]`, `cfg={"url":"u"}`, "revision=v1=x"},
			o:     Options{UseDefaults: true},
			want: `- name: flags
  value:
  - a,1
  - b
- name: cfg
  value:
    url: u
- name: revision
  value: v1=x
`,
		},
		{
			name:     "undeclared: repeated is an array",
			flags:    []string{"a=1", "b=x", "a=2", "a=3", "empty="},
			declared: []windlassv1.ParamSpec{},
			want: `- name: a
  value:
  - "1"
  - "2"
  - "3"
- name: b
  value: x
- name: empty
  value: ""
`,
		},
		{
			name:  "given params replaced by flags",
			flags: []string{"revision=new"},
			o:     Options{UseDefaults: true, Given: []windlassv1.Param{{Name: "revision", Value: *windlassv1.NewString("old")}, {Name: "flags", Value: *windlassv1.NewArray()}, {Name: "cfg", Value: *windlassv1.NewObject(nil)}}},
			want: `- name: revision
  value: new
- name: flags
  value: []
- name: cfg
  value: {}
`,
		},
		{name: "no equals", flags: []string{"revision"}, err: `-p "revision": want NAME=VALUE`},
		{name: "empty name", flags: []string{"=x"}, err: `-p "=x": want NAME=VALUE`},
		{name: "unknown param", flags: []string{"nope=1"}, err: `-p "nope=1": the pipeline or task declares no param "nope" (it declares revision, flags, cfg, level, dotted.name)`},
		{name: "unknown key", flags: []string{"revision=1", "flags=", "cfg.port=1"}, err: `-p "cfg.port=1": object param cfg has no key "port" (its keys: branch, url)`},
		{name: "object without key", flags: []string{"cfg=x"}, err: `-p "cfg=x": cfg is an object param: give its keys as -p cfg.KEY=VALUE or a JSON object`},
		{name: "bad JSON array", flags: []string{"flags=[1,"}, err: `-p "flags=[1,": not a JSON array of strings`},
		{name: "string twice", flags: []string{"revision=a", "revision=b"}, err: `-p "revision=b": revision is a string param and is given twice`},
		{name: "enum", flags: []string{"level=trace"}, err: `-p "level=trace": level must be one of debug, info`},
		{name: "missing without default", flags: []string{"flags=a", "cfg.url=u"}, o: Options{UseDefaults: true}, err: "param revision has no default: give it with -p NAME=VALUE"},
		{name: "defaults need the flag", flags: []string{"revision=a", "flags=a", "cfg.url=u"}, err: "param level, dotted.name not given: give it with -p NAME=VALUE, or pass --use-param-defaults"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decl := declared
			if tc.declared != nil {
				decl = tc.declared
			}
			got, err := Bind(tc.flags, decl, tc.o)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want one starting %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, render(t, got)); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorkspaces(t *testing.T) {
	files := map[string]string{
		"pvc.yaml": "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n",
		"bad.yaml": "spec:\n  nope: 1\n",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("open " + p + ": no such file or directory")
	}
	decl := []Declared{{Name: "src"}, {Name: "cache", Optional: true}, {Name: "out"}, {Name: "creds", Optional: true}, {Name: "cfg", Optional: true}}
	got, err := Workspaces([]string{
		"name=src,claimName=shared,subPath=build",
		"name=cache,emptyDir=Memory",
		"name=out,volumeClaimTemplateFile=pvc.yaml",
		"name=creds,secret=git",
		"name=cfg,config=settings",
	}, decl, nil, read)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(got)
	want := `- name: src
  persistentVolumeClaim:
    claimName: shared
  subPath: build
- emptyDir:
    medium: Memory
  name: cache
- name: out
  volumeClaimTemplate:
    metadata: {}
    spec:
      accessModes:
      - ReadWriteOnce
      resources:
        requests:
          storage: 1Gi
    status: {}
- name: creds
  secret:
    secretName: git
- configMap:
    name: settings
  name: cfg
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		flags []string
		decl  []Declared
		err   string
	}{
		{[]string{"src,emptyDir="}, nil, `-w "src,emptyDir=": "src" is not KEY=VALUE`},
		{[]string{"emptyDir="}, nil, `-w "emptyDir=": name= is missing`},
		{[]string{"name=a"}, nil, `-w "name=a": give exactly one of claimName`},
		{[]string{"name=a,emptyDir=,claimName=x"}, nil, `-w "name=a,emptyDir=,claimName=x": give exactly one of`},
		{[]string{"name=a,emptyDir=Disk"}, nil, `-w "name=a,emptyDir=Disk": emptyDir takes no value or Memory, not "Disk"`},
		{[]string{"name=a,size=1"}, nil, `-w "name=a,size=1": unknown key "size"`},
		{[]string{"name=a,volumeClaimTemplateFile=none.yaml"}, nil, `-w "name=a,volumeClaimTemplateFile=none.yaml": open none.yaml: no such file`},
		{[]string{"name=a,volumeClaimTemplateFile=bad.yaml"}, nil, `-w "name=a,volumeClaimTemplateFile=bad.yaml": bad.yaml is not a PersistentVolumeClaim`},
		{[]string{"name=x,emptyDir="}, decl, `-w "name=x,emptyDir=": the pipeline or task declares no workspace "x" (it declares src, cache, out, creds, cfg)`},
		{[]string{"name=src,emptyDir=", "name=src,emptyDir="}, decl, `-w "name=src,emptyDir=": workspace src is given twice`},
		{[]string{"name=src,emptyDir="}, decl, "workspace out is not bound"},
	} {
		_, err := Workspaces(tc.flags, tc.decl, nil, read)
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("Workspaces(%q): error %v, want one starting %q", tc.flags, err, tc.err)
		}
	}

	// Flags replace the bindings of a run read from a file, by name.
	given := []windlassv1.WorkspaceBinding{{Name: "src", EmptyDir: nil, Secret: nil}, {Name: "out"}}
	got, err = Workspaces([]string{"name=src,emptyDir="}, nil, given, read)
	if err != nil || len(got) != 2 || got[0].EmptyDir == nil || got[1].Name != "out" {
		t.Errorf("replacing a given binding: %+v, %v", got, err)
	}
}
