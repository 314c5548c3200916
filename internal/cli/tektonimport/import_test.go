package tektonimport

import (
	"bytes"
	"context"
	"github.com/windlass-dev/windlass/test/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
			checkGolden(t, filepath.Join("testdata", strings.TrimSuffix(filepath.Base(f), ".yaml")+".golden"), out.String())
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

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	golden.Check(t, path, []byte(got))
}

// TestPruneZeroKeepsObjectKeys: an object param's keys written as {} (no
// type: string by default) are declarations, not zero values to drop.
func TestPruneZeroKeepsObjectKeys(t *testing.T) {
	obj := map[string]any{"name": "", "params": []any{map[string]any{
		"name": "gitrepo", "description": "", "properties": map[string]any{"url": map[string]any{}, "commit": map[string]any{"type": ""}},
	}}}
	pruneZero(obj)
	want := map[string]any{"params": []any{map[string]any{
		"name": "gitrepo", "properties": map[string]any{"url": map[string]any{}, "commit": map[string]any{}},
	}}}
	if diff := cmp.Diff(want, obj); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
