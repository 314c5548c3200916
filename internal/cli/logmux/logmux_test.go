package logmux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// output is a writer the test can watch.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor polls until the output holds s.
func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(o.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("output never held %q; it is:\n%s", s, o.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func static(s string) func(context.Context) (io.ReadCloser, error) {
	return func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

// piped is a step whose stream the test writes.
type piped struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func newPiped() *piped {
	r, w := io.Pipe()
	return &piped{r: r, w: w}
}

func (p *piped) open(context.Context) (io.ReadCloser, error) { return p.r, nil }

func (p *piped) line(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(p.w, s+"\n"); err != nil {
		t.Fatal(err)
	}
}

func run(m *Mux, lanes chan Lane) chan error {
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), lanes) }()
	return done
}

func TestStepsOfATaskInOrder(t *testing.T) {
	out := &output{}
	first := newPiped()
	lanes := make(chan Lane, 1)
	// The second step's stream is ready at once; the first one's is slow:
	// the second must still come after every line of the first.
	lanes <- Lane{Task: "build", Steps: []Step{
		{Name: "fetch", Open: first.open},
		{Name: "compile", Open: static("c1\nc2\n")},
		{Name: "never-ran", Open: func(context.Context) (io.ReadCloser, error) { return nil, nil }},
	}}
	close(lanes)
	done := run(New(out, Options{}), lanes)
	first.line(t, "f1")
	out.waitFor(t, "[build:fetch] f1\n")
	first.line(t, "f2")
	first.w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "[build:fetch] f1\n[build:fetch] f2\n[build:compile] c1\n[build:compile] c2\n"
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParallelTasksInterleaveLineByLine(t *testing.T) {
	out := &output{}
	a, b := newPiped(), newPiped()
	lanes := make(chan Lane, 2)
	lanes <- Lane{Task: "a", Steps: []Step{{Name: "s", Open: a.open}}}
	lanes <- Lane{Task: "b", Steps: []Step{{Name: "s", Open: b.open}}}
	close(lanes)
	done := run(New(out, Options{}), lanes)
	var want strings.Builder
	for i := range 3 {
		a.line(t, fmt.Sprintf("a%d", i))
		out.waitFor(t, fmt.Sprintf("[a:s] a%d\n", i))
		b.line(t, fmt.Sprintf("b%d", i))
		out.waitFor(t, fmt.Sprintf("[b:s] b%d\n", i))
		fmt.Fprintf(&want, "[a:s] a%d\n[b:s] b%d\n", i, i)
	}
	a.w.Close()
	b.w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want.String() {
		t.Errorf("got\n%s\nwant\n%s", got, want.String())
	}
}

func TestLinesAreNeverSplit(t *testing.T) {
	out := &output{}
	lanes := make(chan Lane, 4)
	const n = 10000
	for _, task := range []string{"a", "b", "c", "d"} {
		r, w := io.Pipe()
		go func() {
			// Lines are written in odd pieces: the mux must join them.
			for i := range n {
				line := fmt.Sprintf("%s-%05d %s\n", task, i, strings.Repeat("x", i%97))
				mid := len(line) / 3
				if _, err := io.WriteString(w, line[:mid]); err != nil {
					return
				}
				if _, err := io.WriteString(w, line[mid:]); err != nil {
					return
				}
			}
			_, _ = io.WriteString(w, task+"-last-without-newline") // a failed write shows as missing lines
			w.Close()
		}()
		lanes <- Lane{Task: task, Steps: []Step{{Name: "s", Open: func(context.Context) (io.ReadCloser, error) { return r, nil }}}}
	}
	close(lanes)
	if err := <-run(New(out, Options{}), lanes); err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4*(n+1) {
		t.Fatalf("%d lines, want %d", len(lines), 4*(n+1))
	}
	for _, l := range lines {
		var task, text string
		if _, err := fmt.Sscanf(l, "[%1s:s] %s", &task, &text); err != nil {
			t.Fatalf("line %q is not [task:step] text: %v", l, err)
		}
		if text == task+"-last-without-newline" {
			continue
		}
		want := fmt.Sprintf("%s-%05d", task, next[task])
		if text != want {
			t.Fatalf("line %q: want %s next", l, want)
		}
		next[task]++
	}
}

func TestStreamEndingEarlyAndLateLane(t *testing.T) {
	out := &output{}
	early, long, late := newPiped(), newPiped(), newPiped()
	lanes := make(chan Lane)
	done := run(New(out, Options{}), lanes)
	lanes <- Lane{Task: "early", Steps: []Step{{Name: "s", Open: early.open}}}
	lanes <- Lane{Task: "long", Steps: []Step{{Name: "s", Open: long.open}}}
	early.line(t, "bye")
	early.w.Close() // ends while the others go on
	long.line(t, "l1")
	out.waitFor(t, "[long:s] l1\n")

	// A pod that appears late: its lane arrives now, and its stream opens
	// only once the container has started.
	started := make(chan struct{})
	lanes <- Lane{Task: "late", Steps: []Step{{Name: "s", Open: func(ctx context.Context) (io.ReadCloser, error) {
		select {
		case <-started:
			return late.r, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}}}
	close(lanes) // no more tasks: Run must still wait for the lanes it has
	long.line(t, "l2")
	out.waitFor(t, "[long:s] l2\n")
	close(started)
	late.line(t, "z1")
	out.waitFor(t, "[late:s] z1\n")
	long.w.Close()
	select {
	case err := <-done:
		t.Fatalf("Run ended (%v) while a lane was still open", err)
	case <-time.After(20 * time.Millisecond):
	}
	late.line(t, "z2")
	late.w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"[early:s] bye", "[long:s] l1", "[long:s] l2", "[late:s] z1", "[late:s] z2"} {
		if !strings.Contains(out.String(), l+"\n") {
			t.Errorf("output lacks %q:\n%s", l, out.String())
		}
	}
}

func TestSequentialKeepsLaneOrder(t *testing.T) {
	out := &output{}
	slow := newPiped()
	lanes := make(chan Lane, 2)
	lanes <- Lane{Task: "first", Steps: []Step{{Name: "s", Open: slow.open}}}
	lanes <- Lane{Task: "second", Steps: []Step{{Name: "s", Open: static("2\n")}}}
	close(lanes)
	done := run(New(out, Options{Sequential: true}), lanes)
	slow.line(t, "1")
	slow.w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[first:s] 1\n[second:s] 2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestErrorsAndColour(t *testing.T) {
	out := &output{}
	lanes := make(chan Lane, 2)
	lanes <- Lane{Task: "a", Steps: []Step{
		{Name: "broken", Open: func(context.Context) (io.ReadCloser, error) { return nil, errors.New("pod gone") }},
		{Name: "next", Open: static("still here")},
	}}
	lanes <- Lane{Task: "b", Steps: []Step{{Name: "s", Open: static("b\n")}}}
	close(lanes)
	err := <-run(New(out, Options{Color: true, Sequential: true}), lanes)
	if err == nil || err.Error() != "a:broken: pod gone" {
		t.Errorf("error %v, want a:broken: pod gone", err)
	}
	want := "\x1b[36m[a:next]\x1b[0m still here\n\x1b[33m[b:s]\x1b[0m b\n"
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	lanes := make(chan Lane)
	done := make(chan error, 1)
	go func() { done <- New(io.Discard, Options{}).Run(ctx, lanes) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
