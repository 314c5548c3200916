// Command buildkit-build is the step tool of the catalog's buildkit-build
// Task: it drives a buildkitd (the Task's sidecar, or a shared one) with the
// BuildKit client and the built-in Dockerfile frontend, pushes the image and
// writes its URL and digest as results.
package main

import "github.com/windlass-dev/windlass/tasks/toolkit"

func main() { toolkit.Main("buildkit-build", run) }
