package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/util/progress/progressui"
	"golang.org/x/sync/errgroup"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	opt, err := o.solveOpt()
	if err != nil {
		return err
	}
	start := time.Now()
	c, err := connect(ctx, o.address, o.wait)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	ready := time.Since(start)

	// Registry credentials: $HOME/.docker/config.json, which the entrypoint
	// writes from the run's service account.
	dockerConfig := config.LoadDefaultConfigFile(stderr)
	opt.Session = []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(dockerConfig),
	})}

	display, err := progressui.NewDisplay(stderr, progressui.PlainMode)
	if err != nil {
		return err
	}
	ch := make(chan *client.SolveStatus)
	tee := make(chan *client.SolveStatus)
	var tally cacheTally
	var resp *client.SolveResponse
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var err error
		resp, err = c.Solve(egctx, nil, opt, ch)
		return err
	})
	eg.Go(func() error {
		defer close(tee)
		for s := range ch {
			tally.add(s)
			tee <- s
		}
		return nil
	})
	eg.Go(func() error {
		_, err := display.UpdateFrom(context.WithoutCancel(egctx), tee)
		return err
	})
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("building %s: %w", o.image, err)
	}
	digest := resp.ExporterResponse["containerimage.digest"]
	if digest == "" {
		return fmt.Errorf("building %s: buildkitd reported no image digest", o.image)
	}
	cached, steps := tally.counts()
	fmt.Fprintf(stdout, "pushed %s@%s: %d of %d build steps from the cache; buildkitd ready after %.2fs, build %.2fs\n",
		o.image, digest, cached, steps, ready.Seconds(), time.Since(start).Seconds()-ready.Seconds())
	return errors.Join(toolkit.WriteResult(o.resultURL, o.image), toolkit.WriteResult(o.resultDigest, digest))
}

// connect waits (bounded) for buildkitd to answer: a sidecar starts beside
// the step and may not be listening yet.
func connect(ctx context.Context, address string, wait time.Duration) (*client.Client, error) {
	deadline := time.Now().Add(wait)
	var last error
	for {
		c, err := client.New(ctx, address)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.ListWorkers(pctx)
			cancel()
			if err == nil {
				return c, nil
			}
			_ = c.Close()
		}
		last = err
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("buildkitd at %s did not answer within %s: %w", address, wait, last)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// dockerfileStep matches the vertices of Dockerfile instructions that make
// layers ("[2/4] RUN ...", "[build 3/3] COPY ..."): not FROM (the base image is
// resolved, not built) and not BuildKit's internal ones.
var dockerfileStep = regexp.MustCompile(`^\[[^\]]*\d+/\d+\] `)

func layerStep(name string) bool {
	loc := dockerfileStep.FindStringIndex(name)
	return loc != nil && !strings.HasPrefix(name[loc[1]:], "FROM ")
}

// cacheTally counts the Dockerfile's layer steps and those BuildKit took from its cache.
type cacheTally struct {
	done map[string]bool // vertex digest -> cached
}

func (t *cacheTally) add(s *client.SolveStatus) {
	if t.done == nil {
		t.done = map[string]bool{}
	}
	for _, v := range s.Vertexes {
		if v.Completed != nil && layerStep(v.Name) {
			t.done[v.Digest.String()] = v.Cached
		}
	}
}

func (t *cacheTally) counts() (cached, steps int) {
	for _, c := range t.done {
		steps++
		if c {
			cached++
		}
	}
	return cached, steps
}
