package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// imageSpec is what the image command builds.
type imageSpec struct {
	Base       string
	Dirs       []string // SRC[:DEST], DEST defaults to /
	Files      []string // SRC:DEST
	Layers     []string // tarballs appended as they are, before Dirs and Files
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string
	WorkDir    string
	Push       string
}

func runImage(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var s imageSpec
	var dirs, files, layers, entry, cmd, env multiFlag
	fs.StringVar(&s.Base, "base", "scratch", "base image reference, or scratch")
	fs.Var(&dirs, "dir", "SRC[:DEST]: add a directory tree at DEST (default /); repeatable")
	fs.Var(&files, "file", "SRC:DEST: add one file; repeatable")
	fs.Var(&layers, "layer", "TAR: append a tarball (a root file system, say) as one layer, as it is; repeatable")
	fs.Var(&entry, "entrypoint", "entrypoint word; repeatable")
	fs.Var(&cmd, "cmd", "cmd word; repeatable")
	fs.Var(&env, "env", "K=V environment variable; repeatable")
	fs.StringVar(&s.User, "user", "", "user to run as")
	fs.StringVar(&s.WorkDir, "workdir", "", "working directory")
	fs.StringVar(&s.Push, "push", "", "reference to push to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s.Dirs, s.Files, s.Layers, s.Entrypoint, s.Cmd, s.Env = dirs, files, layers, entry, cmd, env
	if s.Push == "" {
		return fmt.Errorf("--push is required")
	}
	ref, err := name.ParseReference(s.Push, name.Insecure)
	if err != nil {
		return fmt.Errorf("--push %q: %w", s.Push, err)
	}
	img, err := buildImage(ctx, s)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	dig, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s@%s\n", ref.Context().Name(), dig)
	return nil
}

func buildImage(ctx context.Context, s imageSpec) (v1.Image, error) {
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	if s.Base != "" && s.Base != "scratch" {
		ref, err := name.ParseReference(s.Base, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("--base %q: %w", s.Base, err)
		}
		base, err = remote.Image(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
		if err != nil {
			return nil, fmt.Errorf("fetching base %s: %w", ref, err)
		}
	}
	entries, err := collect(s.Dirs, s.Files)
	if err != nil {
		return nil, err
	}
	img := base
	for _, tf := range s.Layers {
		layer, err := tarball.LayerFromFile(tf, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("--layer %s: %w", tf, err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return nil, err
		}
	}
	if len(entries) > 0 {
		data, err := tarLayer(entries)
		if err != nil {
			return nil, err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	if s.Entrypoint != nil {
		cf.Config.Entrypoint = s.Entrypoint
		cf.Config.Cmd = nil
	}
	if s.Cmd != nil {
		cf.Config.Cmd = s.Cmd
	}
	cf.Config.Env = mergeEnv(cf.Config.Env, s.Env)
	if s.User != "" {
		cf.Config.User = s.User
	}
	if s.WorkDir != "" {
		cf.Config.WorkingDir = s.WorkDir
	}
	return mutate.ConfigFile(img, cf)
}

// mergeEnv overrides base variables by name and keeps their order.
func mergeEnv(base, add []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	if len(out) == 0 {
		return []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	return out
}

// entry is one path in a layer: SRC on disk (empty for a synthesised parent directory).
type entry struct {
	dest string
	src  string
	info fs.FileInfo
}

func collect(dirs, files []string) (map[string]entry, error) {
	out := map[string]entry{}
	add := func(dest, src string, info fs.FileInfo) {
		dest = path.Clean("/" + dest)
		out[dest] = entry{dest: dest, src: src, info: info}
		for p := path.Dir(dest); p != "/"; p = path.Dir(p) {
			if _, ok := out[p]; !ok {
				out[p] = entry{dest: p}
			}
		}
	}
	for _, d := range dirs {
		src, dest, ok := strings.Cut(d, ":")
		if !ok {
			dest = "/"
		}
		err := filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil || rel == "." {
				return err
			}
			info, err := os.Lstat(p)
			if err != nil {
				return err
			}
			add(path.Join(dest, filepath.ToSlash(rel)), p, info)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--dir %q: %w", d, err)
		}
	}
	for _, f := range files {
		src, dest, ok := strings.Cut(f, ":")
		if !ok || dest == "" {
			return nil, fmt.Errorf("--file %q: want SRC:DEST", f)
		}
		info, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("--file %q: %w", f, err)
		}
		if info.IsDir() {
			return nil, fmt.Errorf("--file %q: %s is a directory, use --dir", f, src)
		}
		add(dest, src, info)
	}
	return out, nil
}

// tarLayer writes the entries in path order with fixed owners and times, so the
// same inputs always give the same digest.
func tarLayer(entries map[string]entry) ([]byte, error) {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	for _, n := range names {
		e := entries[n]
		h := &tar.Header{Name: strings.TrimPrefix(n, "/"), ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.info == nil || e.info.IsDir():
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
			if e.info != nil {
				h.Mode = int64(e.info.Mode().Perm())
				if e.info.Mode()&fs.ModeSticky != 0 {
					h.Mode |= 0o1000
				}
			}
		case e.info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(e.src)
			if err != nil {
				return nil, err
			}
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
		case e.info.Mode().IsRegular():
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, int64(e.info.Mode().Perm()), e.info.Size()
		default:
			return nil, fmt.Errorf("%s: unsupported file type %s", e.src, e.info.Mode().Type())
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			f, err := os.Open(e.src)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.src, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
