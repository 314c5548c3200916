package taskref

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/failure"
)

// RemoteFetcher reads the file a git or http resolver names.
type RemoteFetcher interface {
	// HTTP returns the body served at url.
	HTTP(ctx context.Context, url string) ([]byte, error)
	// Git returns the file at path in the repository at url, at revision
	// (a branch, a tag or a commit; empty: the default branch), and the commit.
	Git(ctx context.Context, url, revision, path string) (data []byte, commit string, err error)
}

// IsRemote reports whether ref is fetched over the network by the git or
// http resolver.
func IsRemote(ref *windlassv1.TaskRef) bool {
	return ref != nil && (ref.Resolver == "git" || ref.Resolver == "http")
}

// RemoteNotFoundError is a file, revision or repository that does not exist (yet).
type RemoteNotFoundError struct{ Source, Msg string }

func (e *RemoteNotFoundError) Error() string { return fmt.Sprintf("%s: %s", e.Source, e.Msg) }

// maxRemoteBytes bounds a fetched Task file.
const maxRemoteBytes = 1 << 20

// Remote fetches over the network: plain HTTP(S) GETs, and anonymous git
// clones into memory (shallow for a branch or tag).
type Remote struct {
	// Client does the HTTP requests (default: one with a 30s timeout).
	Client *http.Client
}

func (r *Remote) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// HTTP implements RemoteFetcher. 404 and 410 are RemoteNotFoundError; 401
// and 403 are the spec's (an InvalidError: no credentials are sent); other
// failures are transient.
func (r *Remote) HTTP(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &InvalidError{Msg: fmt.Sprintf("resolver url %q: %v", url, err)}
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return nil, failure.Transient(windlassv1.ReasonRemoteUnavailable, fmt.Errorf("http resolver: %w", err))
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, &RemoteNotFoundError{Source: url, Msg: resp.Status}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &InvalidError{Msg: fmt.Sprintf("resolver url %q: %s (the http resolver sends no credentials)", url, resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, failure.Transient(windlassv1.ReasonRemoteUnavailable, fmt.Errorf("http resolver: GET %s: %s", url, resp.Status))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteBytes+1))
	if err != nil {
		return nil, failure.Transient(windlassv1.ReasonRemoteUnavailable, fmt.Errorf("http resolver: reading %s: %w", url, err))
	}
	if len(data) > maxRemoteBytes {
		return nil, &InvalidError{Msg: fmt.Sprintf("resolver url %q: the file is larger than %d bytes", url, maxRemoteBytes)}
	}
	return data, nil
}

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Git implements RemoteFetcher.
func (r *Remote) Git(ctx context.Context, url, revision, path string) ([]byte, string, error) {
	opts := &git.CloneOptions{URL: url, NoCheckout: true, Tags: git.NoTags}
	var repo *git.Repository
	var err error
	switch {
	case commitSHA.MatchString(revision):
		repo, err = git.CloneContext(ctx, memory.NewStorage(), memfs.New(), opts) // a commit needs the history
	case revision == "":
		opts.Depth, opts.SingleBranch = 1, true
		repo, err = git.CloneContext(ctx, memory.NewStorage(), memfs.New(), opts)
	default:
		opts.Depth, opts.SingleBranch = 1, true
		for _, ref := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(revision), plumbing.NewTagReferenceName(revision)} {
			opts.ReferenceName = ref
			if repo, err = git.CloneContext(ctx, memory.NewStorage(), memfs.New(), opts); !errors.Is(err, plumbing.ErrReferenceNotFound) && !isNoMatchingRef(err) {
				break
			}
		}
	}
	source := "git+" + url
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return nil, "", &RemoteNotFoundError{Source: source, Msg: "no such repository"}
	case errors.Is(err, plumbing.ErrReferenceNotFound) || isNoMatchingRef(err):
		return nil, "", &RemoteNotFoundError{Source: source, Msg: fmt.Sprintf("no branch or tag %q", revision)}
	case errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed):
		return nil, "", &InvalidError{Msg: fmt.Sprintf("resolver url %q: %v (the git resolver reads public repositories only)", url, err)}
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return nil, "", &RemoteNotFoundError{Source: source, Msg: "the repository is empty"}
	case err != nil:
		return nil, "", failure.Transient(windlassv1.ReasonRemoteUnavailable, fmt.Errorf("git resolver: cloning %s: %w", url, err))
	}
	var commit *object.Commit
	if commitSHA.MatchString(revision) {
		commit, err = repo.CommitObject(plumbing.NewHash(revision))
		if err != nil {
			return nil, "", &RemoteNotFoundError{Source: source, Msg: fmt.Sprintf("no commit %s", revision)}
		}
	} else {
		head, err := repo.Head()
		if err != nil {
			return nil, "", &RemoteNotFoundError{Source: source, Msg: fmt.Sprintf("revision %q: %v", revision, err)}
		}
		if commit, err = repo.CommitObject(head.Hash()); err != nil {
			// An annotated tag's HEAD is the tag object: peel it.
			tag, terr := repo.TagObject(head.Hash())
			if terr != nil {
				return nil, "", fmt.Errorf("git resolver: %s at %s: %w", url, head.Hash(), err)
			}
			if commit, err = tag.Commit(); err != nil {
				return nil, "", fmt.Errorf("git resolver: tag %s: %w", revision, err)
			}
		}
	}
	f, err := commit.File(strings.TrimPrefix(path, "/"))
	if errors.Is(err, object.ErrFileNotFound) {
		return nil, "", &RemoteNotFoundError{Source: source, Msg: fmt.Sprintf("no file %s at %s", path, commit.Hash)}
	}
	if err != nil {
		return nil, "", fmt.Errorf("git resolver: %s: %w", path, err)
	}
	if f.Size > maxRemoteBytes {
		return nil, "", &InvalidError{Msg: fmt.Sprintf("resolver pathInRepo %q: the file is larger than %d bytes", path, maxRemoteBytes)}
	}
	text, err := f.Contents()
	if err != nil {
		return nil, "", fmt.Errorf("git resolver: %s: %w", path, err)
	}
	return []byte(text), commit.Hash.String(), nil
}

// isNoMatchingRef: go-git's shallow clone of a missing branch says so in words.
func isNoMatchingRef(err error) bool {
	return err != nil && strings.Contains(err.Error(), "couldn't find remote ref")
}

// fromRemote fetches and decodes the Task a git or http resolver names.
func fromRemote(ctx context.Context, f RemoteFetcher, t Target) (*windlassv1.Task, *windlassv1.RefSource, error) {
	data, src, err := fetchRemote(ctx, f, t)
	if err != nil {
		return nil, nil, err
	}
	task := &windlassv1.Task{}
	if err := decodeRemote(data, src, "Task", task); err != nil {
		return nil, nil, err
	}
	return task, src, nil
}

// fetchRemote reads the file a git or http resolver names, with its source.
func fetchRemote(ctx context.Context, f RemoteFetcher, t Target) ([]byte, *windlassv1.RefSource, error) {
	if f == nil {
		return nil, nil, &InvalidError{Msg: "resolver: this controller does not fetch from git or http"}
	}
	if t.Git {
		data, commit, err := f.Git(ctx, t.URL, t.Revision, t.Path)
		if err != nil {
			return nil, nil, err
		}
		return data, &windlassv1.RefSource{URI: "git+" + t.URL, Digest: map[string]string{"sha1": commit}, EntryPoint: t.Path}, nil
	}
	data, err := f.HTTP(ctx, t.URL)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	return data, &windlassv1.RefSource{URI: t.URL, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}}, nil
}

// decodeRemote decodes a fetched file into obj, which must be a Windlass kind.
func decodeRemote(data []byte, src *windlassv1.RefSource, kind string, obj client.Object) error {
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		return &InvalidError{Msg: fmt.Sprintf("%s: not a %s: %v", src.URI, kind, err)}
	}
	if gvk := obj.GetObjectKind().GroupVersionKind(); gvk.GroupVersion() != windlassv1.GroupVersion || gvk.Kind != kind {
		return &InvalidError{Msg: fmt.Sprintf("%s holds %s %s, not a %s %s", src.URI, gvk.GroupVersion(), gvk.Kind, windlassv1.GroupVersion, kind)}
	}
	return nil
}
