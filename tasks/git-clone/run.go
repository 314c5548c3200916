package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/windlass-dev/windlass/tasks/gitauth"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

type options struct {
	url, revision, dir, subdirectory string
	refspecs                         []string
	depth                            int
	submodules, sslVerify, deleteDir bool
	resultCommit, resultURL          string
	resultDate                       string
	home                             string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := toolkit.NewFlags("git-clone", stderr)
	o := &options{}
	var refspec, depth, submodules, sslVerify, deleteExisting string
	fs.StringVar(&o.url, "url", "", "repository URL (https://, http://, ssh://, user@host:path)")
	fs.StringVar(&o.revision, "revision", "", "branch, tag, commit sha or ref to check out (default: the remote's HEAD)")
	fs.StringVar(&refspec, "refspec", "", "extra refspecs to fetch, space-separated")
	fs.StringVar(&depth, "depth", "1", "history depth; 0 fetches all of it")
	fs.StringVar(&submodules, "submodules", "true", "initialise and fetch submodules")
	fs.StringVar(&sslVerify, "ssl-verify", "true", "verify the server's TLS certificate")
	fs.StringVar(&o.dir, "dir", "", "the workspace to clone into")
	fs.StringVar(&o.subdirectory, "subdirectory", "", "directory inside --dir to clone into")
	fs.StringVar(&deleteExisting, "delete-existing", "true", "empty the target directory first")
	fs.StringVar(&o.resultCommit, "result-commit", "", "file to write the checked-out commit sha to")
	fs.StringVar(&o.resultURL, "result-url", "", "file to write the repository URL to")
	fs.StringVar(&o.resultDate, "result-committer-date", "", "file to write the commit's committer date (Unix seconds) to")
	if err := toolkit.Parse(fs, args); err != nil {
		return nil, err
	}
	var err error
	if o.url = strings.TrimSpace(o.url); o.url == "" {
		return nil, toolkit.Usagef("--url is required")
	}
	if o.dir == "" {
		return nil, toolkit.Usagef("--dir is required (the workspace path)")
	}
	if o.subdirectory, err = toolkit.Inside("subdirectory", o.subdirectory, "the workspace"); err != nil {
		return nil, err
	}
	if o.depth, err = strconv.Atoi(strings.TrimSpace(depth)); err != nil || o.depth < 0 {
		return nil, toolkit.Usagef("--depth %q: want a whole number >= 0", depth)
	}
	if o.submodules, err = toolkit.Bool("submodules", submodules); err != nil {
		return nil, err
	}
	if o.sslVerify, err = toolkit.Bool("ssl-verify", sslVerify); err != nil {
		return nil, err
	}
	if o.deleteDir, err = toolkit.Bool("delete-existing", deleteExisting); err != nil {
		return nil, err
	}
	for _, rs := range strings.Fields(refspec) {
		if err := config.RefSpec(rs).Validate(); err != nil {
			return nil, toolkit.Usagef("--refspec %q: %v", rs, err)
		}
		o.refspecs = append(o.refspecs, rs)
	}
	o.revision = strings.TrimSpace(o.revision)
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
		return toolkit.Usagef("--url %q: %v", o.url, err)
	}
	switch ep.Protocol {
	case "http", "https", "ssh", "git", "file":
	default:
		return toolkit.Usagef("--url %q: unsupported scheme %q", o.url, ep.Protocol)
	}
	auth, err := gitauth.For(ep, o.home, stderr)
	if err != nil {
		return err
	}
	target := filepath.Join(o.dir, o.subdirectory)
	if err := prepare(target, o.deleteDir); err != nil {
		return err
	}
	c := &cloner{o: o, auth: auth}
	commit, err := c.clone(ctx, target)
	if err != nil {
		return err
	}
	if o.submodules {
		if err := c.submodules(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "cloned %s at %s (commit %s) into %s in %.2fs\n", o.url, c.what, commit.Hash, target, time.Since(start).Seconds())
	return errors.Join(
		toolkit.WriteResult(o.resultCommit, commit.Hash.String()),
		toolkit.WriteResult(o.resultURL, o.url),
		toolkit.WriteResult(o.resultDate, strconv.FormatInt(commit.Committer.When.Unix(), 10)),
	)
}

// prepare makes target an empty directory (or leaves it as it is when
// deleteDir is off and it exists); the workspace's mount point itself stays.
func prepare(target string, deleteDir bool) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", target, err)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	if len(entries) > 0 && !deleteDir {
		if _, err := os.Stat(filepath.Join(target, ".git")); err == nil {
			return toolkit.Usagef("%s already holds a repository and --delete-existing is false", target)
		}
	}
	for _, e := range entries {
		if deleteDir {
			if err := os.RemoveAll(filepath.Join(target, e.Name())); err != nil {
				return fmt.Errorf("emptying %s: %w", target, err)
			}
		}
	}
	return nil
}

type cloner struct {
	o    *options
	auth transport.AuthMethod
	repo *git.Repository
	what string // how the revision was found, for the log line
}

var hexRevision = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

func (c *cloner) clone(ctx context.Context, target string) (*object.Commit, error) {
	repo, err := git.PlainInit(target, false)
	if err != nil {
		return nil, fmt.Errorf("git init %s: %w", target, err)
	}
	c.repo = repo
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{c.o.url}})
	if err != nil {
		return nil, err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: c.auth, InsecureSkipTLS: !c.o.sslVerify})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", c.o.url, err)
	}
	name, err := c.pick(refs)
	if err != nil {
		return nil, err
	}
	specs := append([]config.RefSpec(nil), toRefSpecs(c.o.refspecs)...)
	depth := c.o.depth
	switch {
	case name != "":
		specs = append(specs, config.RefSpec(fmt.Sprintf("+%s:%s", name, name)))
	case hexRevision.MatchString(c.o.revision):
		// A commit no ref points at: only a full fetch is sure to hold it
		// (servers need not serve a sha by itself).
		specs = append(specs, "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
		depth = 0
		c.what = "commit " + c.o.revision
	}
	if len(specs) == 0 {
		return nil, toolkit.Usagef("--revision %q: no branch, tag or commit of that name at %s", c.o.revision, c.o.url)
	}
	err = remote.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: specs, Depth: depth, Auth: c.auth, InsecureSkipTLS: !c.o.sslVerify, Tags: git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("fetching %s from %s: %w", c.what, c.o.url, err)
	}
	rev := string(name)
	if rev == "" {
		rev = c.o.revision
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, toolkit.Usagef("--revision %q: not found at %s after fetching it: %v", c.o.revision, c.o.url, err)
	}
	commit, err := peel(repo, *hash)
	if err != nil {
		return nil, err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: commit.Hash, Force: true}); err != nil {
		return nil, fmt.Errorf("checking out %s: %w", commit.Hash, err)
	}
	return commit, nil
}

// pick chooses the advertised ref the revision names: the remote HEAD for
// none, then an exact ref, a branch, a tag, or a ref at that commit sha. An
// empty name with no error means a sha (or a ref only a --refspec brings).
func (c *cloner) pick(refs []*plumbing.Reference) (plumbing.ReferenceName, error) {
	byName := map[plumbing.ReferenceName]*plumbing.Reference{}
	for _, r := range refs {
		byName[r.Name()] = r
	}
	rev := c.o.revision
	if rev == "" {
		head, ok := byName[plumbing.HEAD]
		if !ok {
			return "", fmt.Errorf("%s has no HEAD (an empty repository?); name a --revision", c.o.url)
		}
		if head.Type() == plumbing.SymbolicReference {
			c.what = "HEAD (" + head.Target().Short() + ")"
			return head.Target(), nil
		}
		for _, r := range refs { // servers that do not say where HEAD points
			if r.Name().IsBranch() && r.Hash() == head.Hash() {
				c.what = "HEAD (" + r.Name().Short() + ")"
				return r.Name(), nil
			}
		}
		return "", fmt.Errorf("%s: cannot tell which branch HEAD is; name a --revision", c.o.url)
	}
	for _, n := range []plumbing.ReferenceName{plumbing.ReferenceName(rev), plumbing.NewBranchReferenceName(rev), plumbing.NewTagReferenceName(rev)} {
		if _, ok := byName[n]; ok && n != plumbing.HEAD {
			c.what = n.String()
			return n, nil
		}
	}
	if hexRevision.MatchString(rev) {
		for _, r := range refs {
			if r.Type() == plumbing.HashReference && r.Name() != plumbing.HEAD && strings.HasPrefix(r.Hash().String(), rev) {
				c.what = "commit " + rev + " (" + r.Name().Short() + ")"
				return r.Name(), nil
			}
		}
		return "", nil
	}
	if len(c.o.refspecs) > 0 {
		c.what = rev
		return "", nil
	}
	names := make([]string, 0, 8)
	for _, r := range refs {
		if (r.Name().IsBranch() || r.Name().IsTag()) && len(names) < 8 {
			names = append(names, r.Name().Short())
		}
	}
	return "", toolkit.Usagef("--revision %q: no branch, tag or commit of that name at %s (it has: %s)", rev, c.o.url, strings.Join(names, ", "))
}

// peel follows annotated tags to the commit they name.
func peel(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	for range 10 {
		if commit, err := repo.CommitObject(h); err == nil {
			return commit, nil
		}
		tag, err := repo.TagObject(h)
		if err != nil {
			return nil, fmt.Errorf("%s is neither a commit nor a tag", h)
		}
		h = tag.Target
	}
	return nil, fmt.Errorf("%s: tags nested too deep", h)
}

func toRefSpecs(s []string) []config.RefSpec {
	out := make([]config.RefSpec, len(s))
	for i, v := range s {
		out[i] = config.RefSpec(v)
	}
	return out
}

func (c *cloner) submodules(ctx context.Context) error {
	wt, err := c.repo.Worktree()
	if err != nil {
		return err
	}
	subs, err := wt.Submodules()
	if err != nil {
		return fmt.Errorf("reading .gitmodules: %w", err)
	}
	for _, s := range subs {
		cfg := s.Config()
		ep, err := transport.NewEndpoint(cfg.URL)
		if err != nil {
			return fmt.Errorf("submodule %s: url %q: %w", cfg.Name, cfg.URL, err)
		}
		auth, err := gitauth.For(ep, c.o.home, io.Discard)
		if err != nil {
			return fmt.Errorf("submodule %s: %w", cfg.Name, err)
		}
		err = s.UpdateContext(ctx, &git.SubmoduleUpdateOptions{
			Init: true, RecurseSubmodules: git.DefaultSubmoduleRecursionDepth, Auth: auth,
		})
		if err != nil {
			return fmt.Errorf("submodule %s (%s): %w", cfg.Name, cfg.URL, err)
		}
	}
	return nil
}
