package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opencontainers/go-digest"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// image is one IMAGES word: the image name the manifests use, to be pointed
// at repo@digest.
type image struct{ name, repo, digest string }

func (i image) String() string { return i.name + "=" + i.repo + "@" + i.digest }

// parseImages reads NAME=REPO@sha256:HEX words (a tag before the digest is
// dropped). An image that is not pinned by a digest is refused by name: a
// tag alone can change under a deployment.
func parseImages(words []string) ([]image, error) {
	var out []image
	seen := map[string]bool{}
	for _, w := range words {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		n, ref, ok := strings.Cut(w, "=")
		if !ok || n == "" || ref == "" || strings.ContainsAny(n, " \t\n") {
			return nil, toolkit.Usagef("image %q: want NAME=REPOSITORY@sha256:DIGEST", w)
		}
		at := strings.LastIndex(ref, "@")
		if at < 0 {
			return nil, toolkit.Usagef("image %q is not pinned by a digest: want NAME=REPOSITORY@sha256:DIGEST (a tag can move under the deployment)", w)
		}
		repo, d := ref[:at], ref[at+1:]
		parsed, err := digest.Parse(d)
		if err != nil || parsed.Algorithm() != digest.SHA256 {
			return nil, toolkit.Usagef("image %q: %q is not a sha256 digest (want sha256: and 64 hex digits)", w, d)
		}
		if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
			repo = repo[:i] // the tag: the digest says which image it is
		}
		if _, err := name.NewRepository(repo); err != nil {
			return nil, toolkit.Usagef("image %q: repository %q: %v", w, repo, err)
		}
		if seen[n] {
			return nil, toolkit.Usagef("image %q: %s is given twice", w, n)
		}
		seen[n] = true
		out = append(out, image{name: n, repo: repo, digest: parsed.String()})
	}
	if len(out) == 0 {
		return nil, toolkit.Usagef("no images given: pass NAME=REPOSITORY@sha256:DIGEST after --")
	}
	return out, nil
}

// setImages points each image at its repository and digest in the images:
// list of a kustomization (newName and digest; a newTag is removed), adding
// an entry for an image it does not list. Comments and the order of
// everything else are kept. It returns the new file and whether anything
// changed; an unchanged file is returned as it was, byte for byte.
func setImages(data []byte, imgs []image) ([]byte, bool, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, false, fmt.Errorf("the file is empty")
	}
	doc, err := yaml.Parse(string(data))
	if err != nil {
		return nil, false, fmt.Errorf("not YAML: %w", err)
	}
	if doc.YNode().Kind != yaml.MappingNode {
		return nil, false, fmt.Errorf("not a kustomization: the document is not a mapping")
	}
	if f := doc.Field("images"); f != nil && yaml.IsMissingOrNull(f.Value) {
		if err := doc.PipeE(yaml.Clear("images")); err != nil { // "images:" with nothing after it
			return nil, false, err
		}
	}
	list, err := doc.Pipe(yaml.LookupCreate(yaml.SequenceNode, "images"))
	if err != nil {
		return nil, false, fmt.Errorf("images: %w", err)
	}
	if list.YNode().Kind != yaml.SequenceNode {
		return nil, false, fmt.Errorf("images: is not a list")
	}
	changed := false
	for _, img := range imgs {
		entry := list.Element("name", img.name)
		if entry == nil {
			entry = yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode})
			if err := entry.PipeE(yaml.SetField("name", yaml.NewStringRNode(img.name))); err != nil {
				return nil, false, err
			}
			list.YNode().Content = append(list.YNode().Content, entry.YNode())
			changed = true
		}
		for _, kv := range [][2]string{{"newName", img.repo}, {"digest", img.digest}} {
			c, err := setScalar(entry, kv[0], kv[1])
			if err != nil {
				return nil, false, fmt.Errorf("images: %s: %w", img.name, err)
			}
			changed = changed || c
		}
		if entry.Field("newTag") != nil {
			if err := entry.PipeE(yaml.Clear("newTag")); err != nil {
				return nil, false, err
			}
			changed = true
		}
	}
	if !changed {
		return data, false, nil
	}
	var buf bytes.Buffer
	style := yaml.SequenceIndentStyle(yaml.DeriveSeqIndentStyle(string(data)))
	enc := yaml.NewEncoderWithOptions(&buf, &yaml.EncoderOptions{SeqIndent: style})
	if err := enc.Encode(doc.Document()); err != nil {
		return nil, false, err
	}
	if err := enc.Close(); err != nil {
		return nil, false, err
	}
	return buf.Bytes(), true, nil
}

// setScalar sets field of a mapping to value, editing an existing scalar in
// place so that its comments and quoting stay.
func setScalar(m *yaml.RNode, field, value string) (bool, error) {
	if f := m.Field(field); f != nil {
		if f.Value.YNode().Kind != yaml.ScalarNode {
			return false, fmt.Errorf("%s is not a string", field)
		}
		if f.Value.YNode().Value == value {
			return false, nil
		}
		f.Value.YNode().Value = value
		f.Value.YNode().Tag = "!!str"
		return true, nil
	}
	return true, m.PipeE(yaml.SetField(field, yaml.NewStringRNode(value)))
}
