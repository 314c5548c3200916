package contract

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Reasons a step ends with, as recorded in State.Reason.
const (
	ReasonCompleted       = "Completed"
	ReasonError           = "Error"
	ReasonSkipped         = "Skipped"
	ReasonTimeoutExceeded = "TimeoutExceeded"
	ReasonResultsTooLarge = "ResultsTooLarge"
	ReasonStartError      = "StartError"
)

// State is what a step container leaves in its termination message. It is
// compact: the kubelet shares 12 KiB of termination messages among all the
// containers of a pod.
type State struct {
	// ExitCode of the step's process (the container itself exits 0 when onError is continue).
	ExitCode int `json:"c"`
	// Reason is one of the Reason constants.
	Reason string `json:"r"`
	// Message explains a StartError, a timeout or oversize results; for an
	// Error it is the line the step wrote to its message file, if any.
	Message string `json:"m,omitempty"`
	// WaitedFrom is when the entrypoint began waiting for the previous step
	// (Unix ms): start − max(previous finish, WaitedFrom) is the hand-off latency.
	WaitedFrom int64 `json:"w,omitempty"`
	// StartedAt and FinishedAt are Unix milliseconds of the step's own run (after its wait).
	StartedAt  int64 `json:"s,omitempty"`
	FinishedAt int64 `json:"f,omitempty"`
	// Results are the raw result files, when they fit in the termination message.
	Results map[string]string `json:"res,omitempty"`
	// ResultsInLog says the results are in the framed last line of this container's log.
	ResultsInLog bool `json:"rl,omitempty"`
}

// Encode returns the State as the entrypoint writes it to its termination message.
func (s State) Encode() ([]byte, error) { return json.Marshal(s) }

// ParseState reads a termination message written by the entrypoint.
func ParseState(msg string) (State, error) {
	var s State
	if err := json.Unmarshal([]byte(strings.TrimSpace(msg)), &s); err != nil {
		return State{}, fmt.Errorf("termination message is not an entrypoint state: %w", err)
	}
	if s.Reason == "" {
		return State{}, errors.New("termination message has no reason")
	}
	return s, nil
}

// ResultsFramePrefix starts the log line that carries results too large for a
// termination message.
const ResultsFramePrefix = "::windlass-results:v1:"

// EncodeResultsFrame returns the log line carrying results: gzip'ed JSON in
// base64, with the SHA-256 of the JSON so a damaged or truncated line is detected.
func EncodeResultsFrame(results map[string]string) (string, error) {
	raw, err := json.Marshal(results)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return ResultsFramePrefix + base64.StdEncoding.EncodeToString(buf.Bytes()) + ":" + hex.EncodeToString(sum[:]) + "::", nil
}

// DecodeResultsFrame finds the last results frame in a log tail and decodes it.
func DecodeResultsFrame(logTail string) (map[string]string, error) {
	i := strings.LastIndex(logTail, ResultsFramePrefix)
	if i < 0 {
		return nil, errors.New("no results frame in the log")
	}
	line := logTail[i+len(ResultsFramePrefix):]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	line = strings.TrimSuffix(strings.TrimSpace(line), "::")
	b64, sumHex, ok := strings.Cut(line, ":")
	if !ok {
		return nil, errors.New("results frame is truncated")
	}
	gz, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("results frame: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("results frame: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("results frame: %w", err)
	}
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) != sumHex {
		return nil, errors.New("results frame checksum mismatch")
	}
	var res map[string]string
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("results frame: %w", err)
	}
	return res, nil
}
