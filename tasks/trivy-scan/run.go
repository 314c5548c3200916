package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// Severities is Trivy's scale, most severe first.
var Severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}

type options struct {
	image, dbRepository, outputDir, trivy, cacheDir string
	gate, ignore                                    []string
	ignoreUnfixed, insecure                         bool
	resultCounts, resultReport                      string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := toolkit.NewFlags("trivy-scan", stderr)
	o := &options{}
	var gate, ignore, ignoreUnfixed, insecure string
	fs.StringVar(&o.image, "image", "", "image to scan, by digest (registry/repo@sha256:...)")
	fs.StringVar(&gate, "severity-gate", "CRITICAL,HIGH", "comma-separated severities that fail the step; empty: report only")
	fs.StringVar(&ignore, "ignore", "", "vulnerability IDs to ignore, comma- or space-separated")
	fs.StringVar(&ignoreUnfixed, "ignore-unfixed", "false", "ignore vulnerabilities that have no fixed version yet")
	fs.StringVar(&o.dbRepository, "db-repository", "", "OCI repository of Trivy's DB (empty: Trivy's default)")
	fs.StringVar(&insecure, "insecure", "false", "allow registries over plain HTTP or with untrusted certificates")
	fs.StringVar(&o.outputDir, "output-dir", "", "directory for report.json and report.sarif (a workspace)")
	fs.StringVar(&o.trivy, "trivy", "/usr/bin/trivy", "the trivy binary")
	fs.StringVar(&o.cacheDir, "cache-dir", filepath.Join(os.TempDir(), "trivy-cache"), "Trivy's cache (DB) directory")
	fs.StringVar(&o.resultCounts, "result-counts", "", "file to write the counts by severity to (a JSON object)")
	fs.StringVar(&o.resultReport, "result-report", "", "file to write the JSON report's path to")
	if err := toolkit.Parse(fs, args); err != nil {
		return nil, err
	}
	if o.image = strings.TrimSpace(o.image); o.image == "" {
		return nil, toolkit.Usagef("--image is required")
	}
	for _, s := range splitList(gate) {
		s = strings.ToUpper(s)
		if !slices.Contains(Severities, s) {
			return nil, toolkit.Usagef("--severity-gate: unknown severity %q (want some of %s)", s, strings.Join(Severities, ","))
		}
		o.gate = append(o.gate, s)
	}
	o.ignore = splitList(ignore)
	var err error
	if o.ignoreUnfixed, err = toolkit.Bool("ignore-unfixed", ignoreUnfixed); err != nil {
		return nil, err
	}
	if o.insecure, err = toolkit.Bool("insecure", insecure); err != nil {
		return nil, err
	}
	return o, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}

// report is the part of Trivy's JSON report the gate reads.
type report struct {
	Results []struct {
		Target          string `json:"Target"`
		Vulnerabilities []struct {
			VulnerabilityID  string `json:"VulnerabilityID"`
			PkgName          string `json:"PkgName"`
			InstalledVersion string `json:"InstalledVersion"`
			FixedVersion     string `json:"FixedVersion"`
			Severity         string `json:"Severity"`
			Title            string `json:"Title"`
		} `json:"Vulnerabilities"`
	} `json:"Results"`
}

// verdict counts a report's vulnerabilities by severity and lists those the gate fails on.
func verdict(r report, gate []string) (counts map[string]int, failing []string) {
	counts = map[string]int{}
	for _, s := range Severities {
		counts[s] = 0
	}
	for _, res := range r.Results {
		for _, v := range res.Vulnerabilities {
			sev := strings.ToUpper(v.Severity)
			if !slices.Contains(Severities, sev) {
				sev = "UNKNOWN"
			}
			counts[sev]++
			if slices.Contains(gate, sev) {
				fixed := "no fix yet"
				if v.FixedVersion != "" {
					fixed = "fixed in " + v.FixedVersion
				}
				failing = append(failing, fmt.Sprintf("%s %s %s %s (%s) in %s: %s",
					sev, v.VulnerabilityID, v.PkgName, v.InstalledVersion, fixed, res.Target, v.Title))
			}
		}
	}
	return counts, failing
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if !strings.Contains(o.image, "@sha256:") {
		fmt.Fprintf(stderr, "warning: %s is not pinned by digest; the verdict holds for whatever the tag names now\n", o.image)
	}
	out := o.outputDir
	if out == "" {
		if out, err = os.MkdirTemp("", "trivy-report"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--output-dir %s: %w", out, err)
	}
	jsonPath, sarifPath := filepath.Join(out, "report.json"), filepath.Join(out, "report.sarif")
	ignoreFile := filepath.Join(out, ".trivyignore")
	if len(o.ignore) > 0 {
		if err := os.WriteFile(ignoreFile, []byte(strings.Join(o.ignore, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := o.trivyRun(ctx, stderr, o.scanArgs(jsonPath, ignoreFile)...); err != nil {
		return fmt.Errorf("scanning %s: %w", o.image, err)
	}
	scanned := time.Since(start)
	if err := o.trivyRun(ctx, stderr, "convert", "--quiet", "--format", "sarif", "--output", sarifPath, jsonPath); err != nil {
		return fmt.Errorf("writing the SARIF report: %w", err)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("reading Trivy's report %s: %w", jsonPath, err)
	}
	counts, failing := verdict(r, o.gate)
	var summary []string
	countsJSON := map[string]string{}
	for _, s := range Severities {
		summary = append(summary, fmt.Sprintf("%s %d", s, counts[s]))
		countsJSON[s] = fmt.Sprint(counts[s])
	}
	cj, _ := json.Marshal(countsJSON)
	fmt.Fprintf(stdout, "scanned %s in %.2fs: %s (reports: %s, %s)\n", o.image, scanned.Seconds(), strings.Join(summary, ", "), jsonPath, sarifPath)
	if err := errors.Join(toolkit.WriteResult(o.resultCounts, string(cj)), toolkit.WriteResult(o.resultReport, jsonPath)); err != nil {
		return err
	}
	if len(failing) > 0 {
		for _, f := range failing {
			fmt.Fprintln(stdout, "  "+f)
		}
		return fmt.Errorf("%s has %d vulnerabilities at a gated severity (%s)", o.image, len(failing), strings.Join(o.gate, ","))
	}
	return nil
}

// scanArgs is the trivy command line: the image read from its registry (no
// Docker), vulnerabilities only, JSON out, no update checks or telemetry.
func (o *options) scanArgs(jsonPath, ignoreFile string) []string {
	a := []string{"image", "--image-src", "remote", "--scanners", "vuln", "--format", "json", "--output", jsonPath,
		"--cache-dir", o.cacheDir, "--skip-version-check", "--disable-telemetry", "--skip-java-db-update", "--no-progress", "--quiet"}
	if o.dbRepository != "" {
		a = append(a, "--db-repository", o.dbRepository)
	}
	if o.insecure {
		a = append(a, "--insecure")
	}
	if o.ignoreUnfixed {
		a = append(a, "--ignore-unfixed")
	}
	if len(o.ignore) > 0 {
		a = append(a, "--ignorefile", ignoreFile)
	}
	return append(a, o.image)
}

func (o *options) trivyRun(ctx context.Context, stderr io.Writer, args ...string) error {
	var errb bytes.Buffer
	// Trivy's stdout and stderr are copied by two goroutines into one log.
	log := &lockedWriter{w: stderr}
	cmd := exec.CommandContext(ctx, o.trivy, args...)
	cmd.Stdout = log
	cmd.Stderr = io.MultiWriter(log, &errb)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("trivy %s exited with code %d: %s", args[0], ee.ExitCode(), lastLine(errb.String()))
		}
		return fmt.Errorf("running %s: %w", o.trivy, err)
	}
	return nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
