package demo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

const samples = "../../config/samples/gitops"

var vars = map[string]string{
	"PREFIX": "demo", "REGISTRY": "10.88.0.1:5000", "TRIVY_DB": "10.88.0.1:5000/windlass/trivy-db",
	"CONFIG_URL": "http://10.88.0.1:3000/windlass/demo-config.git", "DEPLOY_TIMEOUT": "1m0s",
}

func TestExpand(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{in: "ns: ${PREFIX}-dev", want: "ns: demo-dev"},
		{in: "$(params.x) $HOME ${PREFIX}", want: "$(params.x) $HOME demo"},
		{in: "${PREFIX} ${NOPE} ${NOPE} ${ALSO}", err: "no value for ${NOPE}, ${ALSO}"},
		{in: "${}", err: "no value for ${}"},
		{in: "no placeholders", want: "no placeholders"},
	} {
		got, err := Expand(c.in, vars)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("Expand(%q): error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestUntagged(t *testing.T) {
	for in, want := range map[string]string{
		"10.88.0.1:5000/demo/web:1a2b3c@sha256:feed": "10.88.0.1:5000/demo/web@sha256:feed",
		"10.88.0.1:5000/demo/web@sha256:feed":        "10.88.0.1:5000/demo/web@sha256:feed",
		"10.88.0.1:5000/demo/web":                    "10.88.0.1:5000/demo/web",
		"registry/web:1.0":                           "registry/web",
	} {
		if got := Untagged(in); got != want {
			t.Errorf("Untagged(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every sample manifest expands with the demo's variables and keeps to the
// demo's namespaces.
func TestSampleManifests(t *testing.T) {
	for _, f := range []string{"namespaces.yaml", "rbac.yaml", "pipeline.yaml", "triggers.yaml"} {
		objs, err := Manifests(filepath.Join(samples, "cluster", f), vars)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			ns := o.GetNamespace()
			if o.GetKind() == "Namespace" {
				ns = o.GetName()
			}
			if !strings.HasPrefix(ns, "demo-") {
				t.Errorf("%s: %s %s is in namespace %q, outside the demo's", f, o.GetKind(), o.GetName(), ns)
			}
		}
	}
	files, err := Tree(filepath.Join(samples, "config"), vars)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range Envs {
		k := files["overlays/"+env+"/kustomization.yaml"]
		if !strings.Contains(k, "namespace: \"demo-"+env+"\"") || !strings.Contains(k, "newName: \"10.88.0.1:5000/demo/web\"") {
			t.Errorf("overlays/%s:\n%s", env, k)
		}
	}
}

type catalogTask struct {
	Spec struct {
		Params []struct {
			Name    string
			Default any
		}
		Workspaces []struct{ Name string }
		Results    []struct{ Name string }
	}
}

// The Pipeline is a valid windlass.dev Pipeline, and every catalog task it
// refers to gets the params and workspaces that task declares (and every
// required one), as the catalog's task.yaml files say.
func TestPipelineMatchesTheCatalog(t *testing.T) {
	objs, err := Manifests(filepath.Join(samples, "cluster", "pipeline.yaml"), vars)
	if err != nil || len(objs) != 1 {
		t.Fatalf("pipeline.yaml: %d objects, %v", len(objs), err)
	}
	data, _ := yaml.Marshal(objs[0].Object)
	var p windlassv1.Pipeline
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("pipeline.yaml is not a Pipeline: %v", err)
	}
	var names []string
	for _, pt := range p.Spec.Tasks {
		names = append(names, pt.Name)
		if pt.TaskRef == nil || pt.TaskRef.Resolver != "cluster" {
			continue
		}
		var ref string
		for _, rp := range pt.TaskRef.Params {
			if rp.Name == "name" {
				ref = rp.Value.StringVal
			}
		}
		raw, err := os.ReadFile(filepath.Join("../../catalog", ref, "0.1", "task.yaml"))
		if err != nil {
			t.Fatalf("task %s: catalog task %q: %v", pt.Name, ref, err)
		}
		var ct catalogTask
		if err := yaml.Unmarshal(raw, &ct); err != nil {
			t.Fatal(err)
		}
		given := map[string]bool{}
		for _, pp := range pt.Params {
			given[pp.Name] = true
		}
		for _, cp := range ct.Spec.Params {
			if cp.Default == nil && !given[cp.Name] {
				t.Errorf("task %s: %s's required param %s is not given", pt.Name, ref, cp.Name)
			}
			delete(given, cp.Name)
		}
		for n := range given {
			t.Errorf("task %s: %s has no param %s", pt.Name, ref, n)
		}
		var want, got []string
		for _, w := range ct.Spec.Workspaces {
			want = append(want, w.Name)
		}
		for _, w := range pt.Workspaces {
			got = append(got, w.Name)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("task %s: workspaces %v, %s declares %v", pt.Name, got, ref, want)
		}
	}
	// Each task waits for what it reads, by runAfter or by a result.
	ref := regexp.MustCompile(`\$\(tasks\.([a-z0-9-]+)\.`)
	deps := map[string][]string{}
	for _, pt := range p.Spec.Tasks {
		deps[pt.Name] = append(deps[pt.Name], pt.RunAfter...)
		data, _ := yaml.Marshal(pt.Params)
		for _, m := range ref.FindAllStringSubmatch(string(data), -1) {
			deps[pt.Name] = append(deps[pt.Name], m[1])
		}
	}
	for task, after := range map[string][]string{
		"unit-test": {"clone"}, "build": {"unit-test"}, "scan": {"build"}, "sign": {"scan"}, "attest": {"scan"},
		"config-dev": {"sign", "attest"}, "checkout-dev": {"config-dev"}, "deploy-dev": {"checkout-dev"},
		"config-staging": {"deploy-dev"}, "checkout-staging": {"config-staging"}, "deploy-staging": {"checkout-staging"},
		"approve": {"deploy-staging"}, "config-prod": {"approve"}, "checkout-prod": {"config-prod"}, "deploy-prod": {"checkout-prod"},
	} {
		for _, a := range after {
			if !slices.Contains(deps[task], a) {
				t.Errorf("task %s does not wait for %s (it waits for %v)", task, a, deps[task])
			}
		}
	}
	want := []string{"clone", "unit-test", "build", "scan", "sign", "attest", "config-dev", "checkout-dev", "deploy-dev",
		"config-staging", "checkout-staging", "deploy-staging", "approve", "config-prod", "checkout-prod", "deploy-prod"}
	if !slices.Equal(names, want) {
		t.Errorf("tasks %v, want %v", names, want)
	}
}

// The releases edit the sample app as they say: the broken one passes the
// app's own unit tests but has no health page; the vulnerable one brings
// the fixture package and keeps the health page.
func TestReleases(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	for _, r := range []Release{First(), Bump("1.1")} {
		if err := r.Edit(dir, samples); err != nil {
			t.Fatal(err)
		}
	}
	unit := func() (string, error) {
		out, err := exec.Command("sh", filepath.Join(dir, "test.sh")).CombinedOutput()
		return string(out), err
	}
	render := func() []string {
		www := t.TempDir()
		if out, err := exec.Command("sh", filepath.Join(dir, "render.sh"), www).CombinedOutput(); err != nil {
			t.Fatalf("render.sh: %v: %s", err, out)
		}
		entries, _ := os.ReadDir(www)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if out, err := unit(); err != nil || !slices.Equal(render(), []string{"healthz", "index.html"}) {
		t.Fatalf("1.1: unit tests %v:\n%s", err, out)
	}
	if err := BrokenReadiness("1.2").Edit(dir, samples); err != nil {
		t.Fatal(err)
	}
	if out, err := unit(); err != nil {
		t.Fatalf("1.2: the unit tests should miss the bug: %v:\n%s", err, out)
	}
	if got := render(); slices.Contains(got, "healthz") {
		t.Fatalf("1.2 still writes healthz: %v", got)
	}
	if err := Vulnerable("1.3").Edit(dir, samples); err != nil {
		t.Fatal(err)
	}
	if got := render(); !slices.Contains(got, "healthz") {
		t.Fatalf("1.3 has no health page: %v", got)
	}
	df, _ := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	status, _ := os.ReadFile(filepath.Join(dir, "debian", "status"))
	if !strings.Contains(string(df), "COPY debian/status /var/lib/dpkg/status") || !strings.Contains(string(status), "windlass-fixture\n") ||
		!strings.Contains(string(status), "Version: 1.0-1\n") {
		t.Fatalf("1.3's Dockerfile:\n%s\nstatus:\n%s", df, status)
	}
	if v, _ := os.ReadFile(filepath.Join(dir, "VERSION")); string(v) != "1.3\n" {
		t.Fatalf("VERSION %q", v)
	}
}

func TestDetailAndSteps(t *testing.T) {
	str := func(s string) windlassv1.ParamValue { return *windlassv1.NewString(s) }
	got := detail([]windlassv1.TaskRunResult{
		{Name: "COMMIT", Value: str("0123456789abcdef")}, {Name: "CHANGED", Value: str("false")},
		{Name: "SIGNATURE", Value: str("10.88.0.1:5000/demo/web:sha256-4f36f8151bbd86bb.sig")},
		{Name: "counts", Value: windlassv1.ParamValue{Type: windlassv1.ParamTypeObject, ObjectVal: map[string]string{"CRITICAL": "1", "HIGH": "0", "MEDIUM": "0", "LOW": "2"}}},
	})
	if want := "CRITICAL 1, HIGH 0, MEDIUM 0, LOW 2, signature sha256-4f36f8151bbd, config 0123456 (unchanged)"; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
	if got := stepLine("2026-12-07T06:30:01.512Z switch 1 Services to green"); got != "06:30:01.512 switch 1 Services to green" {
		t.Errorf("stepLine = %q", got)
	}
	if got := stepLine("no time here"); got != "no time here" {
		t.Errorf("stepLine = %q", got)
	}
}
