// Package logmux writes the logs of a run's steps to one output: each line
// whole, prefixed with [task:step], the steps of one task in order and the
// tasks that run at the same time interleaved line by line. It knows nothing
// of Kubernetes: a Lane is a task whose steps open their streams when they
// can (the caller waits for the container there), and lanes may arrive at
// any time until the caller closes the channel.
package logmux

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Step is one step of a lane.
type Step struct {
	Name string
	// Open returns the step's stream, blocking until it can be read. A nil
	// stream with a nil error means the step has no log (it never ran).
	// Every stream is read to EOF: the last lines of a step that ends while
	// it is followed are not lost.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Lane is one task of the run (one TaskRun): its steps run one after another.
type Lane struct {
	Task  string
	Steps []Step
}

// Options tune the output.
type Options struct {
	// Color prefixes each task in its own colour (for a terminal).
	Color bool
	// Sequential writes lane after lane, in the order they arrive (the logs
	// of a finished run, in DAG order), instead of interleaving them.
	Sequential bool
}

// Mux writes lines to one writer.
type Mux struct {
	mu     sync.Mutex
	w      io.Writer
	opts   Options
	colors map[string]string
	errs   []error
}

var palette = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[91m", "\x1b[96m", "\x1b[93m"}

const reset = "\x1b[0m"

// New returns a Mux writing to w.
func New(w io.Writer, o Options) *Mux {
	return &Mux{w: w, opts: o, colors: map[string]string{}}
}

// Run writes the lanes received until lanes is closed and every lane has
// been written. Errors opening or reading a step are written as a line of
// that step and returned together at the end; the other lanes go on.
func (m *Mux) Run(ctx context.Context, lanes <-chan Lane) error {
	var wg sync.WaitGroup
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return errors.Join(append(m.errs, ctx.Err())...)
		case lane, ok := <-lanes:
			if !ok {
				wg.Wait()
				return errors.Join(m.errs...)
			}
			m.color(lane.Task)
			if m.opts.Sequential {
				m.lane(ctx, lane)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.lane(ctx, lane)
			}()
		}
	}
}

func (m *Mux) lane(ctx context.Context, lane Lane) {
	for _, s := range lane.Steps {
		if err := m.step(ctx, lane.Task, s); err != nil {
			m.mu.Lock()
			m.errs = append(m.errs, fmt.Errorf("%s:%s: %w", lane.Task, s.Name, err))
			m.mu.Unlock()
		}
	}
}

func (m *Mux) step(ctx context.Context, task string, s Step) error {
	r, err := s.Open(ctx)
	if err != nil || r == nil {
		return err
	}
	defer r.Close()
	_, err = m.Copy(task, s.Name, r)
	return err
}

// Copy writes r's lines with the [task:step] prefix until EOF and returns
// how many it wrote. A last line without a newline gets one.
func (m *Mux) Copy(task, step string, r io.Reader) (int, error) {
	prefix := m.prefix(task, step)
	br := bufio.NewReaderSize(r, 64*1024)
	n := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			if werr := m.write(prefix, line); werr != nil {
				return n, werr
			}
			n++
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (m *Mux) write(prefix string, line []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	buf := make([]byte, 0, len(prefix)+len(line))
	buf = append(append(buf, prefix...), line...)
	_, err := m.w.Write(buf)
	return err
}

// color fixes a task's colour in the order tasks are first seen.
func (m *Mux) color(task string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.colors[task]
	if !ok {
		c = palette[len(m.colors)%len(palette)]
		m.colors[task] = c
	}
	return c
}

func (m *Mux) prefix(task, step string) string {
	p := "[" + task + ":" + step + "]"
	if m.opts.Color {
		p = m.color(task) + p + reset
	}
	return p + " "
}
