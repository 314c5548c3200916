// Package toolkit holds what every catalog step tool shares: writing results
// where the Task asked for them and turning a flag set's errors into usage
// errors that name the flag.
package toolkit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/windlass-dev/windlass/internal/contract"
)

// UsageError is a mistake in the tool's arguments (the Task's params): the
// run failed because of its spec, not because the tool or a server did.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// IsUsage reports whether err is (or wraps) a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// NewFlags returns a flag set that reports to stderr and returns errors.
func NewFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// Parse parses args and returns a UsageError for bad flags or stray arguments.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return &UsageError{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// SplitAtDashDash splits a command line at the first "--": the flags before
// it, and the words after it (where a Task expands an array param).
func SplitAtDashDash(args []string) (flags, rest []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	return args, nil
}

// NameValues parses NAME=VALUE words, in order. Empty words (an empty string
// param) are skipped; a word without "=" or a name is a UsageError that calls
// it what ("build arg", "build param").
func NameValues(words []string, what string) ([][2]string, error) {
	var out [][2]string
	for _, w := range words {
		if w == "" {
			continue
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, Usagef("%s %q: want NAME=VALUE", what, w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// Bool parses a Task param that holds a boolean ("true"/"false", any case).
func Bool(name, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0", "":
		return false, nil
	}
	return false, Usagef("--%s: want true or false, got %q", name, v)
}

// Inside checks a relative path that a Task param gives (the --flag named
// flag) and returns it cleaned ("." for empty). An absolute path or one whose
// ".." climbs out of the directory it is relative to (within, e.g. "the
// workspace") is a UsageError. The check is lexical: callers resolve it in a
// tree they made or cloned themselves.
func Inside(flag, rel, within string) (string, error) {
	if rel == "" {
		return ".", nil
	}
	if !filepath.IsLocal(rel) {
		return "", Usagef("--%s %q: must be a relative path inside %s", flag, rel, within)
	}
	return filepath.Clean(rel), nil
}

// WriteResult writes value to path (a $(results.NAME.path)); an empty path
// means the Task did not ask for this result.
func WriteResult(path, value string) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("result %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("result %s: %w", path, err)
	}
	return nil
}

// WriteMessage writes "NAME: ERR" on one line to path, the step's message file
// ($WINDLASS_MESSAGE_FILE), which the TaskRun's failure message quotes. An
// empty path (not run by the entrypoint) writes nothing.
func WriteMessage(path, name string, err error) error {
	if path == "" {
		return nil
	}
	var lines []string // a multi-line error joined into one line
	for _, l := range strings.Split(fmt.Sprintf("%s: %v", name, err), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "; ")+"\n"), 0o644)
}

// Main runs a tool's run function and exits: 0 on success, 2 for usage
// errors, 1 otherwise, with the error on stderr prefixed by the tool's name
// and in the step's message file.
// SIGTERM (the run's timeout or cancellation) cancels the context.
func Main(name string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
	_ = WriteMessage(os.Getenv(contract.EnvMessageFile), name, err)
	if IsUsage(err) {
		os.Exit(2)
	}
	os.Exit(1)
}
