package taskrun

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/failure"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// Annotation prefixes that mark a Secret of the run's service account as a
// credential: windlass.dev/docker-0: https://registry, windlass.dev/git-0: https://host.
const (
	annotationDocker = "windlass.dev/docker-"
	annotationGit    = "windlass.dev/git-"
)

var credentialTypes = map[string][]corev1.SecretType{
	"docker": {corev1.SecretTypeDockerConfigJson, corev1.SecretTypeBasicAuth},
	"git":    {corev1.SecretTypeBasicAuth, corev1.SecretTypeSSHAuth},
}

// credentials lists the annotated Secrets of the run's service account. They
// are read straight from the API server (not cached: the controller must not
// hold every Secret of the cluster in memory) and only with get.
func (r *Reconciler) credentials(ctx context.Context, tr *windlassv1.TaskRun) ([]podspec.Credential, error) {
	reader := r.APIReader
	if reader == nil {
		return nil, nil
	}
	name := tr.Spec.ServiceAccountName
	if name == "" {
		name = "default"
	}
	sa := &corev1.ServiceAccount{}
	if err := reader.Get(ctx, client.ObjectKey{Namespace: tr.Namespace, Name: name}, sa); err != nil {
		if apierrors.IsNotFound(err) && tr.Spec.ServiceAccountName == "" {
			return nil, nil // a namespace without a default service account yet
		}
		if apierrors.IsNotFound(err) {
			// It may be created in a moment (applied with the run).
			return nil, failure.Transient(windlassv1.ReasonServiceAccountNotFound,
				fmt.Errorf("spec.serviceAccountName: service account %q not found", name))
		}
		return nil, fmt.Errorf("getting service account %s: %w", name, err)
	}
	var out []podspec.Credential
	for _, ref := range sa.Secrets {
		secret := &corev1.Secret{}
		if err := reader.Get(ctx, client.ObjectKey{Namespace: tr.Namespace, Name: ref.Name}, secret); err != nil {
			if apierrors.IsNotFound(err) {
				continue // listed on the account but gone: nothing to mount
			}
			return nil, fmt.Errorf("getting secret %s of service account %s: %w", ref.Name, name, err)
		}
		keys := make([]string, 0, len(secret.Annotations))
		for k := range secret.Annotations {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			kind := ""
			switch {
			case strings.HasPrefix(k, annotationDocker):
				kind = "docker"
			case strings.HasPrefix(k, annotationGit):
				kind = "git"
			default:
				continue
			}
			if !typeAllowed(kind, secret.Type) {
				return nil, fmt.Errorf("spec.serviceAccountName: secret %s of service account %s is annotated %s but has type %s; %s credentials need one of %v",
					secret.Name, name, k, secret.Type, kind, credentialTypes[kind])
			}
			out = append(out, podspec.Credential{Kind: kind, URL: secret.Annotations[k], SecretName: secret.Name, SecretType: secret.Type})
		}
	}
	return out, nil
}

func typeAllowed(kind string, t corev1.SecretType) bool {
	for _, a := range credentialTypes[kind] {
		if a == t {
			return true
		}
	}
	return false
}
