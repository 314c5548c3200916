package util

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
)

// ClientAs is a client that acts as user, in groups, by impersonation (as
// `kubectl --as USER --as-group GROUP` does): the API server authorizes the
// request and hands the admission policies that user's identity. cfg's own
// user must be allowed to impersonate. The scheme knows Windlass's kinds. An
// empty user is cfg's own.
func ClientAs(cfg *rest.Config, user string, groups ...string) (client.Client, error) {
	as := rest.CopyConfig(cfg)
	if user != "" {
		as.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	}
	scheme, err := manager.NewScheme()
	if err != nil {
		return nil, err
	}
	return client.New(as, client.Options{Scheme: scheme})
}

// installAdmission creates the admission policies of config/admission (the
// files its kustomization lists, as they are) and waits until the API server
// enforces them.
func installAdmission(cfg *rest.Config) error {
	dir := filepath.Join(RepoRoot(), "config", "admission")
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	c, err := ClientAs(cfg, "")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, f := range k.Resources {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			if err := c.Create(ctx, u); err != nil {
				return fmt.Errorf("installing %s %s from %s: %w", u.GetKind(), u.GetName(), f, err)
			}
		}
	}
	return waitApprovalPolicy(ctx, c)
}

// waitApprovalPolicy polls until the API server refuses what the approval
// policy forbids (an Approval created with a decision, as a dry run): a new
// policy takes a moment to reach the admission chain.
func waitApprovalPolicy(ctx context.Context, c client.Client) error {
	probe := &windlassv1.Approval{
		ObjectMeta: metav1.ObjectMeta{Name: "policy-probe", Namespace: "default"},
		Spec: windlassv1.ApprovalSpec{Approvers: []string{"probe"}, PipelineRun: "probe", PipelineTask: "probe",
			Decisions: []windlassv1.ApprovalDecision{{User: "probe", Decision: windlassv1.ApprovalApproved}}},
	}
	var last error
	for {
		last = c.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if apierrors.IsInvalid(last) || apierrors.IsForbidden(last) {
			if strings.Contains(last.Error(), "must be created without decisions") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return fmt.Errorf("the approval admission policy is not enforced after 30s: an Approval with a decision is still accepted")
			}
			return fmt.Errorf("the approval admission policy is not enforced after 30s (last answer: %w)", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
