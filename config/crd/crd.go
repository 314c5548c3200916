// Package crd embeds the generated CustomResourceDefinitions (bases/), so
// that the CLI's lint validates objects against the very schema the API
// server enforces.
package crd

import "embed"

// Bases holds bases/*.yaml, the CRDs `make manifests` generates.
//
//go:embed bases/*.yaml
var Bases embed.FS
