// Command release renders the one-file install manifest from config/.
//
//	go run ./hack/release -o dist/install.yaml --image controller=127.0.0.1:5000/windlass/controller@sha256:...
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/windlass-dev/windlass/internal/release"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

type imageFlags map[string]string

func (m imageFlags) String() string { return fmt.Sprint(map[string]string(m)) }
func (m imageFlags) Set(v string) error {
	k, ref, ok := strings.Cut(v, "=")
	if !ok || k == "" || ref == "" {
		return fmt.Errorf("want NAME=REFERENCE, got %q", v)
	}
	m[k] = ref
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	root := fs.String("config", "config", "the kustomize tree")
	entry := fs.String("kustomization", "default", "the kustomization inside --config to render")
	out := fs.String("o", "-", "output file (- for stdout)")
	images := imageFlags{}
	fs.Var(images, "image", "NAME=REFERENCE: use REFERENCE for image NAME; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	data, err := release.Render(*root, *entry, images)
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}
