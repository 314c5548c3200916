// Command kustomize-commit is the step tool of the catalog's kustomize-commit
// Task: it points images at their digests in an overlay's kustomization.yaml
// in a config repository, commits and pushes, editing again on the new head
// when someone else pushed first.
package main

import "github.com/windlass-dev/windlass/tasks/toolkit"

func main() { toolkit.Main("kustomize-commit", run) }
