// Package lint validates Windlass YAML offline with the code the API server
// and the controller use: the embedded CRDs' schemas (unknown fields,
// required fields, patterns, CEL rules) and the controller's pure checks
// (internal/resolve, internal/pipeline, internal/podspec, internal/approval).
package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Problem is one error found in a file.
type Problem struct {
	File    string
	Line    int
	Field   string // a field path, or empty
	Message string
	// Object is the index of the object at fault among those given to
	// Objects; -1 for a problem of the file.
	Object int
}

func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Message)
}

// Object is one YAML document of a file.
type Object struct {
	File string
	Line int          // the line the document starts on
	Node *yamlv3.Node // the document, for field positions
	Obj  map[string]any
	GVK  schema.GroupVersionKind
	Name string

	index int // among the objects given to Objects
}

// Read splits a file's documents into objects; empty documents are skipped.
// A document that is not YAML is a problem.
func Read(file string, data []byte) ([]Object, []Problem) {
	var objs []Object
	var probs []Problem
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var doc yamlv3.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			probs = append(probs, Problem{File: file, Line: yamlErrorLine(err), Message: err.Error(), Object: -1})
			break
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind == yamlv3.ScalarNode && doc.Content[0].Tag == "!!null" {
			continue
		}
		line := doc.Content[0].Line
		raw, err := yamlv3.Marshal(doc.Content[0])
		if err == nil {
			raw, err = yaml.YAMLToJSON(raw)
		}
		var obj map[string]any
		if err == nil {
			err = utiljson.Unmarshal(raw, &obj)
		}
		if err != nil || obj == nil {
			probs = append(probs, Problem{File: file, Line: line, Message: fmt.Sprintf("not a Kubernetes object: %v", orText(err, "not a mapping")), Object: -1})
			continue
		}
		o := Object{File: file, Line: line, Node: &doc, Obj: obj}
		apiVersion, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		o.GVK = schema.FromAPIVersionAndKind(apiVersion, kind)
		if md, ok := obj["metadata"].(map[string]any); ok {
			o.Name, _ = md["name"].(string)
		}
		objs = append(objs, o)
	}
	return objs, probs
}

func orText(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n
		}
	}
	return 1
}

// Paths lints files and directories (every *.yaml and *.yml below them, in
// lexical order). An error is returned only for a path that cannot be read.
func Paths(ctx context.Context, paths []string) ([]Problem, error) {
	files, err := YAMLFiles(paths)
	if err != nil {
		return nil, err
	}
	var objs []Object
	var probs []Problem
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		o, p := Read(f, data)
		objs = append(objs, o...)
		probs = append(probs, p...)
	}
	return append(probs, Objects(ctx, objs)...), nil
}

// YAMLFiles expands directories into the YAML files below them.
func YAMLFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, nil
}

// Objects lints the Windlass objects among objs (others are skipped) together: a TaskRun or Pipeline that references a
// Task by name is checked against that Task when it is among them.
func Objects(ctx context.Context, objs []Object) []Problem {
	schemas, err := loadSchemas()
	if err != nil {
		return []Problem{{File: "(built in)", Message: fmt.Sprintf("the embedded CRDs: %v", err), Object: -1}}
	}
	var probs []Problem
	var valid []*Object
	for i := range objs {
		o := &objs[i]
		o.index = i
		s, ok := schemas[o.GVK]
		if !ok {
			if msg := kindMessage(o.GVK); msg != "" {
				probs = append(probs, o.problem("", msg))
			}
			continue
		}
		if md, ok := o.Obj["metadata"].(map[string]any); ok {
			if s.namespaced && md["namespace"] == nil {
				md["namespace"] = lintNamespace // as kubectl sets it
			}
			if gn, _ := md["generateName"].(string); gn != "" && md["name"] == nil {
				md["name"] = gn + "lint0" // as the API server makes one before it validates
			}
		}
		errs := s.validate(ctx, o.Obj)
		for _, e := range errs {
			probs = append(probs, o.fieldProblem(e))
		}
		if len(errs) == 0 {
			valid = append(valid, o)
		}
	}
	probs = append(probs, check(valid)...)
	slices.SortStableFunc(probs, func(a, b Problem) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return probs
}

func kindMessage(gvk schema.GroupVersionKind) string {
	switch {
	case gvk.Kind == "" && gvk.Version == "":
		return "" // not a Kubernetes object (a patch, a config file): skipped
	case gvk.Kind == "" || gvk.Version == "":
		return "apiVersion and kind: both are required"
	case gvk.Group == "tekton.dev" || gvk.Group == "triggers.tekton.dev":
		return fmt.Sprintf("%s %s is Tekton's: convert it with 'windlass import'", gvk.GroupVersion(), gvk.Kind)
	case strings.HasSuffix(gvk.Group, "windlass.dev"):
		return fmt.Sprintf("%s %s is not a Windlass kind", gvk.GroupVersion(), gvk.Kind)
	}
	return "" // another API's object, among Windlass's in a directory
}

func (o *Object) problem(path, msg string) Problem {
	return Problem{File: o.File, Line: o.line(path), Field: path, Message: msg, Object: o.index}
}

func (o *Object) line(path string) int {
	if path == "" {
		return o.Line
	}
	return Line(o.Node, path)
}

// fieldProblem turns an API error into a problem at the field's line.
func (o *Object) fieldProblem(e *field.Error) Problem {
	msg := e.ErrorBody()
	if e.Type == field.ErrorTypeNotSupported && strings.HasPrefix(e.Detail, "unknown field") {
		msg = e.Detail
	}
	return o.problem(e.Field, msg)
}
