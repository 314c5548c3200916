package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// sidecarAddress is where the Task's buildkitd sidecar listens.
const sidecarAddress = "unix:///run/buildkit/buildkitd.sock"

type options struct {
	image, context, dockerfile, target, platforms, cacheRef, address string
	buildArgs                                                        [][2]string
	wait                                                             time.Duration
	resultURL, resultDigest                                          string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := toolkit.NewFlags("buildkit-build", stderr)
	o := &options{}
	fs.StringVar(&o.image, "image", "", "image to build and push, without a digest (registry/repository[:tag])")
	fs.StringVar(&o.context, "context", "", "the build context directory")
	fs.StringVar(&o.dockerfile, "dockerfile", "Dockerfile", "the Dockerfile, relative to --context (or absolute)")
	fs.StringVar(&o.target, "target", "", "the Dockerfile stage to build (default: the last)")
	fs.StringVar(&o.platforms, "platforms", "", "comma-separated platforms (default: the node's)")
	fs.StringVar(&o.cacheRef, "cache-ref", "", "registry repository to import and export the build cache (mode=max); empty: no cache")
	fs.StringVar(&o.address, "address", "", "buildkitd address (unix:// or tcp://); empty: the Task's sidecar, "+sidecarAddress)
	fs.DurationVar(&o.wait, "wait", time.Minute, "how long to wait for buildkitd to answer")
	fs.StringVar(&o.resultURL, "result-image-url", "", "file to write the pushed image's URL to")
	fs.StringVar(&o.resultDigest, "result-image-digest", "", "file to write the pushed image's digest to")
	// Build args follow "--" so that a Task can expand an array param there.
	args, rest := toolkit.SplitAtDashDash(args)
	if err := toolkit.Parse(fs, args); err != nil {
		return nil, err
	}
	if o.image = strings.TrimSpace(o.image); o.image == "" {
		return nil, toolkit.Usagef("--image is required")
	}
	if strings.Contains(o.image, "@") || strings.ContainsAny(o.image, " \t") {
		return nil, toolkit.Usagef("--image %q: want registry/repository[:tag] without a digest", o.image)
	}
	if o.context == "" {
		return nil, toolkit.Usagef("--context is required (a directory in a workspace)")
	}
	if st, err := os.Stat(o.context); err != nil || !st.IsDir() {
		return nil, toolkit.Usagef("--context %q: not a directory", o.context)
	}
	df := o.dockerfile
	if !filepath.IsAbs(df) {
		df = filepath.Join(o.context, df)
	}
	if st, err := os.Stat(df); err != nil || st.IsDir() {
		return nil, toolkit.Usagef("--dockerfile %q: no such file (looked for %s)", o.dockerfile, df)
	}
	o.dockerfile = df
	if o.address = strings.TrimSpace(o.address); o.address == "" {
		o.address = sidecarAddress
	}
	if !strings.HasPrefix(o.address, "unix://") && !strings.HasPrefix(o.address, "tcp://") {
		return nil, toolkit.Usagef("--address %q: want unix:///path or tcp://host:port", o.address)
	}
	var err error
	if o.buildArgs, err = toolkit.NameValues(rest, "build arg"); err != nil {
		return nil, err
	}
	return o, nil
}

// solveOpt is the build BuildKit is asked for: the Dockerfile frontend over the
// context, the image pushed, and the registry cache when a ref is given.
func (o *options) solveOpt() (client.SolveOpt, error) {
	ctxFS, err := fsutil.NewFS(o.context)
	if err != nil {
		return client.SolveOpt{}, fmt.Errorf("--context %s: %w", o.context, err)
	}
	dfFS, err := fsutil.NewFS(filepath.Dir(o.dockerfile))
	if err != nil {
		return client.SolveOpt{}, fmt.Errorf("--dockerfile %s: %w", o.dockerfile, err)
	}
	attrs := map[string]string{"filename": filepath.Base(o.dockerfile)}
	if o.target != "" {
		attrs["target"] = o.target
	}
	if o.platforms != "" {
		attrs["platform"] = o.platforms
	}
	for _, kv := range o.buildArgs {
		attrs["build-arg:"+kv[0]] = kv[1]
	}
	opt := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Exports: []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
			"name": o.image, "push": "true",
		}}},
	}
	if o.cacheRef != "" {
		opt.CacheImports = []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": o.cacheRef}}}
		opt.CacheExports = []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": o.cacheRef, "mode": "max"}}}
	}
	return opt, nil
}
