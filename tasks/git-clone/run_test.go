package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// fixture is a repository with two commits on main, a third on "feature",
// an annotated tag v1 on the first commit and a lightweight tag light on the second.
type fixture struct {
	url                     string
	first, second, featured plumbing.Hash
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	when := time.Unix(1700000000, 0)
	commit := func(file, body string) plumbing.Hash {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add(file); err != nil {
			t.Fatal(err)
		}
		when = when.Add(time.Hour)
		sig := &object.Signature{Name: "ci", Email: "ci@example.com", When: when}
		h, err := wt.Commit("add "+file, &git.CommitOptions{Author: sig, Committer: sig})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	f := fixture{url: "file://" + dir}
	f.first = commit("a.txt", "one")
	f.second = commit("b.txt", "two")
	if _, err := repo.CreateTag("v1", f.first, &git.CreateTagOptions{
		Message: "v1", Tagger: &object.Signature{Name: "ci", Email: "ci@example.com", When: when},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateTag("light", f.second, nil); err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("feature"), Create: true}); err != nil {
		t.Fatal(err)
	}
	f.featured = commit("c.txt", "three")
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("main")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCloneRevisions(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, revision string
		extra          []string
		want           plumbing.Hash
		files          []string // present in the checkout
		absent         []string
	}{
		{name: "remote HEAD", want: f.second, files: []string{"a.txt", "b.txt"}, absent: []string{"c.txt"}},
		{name: "branch", revision: "feature", want: f.featured, files: []string{"c.txt"}},
		{name: "full ref", revision: "refs/heads/feature", want: f.featured},
		{name: "annotated tag", revision: "v1", want: f.first, absent: []string{"b.txt"}},
		{name: "lightweight tag", revision: "light", want: f.second},
		{name: "sha of a branch tip", revision: f.featured.String(), want: f.featured},
		{name: "short sha no ref points at", revision: f.first.String()[:10], want: f.first},
		{name: "full history", revision: "main", extra: []string{"--depth=0"}, want: f.second},
		{name: "refspec", revision: "refs/remotes/x/feature", extra: []string{"--refspec=+refs/heads/feature:refs/remotes/x/feature"}, want: f.featured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := t.TempDir()
			res := t.TempDir()
			args := append([]string{"--url=" + f.url, "--revision=" + tt.revision, "--dir=" + ws, "--subdirectory=src",
				"--result-commit=" + filepath.Join(res, "commit"), "--result-url=" + filepath.Join(res, "url"),
				"--result-committer-date=" + filepath.Join(res, "date")}, tt.extra...)
			var out, errb bytes.Buffer
			if err := run(context.Background(), args, &out, &errb); err != nil {
				t.Fatalf("run: %v\n%s", err, errb.String())
			}
			if got := read(t, filepath.Join(res, "commit")); got != tt.want.String() {
				t.Errorf("commit result %s, want %s", got, tt.want)
			}
			if got := read(t, filepath.Join(res, "url")); got != f.url {
				t.Errorf("url result %q", got)
			}
			if got := read(t, filepath.Join(res, "date")); len(got) != 10 || !strings.HasPrefix(got, "17") {
				t.Errorf("committer-date result %q, want Unix seconds", got)
			}
			for _, p := range tt.files {
				if _, err := os.Stat(filepath.Join(ws, "src", p)); err != nil {
					t.Errorf("missing %s in the checkout", p)
				}
			}
			for _, p := range tt.absent {
				if _, err := os.Stat(filepath.Join(ws, "src", p)); err == nil {
					t.Errorf("%s should not be in the checkout of %s", p, tt.revision)
				}
			}
			if !strings.Contains(out.String(), tt.want.String()) {
				t.Errorf("log line does not name the commit: %q", out.String())
			}
		})
	}
}

func TestCloneEmptiesTheTargetFirst(t *testing.T) {
	f := newFixture(t)
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "stale.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"--url=" + f.url, "--dir=" + ws}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, "stale.txt")); err == nil {
		t.Fatal("stale.txt survived --delete-existing=true")
	}
	// A second clone into the same repository without deleting is refused by name.
	err := run(context.Background(), []string{"--url=" + f.url, "--dir=" + ws, "--delete-existing=false"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !toolkit.IsUsage(err) || !strings.Contains(err.Error(), "--delete-existing is false") {
		t.Fatalf("got %v", err)
	}
}

func TestBadInputIsAUsageErrorNamingTheFlag(t *testing.T) {
	f := newFixture(t)
	ws := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{args: []string{"--dir=" + ws}, want: "--url is required"},
		{args: []string{"--url=" + f.url}, want: "--dir is required"},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "--depth=-1"}, want: `--depth "-1"`},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "--submodules=maybe"}, want: `--submodules: want true or false, got "maybe"`},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "--subdirectory=../up"}, want: `--subdirectory "../up"`},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "--refspec=a:b:c"}, want: `--refspec "a:b:c"`},
		{args: []string{"--url=ftp://host/repo", "--dir=" + ws}, want: `unsupported scheme "ftp"`},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "--revision=nope"}, want: `--revision "nope": no branch, tag or commit of that name`},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "--revision=" + strings.Repeat("ab", 20)}, want: `--revision "abababab`},
		{args: []string{"--url=" + f.url, "--dir=" + ws, "stray"}, want: `unexpected argument "stray"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := run(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if !toolkit.IsUsage(err) {
				t.Fatalf("%v is not a usage error", err)
			}
		})
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
