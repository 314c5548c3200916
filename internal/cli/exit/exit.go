// Package exit maps what a windlass command ended with to the process exit
// code scripts rely on: 0 success, 1 the run (or the command) failed, 2 usage
// or validation error, 3 timed out.
package exit

import (
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The exit codes.
const (
	OK       = 0
	Failed   = 1
	Usage    = 2
	TimedOut = 3
)

// Error carries the exit code a command ends with. A nil Err with a non-zero
// code ends the process quietly (the command already said why).
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// UsageError is a usage or validation error (exit 2).
func UsageError(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// WithCode gives err the exit code (nil stays nil).
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Code is the exit code err ends the process with: 0 for nil, the code of
// an *Error in its chain, else 1.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failed
}

// Quiet reports whether the error has nothing left to print.
func Quiet(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Err == nil
}

// Outcome is the exit code of a finished run from its Succeeded condition:
// 0 when True, 3 when it timed out, 1 otherwise. ok is false while the run
// has not finished.
func Outcome(c *metav1.Condition) (code int, ok bool) {
	if c == nil || c.Status == metav1.ConditionUnknown {
		return 0, false
	}
	if c.Status == metav1.ConditionTrue {
		return OK, true
	}
	if c.Reason == "TimedOut" || c.Reason == "TasksTimedOut" || c.Reason == "ApprovalTimedOut" {
		return TimedOut, true
	}
	return Failed, true
}
