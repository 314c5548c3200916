// Command bundle publishes every Task of a rendered catalog file as an OCI
// bundle (Tekton's bundle contract: one layer per object, annotated
// dev.tekton.image.{apiVersion,kind,name}, holding the object as JSON), so a
// run can refer to it with taskRef {resolver: bundles}.
//
//	go run ./hack/bundle --catalog dist/catalog.yaml --push 127.0.0.1:5000/windlass/catalog
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/controllers/taskref"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	catalog := fs.String("catalog", "dist/catalog.yaml", "the rendered catalog (make catalog)")
	push := fs.String("push", "", "repository prefix; each Task goes to PREFIX/NAME:VERSION")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *push == "" {
		return fmt.Errorf("--push is required")
	}
	data, err := os.ReadFile(*catalog)
	if err != nil {
		return err
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var tm struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return err
		}
		if tm.Kind != "Task" {
			continue
		}
		task := &windlassv1.Task{}
		if err := yaml.UnmarshalStrict([]byte(doc), task); err != nil {
			return err
		}
		version := task.Labels["app.kubernetes.io/version"]
		if version == "" {
			return fmt.Errorf("catalog Task %s has no app.kubernetes.io/version label", task.Name)
		}
		img, err := taskref.Bundle(task)
		if err != nil {
			return err
		}
		ref, err := name.ParseReference(fmt.Sprintf("%s/%s:%s", *push, task.Name, version), name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Write(ref, img); err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
		d, _ := img.Digest()
		fmt.Fprintf(out, "%s=%s@%s\n", task.Name, ref, d)
	}
	return nil
}
