// Command deploy is the step tool of the catalog's deploy Task: it renders a
// kustomize overlay in-process, server-side applies it into the step's
// namespace with a rolling, blue-green or canary strategy, waits until it is
// current and smoke-checks it, prunes what the previous revision had, and on
// failure applies the previous revision again.
package main

import "github.com/windlass-dev/windlass/tasks/toolkit"

func main() { toolkit.Main("deploy", run) }
