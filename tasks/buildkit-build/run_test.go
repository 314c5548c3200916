package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

func contextDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker", "app.Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestParseBadInputNamesTheFlag(t *testing.T) {
	dir := contextDir(t)
	base := []string{"--image=10.88.0.1:5000/app", "--context=" + dir}
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"--context=" + dir}, want: "--image is required"},
		{args: []string{"--image=r/app@sha256:abc", "--context=" + dir}, want: `--image "r/app@sha256:abc": want registry/repository[:tag] without a digest`},
		{args: []string{"--image=r/app"}, want: "--context is required"},
		{args: []string{"--image=r/app", "--context=" + filepath.Join(dir, "nope")}, want: "not a directory"},
		{args: append(base, "--dockerfile=Missing"), want: `--dockerfile "Missing": no such file`},
		{args: append(base, "--address=http://x"), want: `--address "http://x"`},
		{args: append(base, "--", "NOEQUALS"), want: `build arg "NOEQUALS": want NAME=VALUE`},
		{args: append(base, "--wait=soon"), want: `invalid value "soon" for flag -wait`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := parse(tt.args, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !toolkit.IsUsage(err) {
				t.Fatalf("got %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}

func TestSolveOptMapsTheParams(t *testing.T) {
	dir := contextDir(t)
	o, err := parse([]string{"--image=10.88.0.1:5000/app:v1", "--context=" + dir, "--dockerfile=docker/app.Dockerfile",
		"--target=final", "--platforms=linux/amd64", "--cache-ref=10.88.0.1:5000/app/cache",
		"--", "VERSION=1.2", "", "EMPTY="}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	opt, err := o.solveOpt()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"filename": "app.Dockerfile", "target": "final", "platform": "linux/amd64",
		"build-arg:VERSION": "1.2", "build-arg:EMPTY": ""}
	if len(opt.FrontendAttrs) != len(want) {
		t.Errorf("frontend attrs %v, want %v", opt.FrontendAttrs, want)
	}
	for k, v := range want {
		if got, ok := opt.FrontendAttrs[k]; !ok || got != v {
			t.Errorf("frontend attr %s = %q, want %q", k, got, v)
		}
	}
	if opt.Frontend != "dockerfile.v0" || opt.LocalMounts["context"] == nil || opt.LocalMounts["dockerfile"] == nil {
		t.Errorf("frontend %q, mounts %v", opt.Frontend, opt.LocalMounts)
	}
	if len(opt.Exports) != 1 || opt.Exports[0].Type != client.ExporterImage ||
		opt.Exports[0].Attrs["name"] != "10.88.0.1:5000/app:v1" || opt.Exports[0].Attrs["push"] != "true" {
		t.Errorf("exports %+v", opt.Exports)
	}
	if len(opt.CacheImports) != 1 || opt.CacheImports[0].Attrs["ref"] != "10.88.0.1:5000/app/cache" ||
		len(opt.CacheExports) != 1 || opt.CacheExports[0].Attrs["mode"] != "max" {
		t.Errorf("cache %+v / %+v", opt.CacheImports, opt.CacheExports)
	}

	o, err = parse([]string{"--image=r/app", "--context=" + dir}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if opt, _ = o.solveOpt(); opt.CacheImports != nil || opt.CacheExports != nil || opt.FrontendAttrs["filename"] != "Dockerfile" {
		t.Errorf("defaults: %+v", opt)
	}
}

func TestUnreachableBuildkitdIsNamed(t *testing.T) {
	dir := contextDir(t)
	sock := filepath.Join(t.TempDir(), "none.sock")
	err := run(context.Background(), []string{"--image=r/app", "--context=" + dir, "--address=unix://" + sock, "--wait=300ms"},
		&bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "buildkitd at unix://"+sock+" did not answer within 300ms") {
		t.Fatalf("got %v", err)
	}
	if toolkit.IsUsage(err) {
		t.Fatal("an unreachable daemon is not the user's spec")
	}
}

func TestCacheTallyCountsDockerfileStepsOnce(t *testing.T) {
	now := time.Now()
	v := func(d, name string, cached, done bool) *client.Vertex {
		x := &client.Vertex{Digest: digest.FromString(d), Name: name, Cached: cached}
		if done {
			x.Completed = &now
		}
		return x
	}
	var tally cacheTally
	tally.add(&client.SolveStatus{Vertexes: []*client.Vertex{
		v("a", "[internal] load build definition from Dockerfile", false, true),
		v("b", "[1/3] FROM 10.88.0.1:5000/library/busybox:latest", true, true),
		v("c", "[2/3] COPY app.sh /app.sh", false, false),
		v("d", "[build 3/3] RUN echo hi", true, true),
	}})
	tally.add(&client.SolveStatus{Vertexes: []*client.Vertex{v("c", "[2/3] COPY app.sh /app.sh", false, true)}})
	if cached, steps := tally.counts(); cached != 1 || steps != 2 {
		t.Fatalf("counts = %d cached of %d, want 1 of 2 (FROM and internal vertices do not count)", cached, steps)
	}
}
