package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// manifestPath matches PUT /v2/<name>/manifests/<reference>.
var manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)

// journalEntry is one manifest PUT, replayed at start so manifests survive a
// restart (the library keeps them in memory only; blobs are on disk).
type journalEntry struct {
	Path        string `json:"path"`
	ContentType string `json:"contentType"`
	Body        []byte `json:"body"`
}

// journaled wraps a registry handler and appends every successful manifest PUT to a file.
type journaled struct {
	next http.Handler
	mu   sync.Mutex
	f    *os.File
}

func (j *journaled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || !manifestPath.MatchString(r.URL.Path) {
		j.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	j.next.ServeHTTP(rec, r)
	if rec.Code/100 == 2 {
		if err := j.append(journalEntry{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Body: body}); err != nil {
			http.Error(w, fmt.Sprintf("recording manifest: %v", err), http.StatusInternalServerError)
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (j *journaled) append(e journalEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return err
	}
	return j.f.Sync()
}

// replay PUTs every journaled manifest into h, in order.
func replay(path string, h http.Handler) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return n, fmt.Errorf("%s line %d: %w", path, n+1, err)
		}
		req := httptest.NewRequest(http.MethodPut, e.Path, bytes.NewReader(e.Body))
		req.Header.Set("Content-Type", e.ContentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		// A manifest whose blobs are gone is skipped, not fatal: re-push it.
		n++
	}
	return n, sc.Err()
}

func newRegistryHandler(dir string, logw io.Writer) (http.Handler, func() error, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, nil, err
	}
	logger := log.New(io.Discard, "", 0)
	if logw != nil {
		logger = log.New(logw, "registry ", log.LstdFlags)
	}
	h := registry.New(registry.WithBlobHandler(registry.NewDiskBlobHandler(filepath.Join(dir, "blobs"))), registry.Logger(logger))
	jpath := filepath.Join(dir, "manifests.jsonl")
	if _, err := replay(jpath, h); err != nil {
		return nil, nil, fmt.Errorf("replaying %s: %w", jpath, err)
	}
	f, err := os.OpenFile(jpath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return &journaled{next: h, f: f}, f.Close, nil
}

func runRegistry(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	addr := fs.String("address", "127.0.0.1:5000", "listen addresses, comma-separated (loopback for the node, the cluster bridge for pods)")
	dir := fs.String("dir", "", "directory for blobs and the manifest journal (required)")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("--dir is required")
	}
	var logw io.Writer
	if *verbose {
		logw = stderr
	}
	h, closeJournal, err := newRegistryHandler(*dir, logw)
	if err != nil {
		return err
	}
	defer func() { _ = closeJournal() }()
	var lns []net.Listener
	for _, a := range strings.Split(*addr, ",") {
		ln, err := net.Listen("tcp", strings.TrimSpace(a))
		if err != nil {
			for _, l := range lns {
				_ = l.Close()
			}
			return fmt.Errorf("registry address %s: %w", a, err)
		}
		lns = append(lns, ln)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	errs := make(chan error, len(lns))
	for _, ln := range lns {
		fmt.Fprintf(stderr, "registry listening on %s, data in %s\n", ln.Addr(), *dir)
		go func() { errs <- srv.Serve(ln) }()
	}
	for range lns {
		if err := <-errs; !errors.Is(err, http.ErrServerClosed) {
			_ = srv.Close()
			return err
		}
	}
	return nil
}
