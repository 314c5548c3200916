// Package demo is the flow of `make demo` (hack/demo) and of the e2e test
// TestDemoPushToProdRollbackAndGate: config/samples/gitops set up on a cluster
// with the local git server (namespaces, pipeline, listener, repositories,
// webhook), releases pushed to the app repository, and what each push does
// followed to its end, approvals included.
package demo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// placeholder is how the samples name what only the demo knows: ${NAME}.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]*)\}`)

// Expand fills in the samples' ${NAME} placeholders from vars. A placeholder
// vars lacks is an error naming it (and every other one missing), so a sample
// never reaches the cluster half filled in. $(...) and $name are left alone:
// they are Windlass's and the shell's.
func Expand(text string, vars map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for %s", "${"+strings.Join(missing, "}, ${")+"}")
	}
	return out, nil
}

// Manifests expands a multi-document YAML file and decodes each document.
func Manifests(path string, vars map[string]string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text, err := Expand(string(data), vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(text)), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("%s: a document without kind or metadata.name", path)
		}
		objs = append(objs, u)
	}
}

// Tree reads every file under dir (relative slash paths to contents),
// expanding placeholders when vars is not nil.
func Tree(dir string, vars map[string]string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		text := string(data)
		if vars != nil {
			if text, err = Expand(text, vars); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		}
		files[filepath.ToSlash(rel)] = text
		return nil
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("%s holds no files", dir)
	}
	return files, err
}

// Untagged is an image reference without its tag: REPOSITORY@DIGEST for
// REPOSITORY:TAG@DIGEST (what the build reports) as kustomize-commit writes
// it into the overlays. A registry's port is not a tag.
func Untagged(ref string) string {
	name, digest, ok := strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	if ok {
		return name + "@" + digest
	}
	return name
}
