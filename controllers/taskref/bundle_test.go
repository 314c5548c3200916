package taskref

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestBundleRoundTripThroughARegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	task := &windlassv1.Task{ObjectMeta: metav1.ObjectMeta{Name: "git-clone", Namespace: "windlass-catalog", UID: "u-1",
		Labels: map[string]string{"app.kubernetes.io/version": "0.1"}},
		Spec: windlassv1.TaskSpec{Steps: []windlassv1.Step{{Name: "clone", Image: "r/git-clone@sha256:" + strings.Repeat("a", 64)}}}}
	img, err := Bundle(task)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/windlass/catalog/git-clone:0.1"
	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	o := Options{Bundles: &RegistryFetcher{}}
	bundleRef := func(bundle, n string) *windlassv1.TaskRef {
		return &windlassv1.TaskRef{Resolver: "bundles", Params: []windlassv1.Param{str("bundle", bundle), str("name", n), str("kind", "task")}}
	}
	got, src, err := Get(context.Background(), nil, bundleRef(ref, "git-clone"), "team", o)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "git-clone" || got.Namespace != "" || got.UID != "" || got.Spec.Steps[0].Image != task.Spec.Steps[0].Image {
		t.Errorf("task from the bundle: %+v", got)
	}
	if src.URI != host+"/windlass/catalog/git-clone:0.1@"+digest.String() || src.Digest["sha256"] != digest.Hex {
		t.Errorf("source %+v", src)
	}
	// By digest, a second resolution is served from memory: the registry may be gone.
	pinned := host + "/windlass/catalog/git-clone@" + digest.String()
	if _, _, err := Get(context.Background(), nil, bundleRef(pinned, "git-clone"), "team", o); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, _, err := Get(context.Background(), nil, bundleRef(pinned, "git-clone"), "team", o); err != nil {
		t.Fatalf("a digest-pinned bundle was pulled again: %v", err)
	}

	srv2 := httptest.NewServer(registry.New())
	defer srv2.Close()
	host2 := strings.TrimPrefix(srv2.URL, "http://")
	r2, _ := name.ParseReference(host2 + "/b:1")
	if err := remote.Write(r2, img); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ref      *windlassv1.TaskRef
		notFound bool
		want     string
	}{
		{ref: bundleRef(host2+"/b:1", "buildkit-build"), notFound: true, want: `no task "buildkit-build" in it (it has: task/git-clone)`},
		{ref: bundleRef(host2+"/missing:1", "git-clone"), notFound: true, want: "bundle " + host2 + "/missing:1"},
		{ref: bundleRef("not a reference", "git-clone"), want: `taskRef.params bundle "not a reference"`},
	} {
		_, _, err := Get(context.Background(), nil, tt.ref, "team", o)
		if err == nil || !strings.Contains(err.Error(), tt.want) || IsNotFound(err) != tt.notFound {
			t.Errorf("%v: got %v (not found: %v), want %q (not found: %v)", tt.ref.Params[0].Value.StringVal, err, IsNotFound(err), tt.want, tt.notFound)
		}
	}
	if _, _, err := Get(context.Background(), nil, bundleRef(ref, "git-clone"), "team", Options{}); !IsPermanent(err) {
		t.Errorf("bundles without a fetcher: %v", err)
	}
}
