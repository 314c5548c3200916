// Command trivy-scan is the step tool of the catalog's trivy-scan Task: it
// runs Trivy against an image straight from its registry, keeps the report as
// JSON and SARIF, writes the counts by severity as a result, and fails the
// step when a vulnerability at a gated severity is found.
package main

import "github.com/windlass-dev/windlass/tasks/toolkit"

func main() { toolkit.Main("trivy-scan", run) }
