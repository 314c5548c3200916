package main

import (
	"strings"
	"testing"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

const overlay = `# dev: what runs in the dev namespace
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: dev # the dev namespace
resources:
  - ../../base
images:
  # the app; the pipeline sets it
  - name: app # keep me
    newName: registry.example/app
    newTag: "1.0"
  - name: sidecar
    newName: busybox
    digest: sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
# the end
`

func TestSetImages(t *testing.T) {
	tests := []struct {
		name, in string
		images   []string
		want     string // the whole file; "" means unchanged
	}{
		{
			name:   "existing entry updated, tag dropped, comments and sequence indent kept",
			in:     overlay,
			images: []string{"app=10.88.0.1:5000/e2e/app:v2@" + digestA},
			want: strings.Replace(overlay, `    newName: registry.example/app
    newTag: "1.0"
`, `    newName: 10.88.0.1:5000/e2e/app
    digest: `+digestA+"\n", 1),
		},
		{
			name:   "new entry appended after the others",
			in:     overlay,
			images: []string{"worker=registry.example/worker@" + digestB},
			want:   strings.Replace(overlay, "# the end\n", "  - name: worker\n    newName: registry.example/worker\n    digest: "+digestB+"\n# the end\n", 1),
		},
		{
			name:   "already there: unchanged, byte for byte",
			in:     overlay,
			images: []string{"sidecar=busybox@sha256:" + strings.Repeat("c", 64)},
		},
		{
			name:   "no images list yet: made, compact style",
			in:     "resources:\n- a.yaml # the app\n",
			images: []string{"app=r/app@" + digestA},
			want:   "resources:\n- a.yaml # the app\nimages:\n- name: app\n  newName: r/app\n  digest: " + digestA + "\n",
		},
		{
			name:   "an empty images: is filled",
			in:     "resources: [a.yaml]\nimages:\n",
			images: []string{"app=r/app@" + digestA},
			want:   "resources: [a.yaml]\nimages:\n- name: app\n  newName: r/app\n  digest: " + digestA + "\n",
		},
		{
			name:   "a newName equal to the repository and another digest",
			in:     "images:\n- name: app\n  newName: r/app\n  digest: " + digestB + " # old\n",
			images: []string{"app=r/app@" + digestA},
			want:   "images:\n- name: app\n  newName: r/app\n  digest: " + digestA + " # old\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imgs, err := parseImages(tt.images)
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := setImages([]byte(tt.in), imgs)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if changed != (tt.want != "") {
				t.Errorf("changed = %v, want %v", changed, tt.want != "")
			}
			if string(out) != want {
				t.Errorf("got:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

func TestSetImagesRefusesWhatIsNotAKustomization(t *testing.T) {
	imgs, _ := parseImages([]string{"app=r/app@" + digestA})
	for in, want := range map[string]string{
		"":              "the file is empty",
		"- a\n- b\n":    "not a mapping",
		"images: app\n": "images: is not a list",
		"images:\n- name: a\n  newName: [x]\n- name: app\n  newName: {x: 1}\n": "images: app: newName is not a string",
		"a: [\n": "not YAML",
	} {
		if _, _, err := setImages([]byte(in), imgs); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error containing %q", in, err, want)
		}
	}
}

func TestParseImages(t *testing.T) {
	imgs, err := parseImages([]string{"", "app=registry:5000/team/app:1.2@" + digestA, "ghcr.io/x/y=ghcr.io/x/y@" + digestB})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0] != (image{"app", "registry:5000/team/app", digestA}) || imgs[1] != (image{"ghcr.io/x/y", "ghcr.io/x/y", digestB}) {
		t.Fatalf("got %+v", imgs)
	}
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{[]string{"app"}, `image "app": want NAME=REPOSITORY@sha256:DIGEST`},
		{[]string{"=r/app@" + digestA}, `want NAME=REPOSITORY@sha256:DIGEST`},
		{[]string{"app="}, `want NAME=REPOSITORY@sha256:DIGEST`},
		{[]string{"app=registry:5000/app:1.2"}, `image "app=registry:5000/app:1.2" is not pinned by a digest`},
		{[]string{"app=r/app@sha256:abc"}, `"sha256:abc" is not a sha256 digest`},
		{[]string{"app=r/app@sha512:" + strings.Repeat("a", 128)}, `is not a sha256 digest`},
		{[]string{"app=R/App@" + digestA}, `repository "R/App"`},
		{[]string{"app=r/a@" + digestA, "app=r/b@" + digestB}, "app is given twice"},
		{[]string{""}, "no images given"},
		{nil, "no images given"},
	} {
		_, err := parseImages(tt.words)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !toolkit.IsUsage(err) {
			t.Errorf("%q: got %v, want a usage error containing %q", tt.words, err, tt.want)
		}
	}
}
