package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func mkTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "bin", "tool"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(os.Symlink("tool", filepath.Join(dir, "bin", "alias")))
	must(os.MkdirAll(filepath.Join(dir, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(dir, "tmp"), 0o777|os.ModeSticky))
	return dir
}

type tarEntry struct {
	typ  byte
	mode int64
	link string
	body string
}

func readTar(t *testing.T, data []byte) map[string]tarEntry {
	t.Helper()
	out := map[string]tarEntry{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("%s: owner %d:%d mtime %v, want 0:0 at the epoch", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		out[h.Name] = tarEntry{typ: h.Typeflag, mode: h.Mode, link: h.Linkname, body: string(body)}
	}
}

func TestTarLayerContentsAndDeterminism(t *testing.T) {
	dir := mkTree(t)
	extra := filepath.Join(t.TempDir(), "controller")
	if err := os.WriteFile(extra, []byte("ELF"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := collect([]string{dir}, []string{extra + ":/usr/local/bin/controller"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := tarLayer(entries)
	if err != nil {
		t.Fatal(err)
	}
	got := readTar(t, data)
	want := map[string]tarEntry{
		"bin/":                     {typ: tar.TypeDir, mode: 0o755},
		"bin/tool":                 {typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\necho hi\n"},
		"bin/alias":                {typ: tar.TypeSymlink, mode: 0o777, link: "tool"},
		"tmp/":                     {typ: tar.TypeDir, mode: 0o1777},
		"usr/":                     {typ: tar.TypeDir, mode: 0o755},
		"usr/local/":               {typ: tar.TypeDir, mode: 0o755},
		"usr/local/bin/":           {typ: tar.TypeDir, mode: 0o755},
		"usr/local/bin/controller": {typ: tar.TypeReg, mode: 0o755, body: "ELF"},
	}
	if len(got) != len(want) {
		t.Errorf("layer has %d entries, want %d: %v", len(got), len(want), got)
	}
	for n, w := range want {
		if g, ok := got[n]; !ok || g != w {
			t.Errorf("%s: got %+v (present %v), want %+v", n, g, ok, w)
		}
	}
	again, err := tarLayer(entries)
	if err != nil || !bytes.Equal(data, again) {
		t.Errorf("two builds of the same tree differ (err %v)", err)
	}
}

func TestCollectRejectsBadFlags(t *testing.T) {
	dir := mkTree(t)
	for _, tc := range []struct{ file, want string }{
		{file: filepath.Join(dir, "bin", "tool"), want: "want SRC:DEST"},
		{file: filepath.Join(dir, "bin") + ":/x", want: "use --dir"},
		{file: filepath.Join(dir, "nope") + ":/x", want: "no such file"},
	} {
		if _, err := collect(nil, []string{tc.file}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--file %s: got %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3"})
	if strings.Join(got, " ") != "PATH=/bin A=2 B=3" {
		t.Fatalf("got %v", got)
	}
	if got := mergeEnv(nil, nil); len(got) != 1 || !strings.HasPrefix(got[0], "PATH=") {
		t.Fatalf("empty env should get a default PATH, got %v", got)
	}
}

// TestRegistryKeepsManifestsAcrossRestarts pushes an image, restarts the registry
// on the same directory and pulls the image back by tag and digest.
func TestRegistryKeepsManifestsAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	img, err := buildImage(ctx, imageSpec{Dirs: []string{mkTree(t)}, Entrypoint: []string{"/bin/tool"}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()

	h, closeJ, err := newRegistryHandler(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/windlass/test:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_ = closeJ()

	h2, closeJ2, err := newRegistryHandler(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeJ2() }()
	srv2 := httptest.NewServer(h2)
	defer srv2.Close()
	host := strings.TrimPrefix(srv2.URL, "http://")
	for _, r := range []string{host + "/windlass/test:v1", host + "/windlass/test@" + want.String()} {
		ref, _ := name.ParseReference(r, name.Insecure)
		got, err := remote.Image(ref)
		if err != nil {
			t.Fatalf("pulling %s after restart: %v", r, err)
		}
		if d, _ := got.Digest(); d != want {
			t.Fatalf("%s: digest %s, want %s", r, d, want)
		}
		cf, err := got.ConfigFile()
		if err != nil || strings.Join(cf.Config.Entrypoint, " ") != "/bin/tool" || cf.OS != "linux" {
			t.Fatalf("%s: config %+v (%v)", r, cf, err)
		}
		layers, _ := got.Layers()
		if len(layers) != 1 {
			t.Fatalf("%s: %d layers, want 1", r, len(layers))
		}
		if _, err := layers[0].Compressed(); err != nil {
			t.Fatalf("%s: layer blob unreadable after restart: %v", r, err)
		}
	}
}
