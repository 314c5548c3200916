package api

import (
	"context"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/test/demo"
	"github.com/windlass-dev/windlass/test/util"
)

// The gitops samples (config/samples/gitops/cluster, as make demo fills them
// in) are accepted by the API server as they are, unknown fields refused.
func TestGitopsSamplesAreAccepted(t *testing.T) {
	vars := map[string]string{
		"PREFIX": "samples", "REGISTRY": "10.88.0.1:5000", "TRIVY_DB": "10.88.0.1:5000/windlass/trivy-db:2",
		"CONFIG_URL": "http://10.88.0.1:3000/windlass/samples-config.git", "DEPLOY_TIMEOUT": "1m0s",
	}
	for _, f := range []string{"namespaces.yaml", "rbac.yaml", "pipeline.yaml", "triggers.yaml"} {
		objs, err := demo.Manifests(filepath.Join(util.RepoRoot(), "config", "samples", "gitops", "cluster", f), vars)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range objs {
			if err := k8s.Create(context.Background(), u, client.FieldValidation("Strict")); err != nil {
				t.Errorf("%s: %s %s: %v", f, u.GetKind(), u.GetName(), err)
				continue
			}
			deleteAtEnd(t, u)
		}
	}
}
