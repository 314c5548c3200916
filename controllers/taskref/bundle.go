package taskref

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/failure"
)

// Tekton's bundle contract: each layer of a bundle image holds one object,
// named by these annotations on the layer's descriptor.
const (
	BundleAPIVersionAnnotation = "dev.tekton.image.apiVersion"
	BundleKindAnnotation       = "dev.tekton.image.kind"
	BundleNameAnnotation       = "dev.tekton.image.name"
)

// Fetcher pulls a bundle.
type Fetcher interface {
	Fetch(ctx context.Context, ref string) (*Pulled, error)
}

// Pulled is a bundle read into memory: its digest and, per layer, the
// annotations and the one file the layer holds.
type Pulled struct {
	Digest v1.Hash
	Layers []PulledLayer
}

// PulledLayer is one object of a bundle.
type PulledLayer struct {
	Annotations map[string]string
	Data        []byte
}

// maxBundleLayers is Tekton's limit on the objects of one bundle.
const maxBundleLayers = 20

// Read pulls every layer of img into memory.
func Read(img v1.Image) (*Pulled, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading its manifest: %w", err)
	}
	if len(m.Layers) > maxBundleLayers {
		return nil, fmt.Errorf("%d layers; a bundle holds at most %d objects", len(m.Layers), maxBundleLayers)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	p := &Pulled{Digest: d}
	for i, desc := range m.Layers {
		data, err := firstFile(layers[i])
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		p.Layers = append(p.Layers, PulledLayer{Annotations: desc.Annotations, Data: data})
	}
	return p, nil
}

// BundleNotFoundError is a bundle or an object in it that does not exist.
type BundleNotFoundError struct{ Bundle, Msg string }

func (e *BundleNotFoundError) Error() string { return fmt.Sprintf("bundle %s: %s", e.Bundle, e.Msg) }

// FromBundle finds the Task called name in a pulled bundle and decodes it.
func FromBundle(b *Pulled, bundle, name string) (*windlassv1.Task, error) {
	task := &windlassv1.Task{}
	return task, fromBundleLayer(b, bundle, "Task", name, task)
}

// fromBundleLayer decodes the object of kind called name in a pulled bundle into obj.
func fromBundleLayer(b *Pulled, bundle, kind, name string, obj client.Object) error {
	var have []string
	lower := strings.ToLower(kind)
	for _, l := range b.Layers {
		k, n := l.Annotations[BundleKindAnnotation], l.Annotations[BundleNameAnnotation]
		have = append(have, k+"/"+n)
		if !strings.EqualFold(k, kind) || n != name {
			continue
		}
		if v := l.Annotations[BundleAPIVersionAnnotation]; v != windlassv1.GroupVersion.String() {
			return &InvalidError{Msg: fmt.Sprintf("bundle %s: %s %s is %s, not %s", bundle, lower, name, v, windlassv1.GroupVersion)}
		}
		if err := json.Unmarshal(l.Data, obj); err != nil {
			return &InvalidError{Msg: fmt.Sprintf("bundle %s: %s %s: %v", bundle, lower, name, err)}
		}
		if got := obj.GetObjectKind().GroupVersionKind().Kind; got != kind || obj.GetName() != name {
			return &InvalidError{Msg: fmt.Sprintf("bundle %s: the layer annotated %s %s holds %s %q", bundle, lower, name, got, obj.GetName())}
		}
		return nil
	}
	return &BundleNotFoundError{Bundle: bundle, Msg: fmt.Sprintf("no %s %q in it (it has: %s)", lower, name, strings.Join(have, ", "))}
}

// firstFile reads the one file a bundle layer's tar holds.
func firstFile(l v1.Layer) ([]byte, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		return nil, fmt.Errorf("reading the layer: %w", err)
	}
	return io.ReadAll(io.LimitReader(tr, 4<<20))
}

// RegistryFetcher pulls bundles from their registries (anonymously or with
// the controller's keychain) and keeps those named by digest, which cannot
// change, in memory.
type RegistryFetcher struct {
	// Insecure allows plain-HTTP registries beyond loopback and RFC 1918 ones.
	Insecure bool
	cache    sync.Map // digest reference -> *Pulled
}

// Fetch pulls ref. A registry's "not found" (or "denied") is a
// BundleNotFoundError; other failures are transient.
func (f *RegistryFetcher) Fetch(ctx context.Context, ref string) (*Pulled, error) {
	var opts []name.Option
	if f.Insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, &InvalidError{Msg: fmt.Sprintf("taskRef.params bundle %q: %v", ref, err)}
	}
	_, pinned := r.(name.Digest)
	if pinned {
		if p, ok := f.cache.Load(r.String()); ok {
			return p.(*Pulled), nil
		}
	}
	img, err := remote.Image(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err == nil {
		var p *Pulled
		if p, err = Read(img); err == nil {
			if pinned {
				f.cache.Store(r.String(), p)
			}
			return p, nil
		}
	}
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == 404 || te.StatusCode == 401 || te.StatusCode == 403) {
		return nil, &BundleNotFoundError{Bundle: ref, Msg: err.Error()}
	}
	// The registry down, 5xx, a timeout: it may come back.
	return nil, failure.Transient(windlassv1.ReasonRegistryUnavailable, fmt.Errorf("pulling bundle %s: %w", ref, err))
}

// Bundle is the OCI image of one Task under Tekton's bundle contract (what
// make catalog publishes; FromBundle reads it).
func Bundle(task *windlassv1.Task) (v1.Image, error) {
	obj := task.DeepCopy()
	obj.APIVersion, obj.Kind = windlassv1.GroupVersion.String(), "Task"
	// Only what describes the Task travels: not the namespace, uid or status of the copy it came from.
	obj.ObjectMeta = metav1.ObjectMeta{Name: task.Name, Labels: task.Labels, Annotations: task.Annotations}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: obj.Name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.Append(img, mutate.Addendum{
		Layer: static.NewLayer(buf.Bytes(), types.OCILayer),
		Annotations: map[string]string{
			BundleAPIVersionAnnotation: obj.APIVersion,
			BundleKindAnnotation:       "task",
			BundleNameAnnotation:       obj.Name,
		},
	})
}
