package taskref

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/resolve"
)

// GetStepActions reads the StepActions spec's steps reference, in the run's
// namespace ns, by name. A missing one is a NotFoundError (Kind
// StepAction), handled as a missing Task is; other errors are transient.
func GetStepActions(ctx context.Context, c client.Reader, spec *windlassv1.TaskSpec, ns string) (map[string]*windlassv1.StepActionSpec, error) {
	refs := resolve.StepActionRefs(spec)
	if len(refs) == 0 {
		return nil, nil
	}
	out := make(map[string]*windlassv1.StepActionSpec, len(refs))
	for _, name := range refs {
		sa := &windlassv1.StepAction{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, sa); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, &NotFoundError{Kind: "StepAction", Name: name}
			}
			return nil, fmt.Errorf("getting StepAction %s/%s: %w", ns, name, err)
		}
		out[name] = &sa.Spec
	}
	return out, nil
}
