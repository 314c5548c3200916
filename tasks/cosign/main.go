// Command cosign is the step tool of the catalog's cosign-sign, cosign-attest
// and cosign-verify Tasks: key-based signing and SLSA v1 provenance
// attestation of an image by digest with the cosign library, and their
// verification against a public key. The transparency log is off by default
// (the local bed has no Rekor); see the Tasks' READMEs to turn it on.
package main

import "github.com/windlass-dev/windlass/tasks/toolkit"

func main() { toolkit.Main("cosign", run) }
