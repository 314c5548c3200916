// Package golden compares test output with checked-in golden files; `go
// test -update` rewrites them instead.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update is -update: rewrite golden files rather than compare with them.
var Update = flag.Bool("update", false, "rewrite the golden files")

// Check compares got with the golden file at path (relative to the test's
// package), or writes it there under -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; if intended, go test -update rewrites it):\n%s", path, diff)
	}
}
