// Package version holds the build's version, stamped by the Makefile with
// -ldflags "-X github.com/windlass-dev/windlass/internal/version.Version=...".
package version

// Version is the Windlass version of this build; "dev" when not stamped.
var Version = "dev"
