package tektonimport

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden imports each testdata/in file and compares the findings and the
// Windlass YAML with testdata/NAME.golden.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/in/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			results, err := Paths(context.Background(), []string{f})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			out.WriteString("# findings\n")
			Messages(&out, results)
			out.WriteString("# table\n")
			if err := Table(&out, results); err != nil {
				t.Fatal(err)
			}
			out.WriteString("# yaml\n")
			if err := Write(&out, "", results); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", strings.TrimSuffix(filepath.Base(f), ".yaml")+".golden"), out.String())
		})
	}
}

func TestWriteDir(t *testing.T) {
	results, err := Paths(context.Background(), []string{"testdata/in"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(nil, dir, results); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// invalid.yaml has nothing converted: no file.
	if want := []string{"v1-runs.yaml", "v1beta1-task.yaml"}; !cmp.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}
