package toolkit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "yes": true, "1": true, "false": false, "": false, " no ": false} {
		got, err := Bool("x", in)
		if err != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := Bool("ssl-verify", "sometimes"); !IsUsage(err) || err.Error() != `--ssl-verify: want true or false, got "sometimes"` {
		t.Errorf("got %v", err)
	}
}

func TestWriteResult(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "results", "commit")
	if err := WriteResult(p, "abc"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "abc" {
		t.Fatalf("result file holds %q", b)
	}
	if err := WriteResult("", "ignored"); err != nil {
		t.Fatalf("an unrequested result: %v", err)
	}
}

func TestIsUsageSeesThroughWrapping(t *testing.T) {
	if !IsUsage(fmt.Errorf("ctx: %w", Usagef("--x"))) || IsUsage(errors.New("--x")) {
		t.Fatal("IsUsage")
	}
}
