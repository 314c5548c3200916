package tektonimport

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTektonStaysInTheCLI fails when a binary other than the CLI depends on
// Tekton or knative: only cmd/windlass may import this package.
func TestTektonStaysInTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	pkgs := []string{"./cmd/controller", "./cmd/entrypoint", "./cmd/eventlistener", "./tasks/..."}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = "../../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	n := 0
	for _, p := range strings.Fields(string(out)) {
		n++
		if strings.HasPrefix(p, "github.com/tektoncd/") || strings.HasPrefix(p, "knative.dev/") {
			t.Errorf("%s is a dependency of %s", p, strings.Join(pkgs, " "))
		}
	}
	if n < 100 {
		t.Fatalf("go list found only %d packages: the list is wrong", n)
	}
}
