// Package release renders the install manifest from the kustomize tree in
// config/, with the images a build produced. It reads files and writes none.
package release

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Render builds the kustomization in root/entry (for example config, default)
// and points the named images at the given references: "repo@sha256:..." pins a
// digest, "repo:tag" a tag. The tree is copied into memory first, so the
// on-disk kustomization files are never edited.
func Render(root, entry string, images map[string]string) ([]byte, error) {
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(path.Join("/config", filepath.ToSlash(rel)), data)
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", root, err)
	}
	if !mem.Exists(path.Join("/config", entry, "kustomization.yaml")) {
		return nil, fmt.Errorf("no kustomization.yaml in %s", filepath.Join(root, entry))
	}
	overlay, err := overlayKustomization(path.Join("../config", entry), images)
	if err != nil {
		return nil, err
	}
	if err := mem.WriteFile("/release/kustomization.yaml", overlay); err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // the overlay's sortOptions decide: Namespaces first
	resmap, err := krusty.MakeKustomizer(opts).Run(mem, "/release")
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", filepath.Join(root, entry), err)
	}
	out, err := resmap.AsYaml()
	if err != nil {
		return nil, err
	}
	// Images named in flags and arguments (image://NAME) are not kustomize
	// image fields; replace them here, and refuse to leave one unresolved.
	for n, ref := range images {
		out = bytes.ReplaceAll(out, []byte("image://"+n), []byte(ref))
	}
	if m := imagePlaceholder.Find(out); m != nil && len(images) > 0 {
		return nil, fmt.Errorf("no image given for %s", m)
	}
	return out, nil
}

var imagePlaceholder = regexp.MustCompile(`image://[a-z0-9-]+`)

func overlayKustomization(base string, images map[string]string) ([]byte, error) {
	names := make([]string, 0, len(images))
	for n := range images {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsortOptions:\n  order: legacy\nresources:\n- %s\n", base)
	if len(names) > 0 {
		b.WriteString("images:\n")
	}
	for _, n := range names {
		repo, tag, digest, err := SplitImage(images[n])
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", n, err)
		}
		fmt.Fprintf(&b, "- name: %s\n  newName: %s\n", n, repo)
		if digest != "" {
			fmt.Fprintf(&b, "  digest: %s\n", digest)
		} else if tag != "" {
			fmt.Fprintf(&b, "  newTag: %q\n", tag)
		}
	}
	return []byte(b.String()), nil
}

// SplitImage splits "repo[:tag][@digest]" into its parts. A port in the
// registry host ("127.0.0.1:5000/x") is not mistaken for a tag.
func SplitImage(ref string) (repo, tag, digest string, err error) {
	if ref == "" {
		return "", "", "", fmt.Errorf("empty image reference")
	}
	repo = ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo, digest = repo[:i], repo[i+1:]
		if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
			return "", "", "", fmt.Errorf("%q: digest must be sha256 with 64 hex digits", ref)
		}
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	if repo == "" || strings.ContainsAny(repo, " \t") {
		return "", "", "", fmt.Errorf("%q: not an image reference", ref)
	}
	return repo, tag, digest, nil
}
