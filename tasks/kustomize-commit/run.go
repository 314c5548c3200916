package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/windlass-dev/windlass/tasks/gitauth"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

type options struct {
	url, branch, overlay            string
	images                          []image
	sourceCommit, runID             string
	subject, authorName, email      string
	attempts                        int
	sslVerify                       bool
	resultCommit, resultChanged     string
	home                            string
	namespace, pipelineRun, taskRun string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	flags, words := toolkit.SplitAtDashDash(args)
	fs := toolkit.NewFlags("kustomize-commit", stderr)
	o := &options{}
	var attempts, sslVerify string
	fs.StringVar(&o.url, "url", "", "the config repository (https://, http://, ssh://, user@host:path, file://)")
	fs.StringVar(&o.branch, "branch", "main", "the branch to commit to")
	fs.StringVar(&o.overlay, "overlay", "", "the directory of the kustomization.yaml to edit, relative to the repository's root")
	fs.StringVar(&o.sourceCommit, "source-commit", "", "the source commit the images were built from (the Source-Commit: trailer)")
	fs.StringVar(&o.namespace, "namespace", "", "the run's namespace (for the Windlass-Run: trailer)")
	fs.StringVar(&o.pipelineRun, "pipelinerun", "", "the PipelineRun this runs in, if any (for the Windlass-Run: trailer)")
	fs.StringVar(&o.taskRun, "taskrun", "", "the TaskRun (for the Windlass-Run: trailer when there is no PipelineRun)")
	fs.StringVar(&o.subject, "subject", "", "the commit's subject line (default: says which images, where)")
	fs.StringVar(&o.authorName, "author-name", "Windlass", "the commit's author and committer name")
	fs.StringVar(&o.email, "author-email", "windlass@windlass.dev", "the commit's author and committer email")
	fs.StringVar(&attempts, "attempts", "3", "how many times to edit and push when the branch moves under the push")
	fs.StringVar(&sslVerify, "ssl-verify", "true", "verify the server's TLS certificate")
	fs.StringVar(&o.resultCommit, "result-commit", "", "file to write the config commit sha to")
	fs.StringVar(&o.resultChanged, "result-changed", "", "file to write true or false to (whether a commit was pushed)")
	if err := toolkit.Parse(fs, flags); err != nil {
		return nil, err
	}
	var err error
	if o.url = strings.TrimSpace(o.url); o.url == "" {
		return nil, toolkit.Usagef("--url is required (the config repository)")
	}
	if o.branch = strings.TrimSpace(o.branch); plumbing.NewBranchReferenceName(o.branch).Validate() != nil {
		return nil, toolkit.Usagef("--branch %q: not a valid branch name", o.branch)
	}
	if strings.TrimSpace(o.overlay) == "" {
		return nil, toolkit.Usagef("--overlay is required (the directory of the kustomization.yaml, e.g. overlays/dev; \".\" for the root)")
	}
	if o.overlay, err = toolkit.Inside("overlay", strings.TrimSpace(o.overlay), "the repository"); err != nil {
		return nil, err
	}
	if o.attempts, err = strconv.Atoi(strings.TrimSpace(attempts)); err != nil || o.attempts < 1 {
		return nil, toolkit.Usagef("--attempts %q: want a whole number >= 1", attempts)
	}
	if o.sslVerify, err = toolkit.Bool("ssl-verify", sslVerify); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		flag string
		v    *string
	}{{"subject", &o.subject}, {"source-commit", &o.sourceCommit}, {"author-name", &o.authorName},
		{"author-email", &o.email}, {"namespace", &o.namespace}, {"pipelinerun", &o.pipelineRun}, {"taskrun", &o.taskRun}} {
		if *f.v = strings.TrimSpace(*f.v); strings.ContainsAny(*f.v, "\r\n") {
			return nil, toolkit.Usagef("--%s %q: must be one line (it goes into the commit message)", f.flag, *f.v)
		}
	}
	if o.authorName == "" || o.email == "" {
		return nil, toolkit.Usagef("--author-name and --author-email must not be empty")
	}
	if o.images, err = parseImages(words); err != nil {
		return nil, err
	}
	if run := o.pipelineRun; run != "" || o.taskRun != "" {
		if run == "" {
			run = o.taskRun
		}
		if o.namespace != "" {
			run = o.namespace + "/" + run
		}
		o.runID = run
	}
	o.home = os.Getenv("HOME")
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	ep, err := transport.NewEndpoint(o.url)
	if err != nil {
		return toolkit.Usagef("--url %q: %v", redact(o.url), err)
	}
	switch ep.Protocol {
	case "http", "https", "ssh", "file":
	default:
		return toolkit.Usagef("--url %q: unsupported scheme %q", redact(o.url), ep.Protocol)
	}
	auth, err := gitauth.For(ep, o.home, stderr)
	if err != nil {
		return err
	}
	c := &committer{o: o, auth: auth, out: stdout, where: redact(o.url)}
	sha, changed, err := c.run(ctx)
	if err != nil {
		return err
	}
	if changed {
		fmt.Fprintf(stdout, "pushed %s to %s of %s in %.2fs\n", sha, o.branch, c.where, time.Since(start).Seconds())
	} else {
		fmt.Fprintf(stdout, "%s of %s already has these images at %s: nothing to commit\n", o.branch, c.where, sha)
	}
	return errors.Join(
		toolkit.WriteResult(o.resultCommit, sha),
		toolkit.WriteResult(o.resultChanged, strconv.FormatBool(changed)),
	)
}

// beforePush, when set (by tests only), runs between the commit and its push:
// it lets a test push to the branch first, as another run would.
var beforePush func(attempt int)

type committer struct {
	o     *options
	auth  transport.AuthMethod
	out   io.Writer
	where string // the repository's URL without a password, for messages
	repo  *git.Repository
	fs    billy.Filesystem
}

// run clones the branch into memory, edits and commits, and pushes. When the
// push is refused because the branch moved, it fetches the new head and
// edits again there, up to --attempts times. It returns the config commit
// (the head as it was when nothing changed) and whether it pushed one.
func (c *committer) run(ctx context.Context) (string, bool, error) {
	if err := c.clone(ctx); err != nil {
		return "", false, err
	}
	branch := plumbing.NewBranchReferenceName(c.o.branch)
	for attempt := 1; ; attempt++ {
		head, err := c.repo.Reference(branch, true)
		if err != nil {
			return "", false, err
		}
		base := head.Hash()
		commit, changed, err := c.edit(base)
		if err != nil {
			return "", false, err
		}
		if !changed {
			return base.String(), false, nil
		}
		if beforePush != nil {
			beforePush(attempt)
		}
		err = c.repo.PushContext(ctx, &git.PushOptions{
			RemoteName: "origin", RefSpecs: []config.RefSpec{config.RefSpec(branch + ":" + branch)},
			Auth: c.auth, InsecureSkipTLS: !c.o.sslVerify,
		})
		if err == nil {
			return commit.String(), true, nil
		}
		pushErr := err
		now, err := c.fetch(ctx)
		if err != nil {
			return "", false, fmt.Errorf("pushing to %s of %s: %w (and fetching it again: %w)", c.o.branch, c.where, pushErr, err)
		}
		if now == base {
			return "", false, fmt.Errorf("pushing to %s of %s: %w", c.o.branch, c.where, pushErr)
		}
		if attempt >= c.o.attempts {
			return "", false, fmt.Errorf("gave up after %d attempts (--attempts): %s of %s moved under every push, last to %s (%w)",
				attempt, c.o.branch, c.where, now, pushErr)
		}
		fmt.Fprintf(c.out, "%s moved from %s to %s while pushing (attempt %d of %d): editing again on the new head\n",
			c.o.branch, base, now, attempt, c.o.attempts)
		wt, err := c.repo.Worktree()
		if err != nil {
			return "", false, err
		}
		if err := wt.Reset(&git.ResetOptions{Commit: now, Mode: git.HardReset}); err != nil {
			return "", false, fmt.Errorf("moving to the new head %s: %w", now, err)
		}
	}
}

func (c *committer) clone(ctx context.Context) error {
	c.fs = memfs.New()
	repo, err := git.CloneContext(ctx, memory.NewStorage(), c.fs, &git.CloneOptions{
		URL: c.o.url, Auth: c.auth, ReferenceName: plumbing.NewBranchReferenceName(c.o.branch),
		SingleBranch: true, Tags: git.NoTags, InsecureSkipTLS: !c.o.sslVerify,
	})
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound), errors.Is(err, git.NoMatchingRefSpecError{}):
		return toolkit.Usagef("--branch %q: no such branch at %s", c.o.branch, c.where)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return toolkit.Usagef("--url %q: the repository is empty (push the overlay first)", c.where)
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return fmt.Errorf("cloning %s: %w (give the run's service account a basic-auth or ssh-auth Secret annotated windlass.dev/git-0 for this host)", c.where, err)
	case err != nil:
		return fmt.Errorf("cloning %s of %s: %w", c.o.branch, c.where, err)
	}
	c.repo = repo
	head, err := repo.Head()
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "cloned %s of %s at %s\n", c.o.branch, c.where, head.Hash())
	return nil
}

// fetch brings the remote branch's head as it is now.
func (c *committer) fetch(ctx context.Context) (plumbing.Hash, error) {
	remote := plumbing.NewRemoteReferenceName("origin", c.o.branch)
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(c.o.branch) + ":" + remote)
	err := c.repo.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: []config.RefSpec{spec}, Auth: c.auth, InsecureSkipTLS: !c.o.sslVerify, Tags: git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, err
	}
	ref, err := c.repo.Reference(remote, true)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// kustomizationNames are the file names kustomize reads a kustomization from.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// edit sets the images in the overlay's kustomization on the checked-out
// base and commits. No change means no commit.
func (c *committer) edit(base plumbing.Hash) (plumbing.Hash, bool, error) {
	file := ""
	for _, n := range kustomizationNames {
		p := path.Join(c.o.overlay, n)
		if fi, err := c.fs.Lstat(p); err == nil && fi.Mode().IsRegular() {
			file = p
			break
		}
	}
	if file == "" {
		return plumbing.ZeroHash, false, toolkit.Usagef("--overlay %q: no kustomization.yaml there in %s of %s at %s",
			c.o.overlay, c.o.branch, c.where, base)
	}
	data, err := readFile(c.fs, file)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	out, changed, err := setImages(data, c.o.images)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("%s at %s: %w", file, base, err)
	}
	if !changed {
		return plumbing.ZeroHash, false, nil
	}
	if err := writeFile(c.fs, file, out); err != nil {
		return plumbing.ZeroHash, false, err
	}
	wt, err := c.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if _, err := wt.Add(file); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("git add %s: %w", file, err)
	}
	sig := &object.Signature{Name: c.o.authorName, Email: c.o.email, When: time.Now()}
	h, err := wt.Commit(c.message(file), &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("committing %s: %w", file, err)
	}
	for _, img := range c.o.images {
		fmt.Fprintf(c.out, "set %s to %s@%s in %s\n", img.name, img.repo, img.digest, file)
	}
	return h, true, nil
}

// message is the commit's subject and its trailers: one Image: per image,
// Source-Commit: and Windlass-Run: when known.
func (c *committer) message(file string) string {
	subject := c.o.subject
	if subject == "" {
		names := make([]string, len(c.o.images))
		for i, img := range c.o.images {
			names[i] = img.name
		}
		subject = "Set " + strings.Join(names, ", ") + " in " + file
		if len(c.o.images) == 1 {
			subject = fmt.Sprintf("Set %s to %s in %s", names[0], c.o.images[0].digest[:len("sha256:")+12], file)
		}
	}
	var b strings.Builder
	b.WriteString(subject + "\n\n")
	for _, img := range c.o.images {
		b.WriteString("Image: " + img.String() + "\n")
	}
	if c.o.sourceCommit != "" {
		b.WriteString("Source-Commit: " + c.o.sourceCommit + "\n")
	}
	if c.o.runID != "" {
		b.WriteString("Windlass-Run: " + c.o.runID + "\n")
	}
	return b.String()
}

func readFile(fs billy.Filesystem, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return io.ReadAll(f)
}

func writeFile(fs billy.Filesystem, name string, data []byte) error {
	f, err := fs.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// redact hides a password a URL may carry.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}
