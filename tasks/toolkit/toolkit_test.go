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

func TestSplitAtDashDashAndNameValues(t *testing.T) {
	flags, rest := SplitAtDashDash([]string{"--a=1", "--", "K=V", "", "E=", "--"})
	if len(flags) != 1 || len(rest) != 4 {
		t.Fatalf("split: %q | %q", flags, rest)
	}
	if f, r := SplitAtDashDash([]string{"--a"}); len(f) != 1 || r != nil {
		t.Fatalf("no --: %q | %q", f, r)
	}
	kv, err := NameValues(rest[:3], "build arg")
	if err != nil || len(kv) != 2 || kv[0] != [2]string{"K", "V"} || kv[1] != [2]string{"E", ""} {
		t.Fatalf("NameValues = %q, %v", kv, err)
	}
	if _, err := NameValues([]string{"=x"}, "build param"); !IsUsage(err) || err.Error() != `build param "=x": want NAME=VALUE` {
		t.Fatalf("got %v", err)
	}
}

func TestInside(t *testing.T) {
	for in, want := range map[string]string{"": ".", ".": ".", "src": "src", "a/./b/": "a/b", "a/../b": "b", "a/..": "."} {
		if got, err := Inside("subdirectory", in, "the workspace"); err != nil || got != want {
			t.Errorf("Inside(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "../up", "a/../../up", "/etc", "/"} {
		_, err := Inside("overlay", in, "the repository")
		if want := fmt.Sprintf("--overlay %q: must be a relative path inside the repository", in); !IsUsage(err) || err.Error() != want {
			t.Errorf("Inside(%q): got %v, want %q", in, err, want)
		}
	}
}
