package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windlass-dev/windlass/internal/contract"
)

func TestRunFlagsAndScriptEnv(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--termination-path", filepath.Join(dir, "t"), "--post-file", filepath.Join(dir, "run", "0"),
		"--script-dir", filepath.Join(dir, "scripts"), "--results-dir", filepath.Join(dir, "r"), "--step", "s"}

	var out bytes.Buffer
	if code, err := run(context.Background(), []string{"--version"}, &out, &out); code != 0 || err != nil || !strings.HasPrefix(out.String(), "windlass entrypoint ") {
		t.Fatalf("--version: %d %v %q", code, err, out.String())
	}
	if code, err := run(context.Background(), common, &out, &out); code != 2 || err == nil || !strings.Contains(err.Error(), "nothing to run") {
		t.Fatalf("no command: %d %v", code, err)
	}
	if code, err := run(context.Background(), []string{"--timeout", "soon"}, &out, &out); code != 2 || err == nil {
		t.Fatalf("bad flag: %d %v", code, err)
	}

	copied := filepath.Join(dir, "copy", "entrypoint")
	if err := os.MkdirAll(filepath.Dir(copied), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, err := run(context.Background(), []string{"--copy-to", copied}, &out, &out); code != 0 || err != nil {
		t.Fatalf("--copy-to: %d %v", code, err)
	}
	if fi, err := os.Stat(copied); err != nil || fi.Mode().Perm()&0o111 == 0 || fi.Size() == 0 {
		t.Fatalf("copied binary: %v %v", fi, err)
	}

	// The script is taken from the environment and not passed on to the step.
	t.Setenv(contract.EnvScript, `echo "script sees [$WINDLASS_SCRIPT] args $*"`)
	out.Reset()
	code, err := run(context.Background(), append(common, "--", "a", "b"), &out, &out)
	if code != 0 || err != nil || !strings.Contains(out.String(), "script sees [] args a b") {
		t.Fatalf("script run: %d %v %q", code, err, out.String())
	}
}

func TestRunMaskFlags(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte("file-secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WL_SECRET", "env-secret")
	t.Setenv(contract.EnvScript, `echo "$WL_SECRET"; cat `+filepath.Join(dir, "key"))
	var out bytes.Buffer
	args := []string{"--termination-path", filepath.Join(dir, "t"), "--script-dir", filepath.Join(dir, "scripts"),
		"--mask-env", "WL_SECRET", "--mask-path", filepath.Join(dir, "key")}
	if code, err := run(context.Background(), args, &out, &out); code != 0 || err != nil || out.String() != "***\n***" {
		t.Fatalf("masked run: %d %v %q", code, err, out.String())
	}
}
