package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

const sampleReport = `{"SchemaVersion": 2, "Results": [
 {"Target": "img (debian 12.5)", "Vulnerabilities": [
  {"VulnerabilityID": "WINDLASS-1", "PkgName": "fixture", "InstalledVersion": "1.0-1", "FixedVersion": "1.0-2", "Severity": "CRITICAL", "Title": "bad"},
  {"VulnerabilityID": "WINDLASS-2", "PkgName": "fixture", "InstalledVersion": "1.0-1", "Severity": "LOW", "Title": "meh"}]},
 {"Target": "app", "Vulnerabilities": [
  {"VulnerabilityID": "WINDLASS-3", "PkgName": "lib", "InstalledVersion": "2", "Severity": "weird", "Title": "?"}]}]}`

// fakeTrivy is a trivy stand-in that logs its arguments and writes the
// given report for "image" and a SARIF file for "convert".
func fakeTrivy(t *testing.T, report string, exit int) (bin, argsLog string) {
	t.Helper()
	dir := t.TempDir()
	argsLog = filepath.Join(dir, "args")
	rep := filepath.Join(dir, "report")
	if err := os.WriteFile(rep, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "trivy")
	script := fmt.Sprintf(`#!/bin/sh
echo "$@" >> %s
out=""; prev=""
for a in "$@"; do [ "$prev" = --output ] && out=$a; prev=$a; done
if [ "$1" = image ]; then
  [ %d = 0 ] || { echo "FATAL unable to find the image" >&2; exit %d; }
  cp %s "$out"
else
  echo '{"runs": []}' > "$out"
fi
`, argsLog, exit, exit, rep)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, argsLog
}

func TestVerdictCountsAndGates(t *testing.T) {
	var r report
	if err := json.Unmarshal([]byte(sampleReport), &r); err != nil {
		t.Fatal(err)
	}
	counts, failing := verdict(r, []string{"CRITICAL", "HIGH"})
	want := map[string]int{"CRITICAL": 1, "HIGH": 0, "MEDIUM": 0, "LOW": 1, "UNKNOWN": 1}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("count %s = %d, want %d", k, counts[k], v)
		}
	}
	if len(failing) != 1 || !strings.Contains(failing[0], "CRITICAL WINDLASS-1 fixture 1.0-1 (fixed in 1.0-2) in img (debian 12.5): bad") {
		t.Errorf("failing = %q", failing)
	}
	if _, failing := verdict(r, nil); failing != nil {
		t.Errorf("no gate, yet failing = %q", failing)
	}
	if _, failing := verdict(r, []string{"LOW", "UNKNOWN"}); len(failing) != 2 {
		t.Errorf("gate LOW,UNKNOWN: failing = %q", failing)
	}
}

func TestRunGatesWritesResultsAndReports(t *testing.T) {
	bin, argsLog := fakeTrivy(t, sampleReport, 0)
	out, res := t.TempDir(), t.TempDir()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"--image=10.88.0.1:5000/app@sha256:" + strings.Repeat("a", 64), "--trivy=" + bin,
		"--output-dir=" + out, "--db-repository=10.88.0.1:5000/windlass/trivy-db", "--insecure=true", "--ignore=CVE-1, CVE-2",
		"--result-counts=" + filepath.Join(res, "counts"), "--result-report=" + filepath.Join(res, "report")}, &stdout, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "has 1 vulnerabilities at a gated severity (CRITICAL,HIGH)") || toolkit.IsUsage(err) {
		t.Fatalf("got %v", err)
	}
	counts, _ := os.ReadFile(filepath.Join(res, "counts"))
	if string(counts) != `{"CRITICAL":"1","HIGH":"0","LOW":"1","MEDIUM":"0","UNKNOWN":"1"}` {
		t.Errorf("counts result %s", counts)
	}
	if p, _ := os.ReadFile(filepath.Join(res, "report")); string(p) != filepath.Join(out, "report.json") {
		t.Errorf("report result %q", p)
	}
	for _, f := range []string{"report.json", "report.sarif"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s missing: %v", f, err)
		}
	}
	if ig, _ := os.ReadFile(filepath.Join(out, ".trivyignore")); string(ig) != "CVE-1\nCVE-2\n" {
		t.Errorf(".trivyignore = %q", ig)
	}
	calls, _ := os.ReadFile(argsLog)
	for _, want := range []string{"image --image-src remote --scanners vuln --format json", "--db-repository 10.88.0.1:5000/windlass/trivy-db",
		"--insecure", "--ignorefile " + filepath.Join(out, ".trivyignore"), "convert --quiet --format sarif"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("trivy was not called with %q:\n%s", want, calls)
		}
	}
	if !strings.Contains(stdout.String(), "CRITICAL 1, HIGH 0, MEDIUM 0, LOW 1, UNKNOWN 1") {
		t.Errorf("summary line: %q", stdout.String())
	}

	// Report only: the same scan passes with an empty gate.
	err = run(context.Background(), []string{"--image=r/app@sha256:" + strings.Repeat("a", 64), "--trivy=" + bin, "--severity-gate="}, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("report-only scan: %v", err)
	}
}

func TestTrivyFailureIsReported(t *testing.T) {
	bin, _ := fakeTrivy(t, sampleReport, 1)
	err := run(context.Background(), []string{"--image=r/app:v1", "--trivy=" + bin}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "scanning r/app:v1: trivy image exited with code 1: FATAL unable to find the image") {
		t.Fatalf("got %v", err)
	}
	err = run(context.Background(), []string{"--image=r/app:v1", "--trivy=/nonexistent/trivy"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "running /nonexistent/trivy") {
		t.Fatalf("got %v", err)
	}
}

func TestBadInputIsAUsageError(t *testing.T) {
	for args, want := range map[string]string{
		"":                                   "--image is required",
		"--image=x --severity-gate=HIGH,BAD": `--severity-gate: unknown severity "BAD"`,
		"--image=x --insecure=maybe":         `--insecure: want true or false, got "maybe"`,
		"--image=x stray":                    `unexpected argument "stray"`,
	} {
		_, err := parse(strings.Fields(args), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) || !toolkit.IsUsage(err) {
			t.Errorf("%q: got %v, want %q", args, err, want)
		}
	}
}
