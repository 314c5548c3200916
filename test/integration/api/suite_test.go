// Package api proves the CRD schemas and CEL rules on a real API server: what one
// object decides is rejected at create time, with a message naming the problem.
package api

import (
	"context"
	"fmt"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/windlass-dev/windlass/test/util"
)

var (
	k8s     client.Client
	testEnv *envtest.Environment
	restCfg *rest.Config
)

func TestMain(m *testing.M) {
	env, cfg, err := util.StartEnv()
	testEnv, restCfg = env, cfg
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if k8s, err = client.New(cfg, client.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// obj parses a manifest as a user writes it.
func obj(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatalf("bad test manifest: %v\n%s", err, manifest)
	}
	if u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	return u
}

// create sends the manifest as kubectl does: unknown fields are errors, not
// dropped. What it creates is deleted when the test ends, so a test can run
// again in the same process (go test -count=N).
func create(t *testing.T, manifest string) error {
	t.Helper()
	u := obj(t, manifest)
	if err := k8s.Create(context.Background(), u, client.FieldValidation("Strict")); err != nil {
		return err
	}
	deleteAtEnd(t, u)
	return nil
}

// deleteAtEnd deletes o when the test ends; no controller runs here, so
// nothing holds it back.
func deleteAtEnd(t *testing.T, o client.Object) {
	t.Cleanup(func() {
		if err := k8s.Delete(context.Background(), o); client.IgnoreNotFound(err) != nil {
			t.Errorf("deleting %s: %v", o.GetName(), err)
		}
	})
}
