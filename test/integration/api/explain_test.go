package api

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// explained are fields kubectl explain must describe: Windlass's own, with
// their doc comments in the CRDs.
var explained = []struct {
	resource, kind, path, want string
}{
	{"taskruns", "TaskRun", "spec.timeout", "default 1h"},
	{"taskruns", "TaskRun", "spec.taskSpec.steps", "steps run in order"},
	{"pipelineruns", "PipelineRun", "spec.timeouts", ""},
	{"pipelines", "Pipeline", "spec.tasks", ""},
	{"tasks", "Task", "spec.params", ""},
}

// TestExplainOpenAPI reads the API server's OpenAPI v3 document, which
// kubectl explain prints from: Windlass's fields are described, the fields of
// embedded Kubernetes types are not (hack/crddocs drops them to keep the CRDs
// small).
func TestExplainOpenAPI(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(restCfg)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := dc.OpenAPIV3().Paths()
	if err != nil {
		t.Fatal(err)
	}
	gv, ok := paths["apis/windlass.dev/v1alpha1"]
	if !ok {
		t.Fatal("no OpenAPI v3 document for windlass.dev/v1alpha1")
	}
	raw, err := gv.Schema("application/json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]schemaNode `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range explained {
		root, ok := doc.Components.Schemas["dev.windlass.v1alpha1."+e.kind]
		if !ok {
			t.Errorf("no schema for %s", e.kind)
			continue
		}
		n := root.at(e.path)
		if n == nil || n.Description == "" || !strings.Contains(n.Description, e.want) {
			t.Errorf("%s.%s: description %q, want one (containing %q)", e.kind, e.path, describe(n), e.want)
		}
	}
	// A field of an embedded Kubernetes type: no description.
	tr := doc.Components.Schemas["dev.windlass.v1alpha1.TaskRun"]
	if n := tr.at("spec.taskSpec.steps.env.valueFrom"); n == nil || n.Description != "" {
		t.Errorf("TaskRun spec.taskSpec.steps.env.valueFrom: %q, want a node without a description", describe(n))
	}
}

// TestKubectlExplain runs kubectl explain itself, when the cached
// Kubernetes binaries include kubectl.
func TestKubectlExplain(t *testing.T) {
	kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Skipf("no kubectl beside the API server (%v)", err)
	}
	user, err := testEnv.AddUser(envtest.User{Name: "explainer", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, e := range explained {
		out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "explain", e.resource+"."+e.path).CombinedOutput()
		if err != nil {
			t.Errorf("kubectl explain %s.%s: %v\n%s", e.resource, e.path, err, out)
			continue
		}
		if strings.Contains(string(out), "<empty>") || !strings.Contains(string(out), e.want) {
			t.Errorf("kubectl explain %s.%s prints no description (containing %q):\n%s", e.resource, e.path, e.want, out)
		}
	}
}

type schemaNode struct {
	Description string                `json:"description"`
	Properties  map[string]schemaNode `json:"properties"`
	Items       *schemaNode           `json:"items"`
}

// at walks a dotted path; list items are stepped through transparently.
func (n schemaNode) at(path string) *schemaNode {
	cur := &n
	for _, p := range strings.Split(path, ".") {
		for cur.Items != nil && cur.Properties == nil {
			cur = cur.Items
		}
		next, ok := cur.Properties[p]
		if !ok {
			return nil
		}
		cur = &next
	}
	return cur
}

func describe(n *schemaNode) string {
	if n == nil {
		return "(no such field)"
	}
	return n.Description
}
