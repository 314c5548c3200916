package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitImage(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		ref                 string
		repo, tag, dig, err string
	}{
		{ref: "busybox", repo: "busybox"},
		{ref: "busybox:1.36", repo: "busybox", tag: "1.36"},
		{ref: "127.0.0.1:5000/windlass/controller", repo: "127.0.0.1:5000/windlass/controller"},
		{ref: "127.0.0.1:5000/windlass/controller:v1", repo: "127.0.0.1:5000/windlass/controller", tag: "v1"},
		{ref: "127.0.0.1:5000/w/c@" + digest, repo: "127.0.0.1:5000/w/c", dig: digest},
		{ref: "r/c:v1@" + digest, repo: "r/c", tag: "v1", dig: digest},
		{ref: "r/c@sha256:abc", err: "64 hex digits"},
		{ref: "", err: "empty"},
		{ref: ":v1", err: "not an image reference"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			repo, tag, dig, err := SplitImage(tt.ref)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || repo != tt.repo || tag != tt.tag || dig != tt.dig {
				t.Fatalf("got (%q, %q, %q, %v), want (%q, %q, %q)", repo, tag, dig, err, tt.repo, tt.tag, tt.dig)
			}
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRenderSetsImagesWithoutTouchingTheTree(t *testing.T) {
	root := t.TempDir()
	kust := "resources: [../app]\nnamespace: ns1\n"
	write(t, filepath.Join(root, "default", "kustomization.yaml"), kust)
	write(t, filepath.Join(root, "app", "kustomization.yaml"), "resources: [pod.yaml]\n")
	write(t, filepath.Join(root, "app", "pod.yaml"),
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: controller}\n")
	digest := "sha256:" + strings.Repeat("0f", 32)

	out, err := Render(root, "default", map[string]string{"controller": "127.0.0.1:5000/w/controller@" + digest})
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{"image: 127.0.0.1:5000/w/controller@" + digest, "namespace: ns1"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered manifest lacks %q:\n%s", want, got)
		}
	}
	after, _ := os.ReadFile(filepath.Join(root, "default", "kustomization.yaml"))
	if string(after) != kust {
		t.Errorf("Render edited the on-disk kustomization: %q", after)
	}

	tagged, err := Render(root, "default", map[string]string{"controller": "reg/c:v2"})
	if err != nil || !strings.Contains(string(tagged), "image: reg/c:v2") {
		t.Errorf("tagged render = %v\n%s", err, tagged)
	}
	if _, err := Render(root, "missing", nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("render of a missing kustomization: got %v, want an error naming it", err)
	}
}
