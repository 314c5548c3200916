package taskrun

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/windlass-dev/windlass/internal/podspec"
)

// RegistryLookup reads an image's entrypoint and cmd from its registry, caching
// configurations by digest: a tag is resolved with one HEAD request, a known
// digest costs nothing.
type RegistryLookup struct {
	// Insecure allows plain-HTTP registries (the local test registry).
	Insecure bool
	mu       sync.Mutex
	byDigest map[string]podspec.ImageConfig
}

// Config implements ImageLookup. Pull secrets are not consulted yet: private
// registries need the step's command set explicitly.
func (l *RegistryLookup) Config(ctx context.Context, image, _ string, _ []string) (podspec.ImageConfig, error) {
	var opts []name.Option
	if l.Insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(image, opts...)
	if err != nil {
		return podspec.ImageConfig{}, err
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	digest := ""
	if d, ok := ref.(name.Digest); ok {
		digest = d.DigestStr()
	} else {
		desc, err := remote.Head(ref, ropts...)
		if err != nil {
			return podspec.ImageConfig{}, err
		}
		digest = desc.Digest.String()
	}
	key := ref.Context().Name() + "@" + digest
	l.mu.Lock()
	cfg, ok := l.byDigest[key]
	l.mu.Unlock()
	if ok {
		return cfg, nil
	}
	img, err := remote.Image(ref.Context().Digest(digest), ropts...)
	if err != nil {
		return podspec.ImageConfig{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return podspec.ImageConfig{}, fmt.Errorf("reading the image configuration: %w", err)
	}
	cfg = podspec.ImageConfig{Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd}
	l.mu.Lock()
	if l.byDigest == nil {
		l.byDigest = map[string]podspec.ImageConfig{}
	}
	l.byDigest[key] = cfg
	l.mu.Unlock()
	return cfg, nil
}
