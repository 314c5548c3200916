package compat

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Example is one YAML file of Tekton's examples/v1.
type Example struct {
	Path string // relative to examples/v1: taskruns/alpha/x.yaml
	Tier string // stable, beta or alpha
}

// Excluded are the stable examples the tier does not require to pass, each
// with the reason, in this one place: what they need cannot be had offline.
// They are not run.
var Excluded = map[string]string{
	"pipelineruns/pipelinerun.yaml": "clones github.com/GoogleContainerTools/skaffold and builds it with Kaniko " +
		"(needs the internet)",
	"pipelineruns/pipelinerun-with-final-tasks.yaml": "clones github.com/tektoncd/community (needs the internet)",
	"taskruns/dind-sidecar.yaml": "its Docker daemon pulls busybox from Docker Hub, and builds FROM it " +
		"(needs the internet)",
}

// Examples lists the examples under dir (examples/v1 of the Tekton module):
// taskruns and pipelineruns, stable and their beta and alpha directories, not
// no-ci (which Tekton's own CI does not run either).
func Examples(dir string) ([]Example, error) {
	var out []Example
	for _, kind := range []string{"taskruns", "pipelineruns"} {
		for _, tier := range []string{"stable", "beta", "alpha"} {
			sub := filepath.Join(dir, kind)
			if tier != "stable" {
				sub = filepath.Join(sub, tier)
			}
			files, err := filepath.Glob(filepath.Join(sub, "*.yaml"))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				rel, err := filepath.Rel(dir, f)
				if err != nil {
					return nil, err
				}
				out = append(out, Example{Path: filepath.ToSlash(rel), Tier: tier})
			}
		}
	}
	slices.SortFunc(out, func(a, b Example) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// ExamplesDir is examples/v1 of the github.com/tektoncd/pipeline version go.mod names.
func ExamplesDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tektoncd/pipeline").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/tektoncd/pipeline: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "examples", "v1")
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}
