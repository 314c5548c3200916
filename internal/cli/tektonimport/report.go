package tektonimport

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/windlass-dev/windlass/internal/lint"
)

// Paths imports the Tekton objects of files and directories (*.yaml and
// *.yml below them). Documents that are not YAML are results with an
// invalid finding.
func Paths(ctx context.Context, paths []string) ([]Result, error) {
	files, err := lint.YAMLFiles(paths)
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, probs := lint.Read(f, data)
		for _, p := range probs {
			results = append(results, Result{File: f, Line: p.Line, Findings: []Finding{{Severity: Invalid, Message: p.Message}}})
		}
		results = append(results, Objects(ctx, objs)...)
	}
	return results, nil
}

// Table writes one row per finding (a clean object: one row, ok).
func Table(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tKIND\tNAME\tSTATUS\tFIELD\tMESSAGE")
	for _, r := range results {
		where := fmt.Sprintf("%s:%d", r.File, r.Line)
		if r.Clean() && len(r.Findings) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\tok\t\t\n", where, r.Kind, r.Name)
		}
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", where, r.Kind, r.Name, f.Severity, f.Field, oneLine(f.Message))
		}
	}
	return tw.Flush()
}

// Messages writes the findings as file:line: kind/name: field: message.
func Messages(w io.Writer, results []Result) {
	for _, r := range results {
		for _, f := range r.Findings {
			field := ""
			if f.Field != "" {
				field = f.Field + ": "
			}
			fmt.Fprintf(w, "%s:%d: %s/%s: %s: %s%s\n", r.File, r.Line, r.Kind, r.Name, f.Severity, field, oneLine(f.Message))
		}
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Write writes the converted objects: into dir, one file per input file
// under its base name (objects of one file joined by ---), or to w when dir
// is empty.
func Write(w io.Writer, dir string, results []Result) error {
	var order []string
	byFile := map[string][]string{}
	for _, r := range results {
		if r.YAML == nil {
			continue
		}
		if byFile[r.File] == nil {
			order = append(order, r.File)
		}
		byFile[r.File] = append(byFile[r.File], string(r.YAML))
	}
	if dir == "" {
		for i, f := range order {
			if i > 0 {
				fmt.Fprintln(w, "---")
			}
			fmt.Fprint(w, strings.Join(byFile[f], "---\n"))
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	seen := map[string]string{}
	for _, f := range order {
		name := filepath.Base(f)
		if other, ok := seen[name]; ok {
			return fmt.Errorf("%s and %s would both be written to %s", other, f, filepath.Join(dir, name))
		}
		seen[name] = f
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(byFile[f], "---\n")), 0o644); err != nil {
			return err
		}
	}
	return nil
}
