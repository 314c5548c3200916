package tektonimport

import (
	"context"
	"github.com/windlass-dev/windlass/test/compat"
	"github.com/windlass-dev/windlass/test/golden"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCompatibility imports every example of the Tekton module's
// examples/v1 (taskruns and pipelineruns, with their alpha, beta and no-ci
// directories) and reports how many import cleanly and which Windlass gaps
// block the rest, by field. testdata/compat-clean.txt lists the clean
// examples. The test fails when a listed example stops importing (a
// regression), and also when an example not listed imports cleanly: the list
// is the record of compatibility, and a stale one would let a later
// regression of that example pass unnoticed. go test -update rewrites it.
func TestCompatibility(t *testing.T) {
	dir := tektonExamples(t)
	var files []string
	for _, sub := range []string{"taskruns", "pipelineruns"} {
		found, err := filepathGlobAll(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d examples under %s", len(files), dir)
	}
	clean := map[string]bool{}
	gaps := map[string]map[string]bool{} // field → examples
	objects, cleanObjects := 0, 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		results, err := Paths(context.Background(), []string{f})
		if err != nil {
			t.Fatal(err)
		}
		ok := len(results) > 0
		for _, r := range results {
			objects++
			if r.Clean() {
				cleanObjects++
				continue
			}
			ok = false
			for _, fd := range r.Findings {
				if fd.Severity == Warning {
					continue
				}
				key := gapKey(fd)
				if gaps[key] == nil {
					gaps[key] = map[string]bool{}
				}
				gaps[key][rel] = true
			}
		}
		clean[rel] = ok
	}
	var cleanList []string
	for rel, ok := range clean {
		if ok {
			cleanList = append(cleanList, rel)
		}
	}
	slices.Sort(cleanList)
	t.Logf("%d of %d examples import cleanly (%d of %d objects)", len(cleanList), len(files), cleanObjects, objects)
	keys := slices.Collect(maps.Keys(gaps))
	slices.SortFunc(keys, func(a, b string) int {
		if d := len(gaps[b]) - len(gaps[a]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		t.Logf("%3d examples: %s", len(gaps[k]), k)
	}

	const listFile = "testdata/compat-clean.txt"
	if *golden.Update {
		if err := os.WriteFile(listFile, []byte(strings.Join(cleanList, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(listFile)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	for _, rel := range strings.Fields(string(data)) {
		if !clean[rel] {
			t.Errorf("%s imported cleanly and no longer does (a regression, or go test -update if intended)", rel)
		}
	}
	listed := map[string]bool{}
	for _, rel := range strings.Fields(string(data)) {
		listed[rel] = true
	}
	for _, rel := range cleanList {
		if !listed[rel] {
			t.Errorf("%s now imports cleanly: add it to %s (go test -update)", rel, listFile)
		}
	}
}

var (
	indexRe   = regexp.MustCompile(`\[\d+\]`)
	taskNames = regexp.MustCompile(` \([^)]*\)`)
	quoted    = regexp.MustCompile(`"[^"]*"`)
)

// gapKey groups a finding: the field path without indexes and names, and
// for errors other than unknown fields, the kind of message.
func gapKey(f Finding) string {
	field := taskNames.ReplaceAllString(indexRe.ReplaceAllString(f.Field, "[]"), "")
	if strings.HasPrefix(f.Message, "unknown field") {
		return field + ": unknown field"
	}
	msg := quoted.ReplaceAllString(f.Message, `"…"`)
	if len(msg) > 90 {
		msg = msg[:90] + "…"
	}
	return strings.TrimPrefix(field+": "+msg, ": ")
}

func filepathGlobAll(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			out = append(out, p)
		}
		return err
	})
	return out, err
}

// tektonExamples is examples/v1 of the Tekton module go.mod names.
func tektonExamples(t *testing.T) string {
	dir, err := compat.ExamplesDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
