// Package failure sorts what goes wrong while a run is prepared into the
// user's mistakes and the world's. A terminal error is the spec's: the run
// fails at once, with a reason and a message that names the field. A
// transient one is outside the spec (a registry or the API server that does
// not answer, a service account not created yet): the run retries with
// backoff, says so in its condition, and fails only at a stated deadline,
// with a reason that says what was unreachable.
package failure

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Error is an error with its class and the reason a run ends with when it
// gives up on it.
type Error struct {
	// Transient errors are retried until a deadline; terminal ones end the run.
	Transient bool
	// Reason is the run's condition reason (while retrying too).
	Reason string
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Terminal marks err as the spec's fault.
func Terminal(reason string, err error) error {
	return &Error{Reason: reason, Err: err}
}

// Transient marks err as the world's fault, to retry.
func Transient(reason string, err error) error {
	return &Error{Transient: true, Reason: reason, Err: err}
}

// As returns the classified error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsTransient reports whether err is classified transient.
func IsTransient(err error) bool {
	e, ok := As(err)
	return ok && e.Transient
}

// Registry classifies an error of a registry request made with
// go-containerregistry. A definitive answer is terminal with reason
// terminalReason: the reference is malformed, or the registry said the image
// does not exist (404) or refused access (401, 403). Anything else is
// transient with reason unavailableReason: the registry does not answer,
// answers 5xx or 429, or the request timed out.
func Registry(err error, terminalReason, unavailableReason string) error {
	if err == nil {
		return nil
	}
	if _, ok := As(err); ok {
		return err
	}
	var perr *name.ErrBadName
	if errors.As(err, &perr) {
		return Terminal(terminalReason, err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden:
			return Terminal(terminalReason, err)
		}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.NameInvalidErrorCode,
				transport.UnauthorizedErrorCode, transport.DeniedErrorCode, transport.UnsupportedErrorCode:
				return Terminal(terminalReason, err)
			}
		}
		return Transient(unavailableReason, err)
	}
	// Connection refused or reset, a timeout, no such host (DNS may be
	// down), a truncated answer: the registry may come back.
	return Transient(unavailableReason, err)
}

// definitivePull are what containerd and the kubelet say (in a container's
// waiting message) when an image will never come, whatever the wait: the
// reference is malformed, the image or tag does not exist, access is refused.
var definitivePull = []string{
	"code = NotFound", ": not found", "manifest unknown", "name unknown", "repository name not known",
	"401 Unauthorized", "403 Forbidden", "pull access denied", "insufficient_scope", "denied:",
	"invalid reference format", "SignatureValidationFailed",
}

// ImagePull tells a container's waiting state (reason and message, as the
// kubelet set them) apart: definitive is true when the image will not come
// (a bad name, never-pull policy, not found, refused), pulling when the
// kubelet is still trying or backing off after a transient failure (the
// registry down, "pull QPS exceeded"), which a run waits out.
func ImagePull(reason, message string) (definitive, pulling bool) {
	switch reason {
	case "InvalidImageName", "ErrImageNeverPull":
		return true, false
	case "ErrImagePull", "ImagePullBackOff", "RegistryUnavailable", "SignatureValidationFailed":
	default:
		return false, false
	}
	if reason == "SignatureValidationFailed" {
		return true, false
	}
	for _, d := range definitivePull {
		if strings.Contains(message, d) {
			return true, false
		}
	}
	return false, true
}

// Backoff is how long to wait before retrying a transient error that has
// lasted for elapsed: half of that, between min and max. Without state it
// grows like an exponential backoff and survives a controller restart.
func Backoff(elapsed, min, max time.Duration) time.Duration {
	return clamp(elapsed/2, min, max)
}

func clamp(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// Retrying is what a run does about a transient error: give up (Expired)
// or wait (Wait); Message is its condition's message either way.
type Retrying struct {
	Expired bool
	Wait    time.Duration
	Message string
}

// Retry decides, at now, about a transient err of a run that has retried
// since start and may retry for timeout (--transient-error-timeout): past
// the deadline it gives up; before, it waits a backoff (1-15 s, never past
// the deadline) and says until when it retries.
func Retry(err error, now, start time.Time, timeout time.Duration) Retrying {
	deadline := start.Add(timeout)
	if !now.Before(deadline) {
		return Retrying{Expired: true, Message: fmt.Sprintf("%v; still failing after %s (--transient-error-timeout)", err, timeout)}
	}
	wait := min(Backoff(now.Sub(start), time.Second, 15*time.Second), deadline.Sub(now)+10*time.Millisecond)
	return Retrying{Wait: wait, Message: fmt.Sprintf("%v; %s", err, Deadline(deadline))}
}

// Deadline is the message suffix of a run retrying until when.
func Deadline(when time.Time) string {
	return fmt.Sprintf("retrying until %s", when.UTC().Format(time.RFC3339))
}
