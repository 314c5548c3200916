// Package contract is everything the controller's pod builder
// (internal/podspec) and the step shim (cmd/entrypoint, internal/entrypoint)
// must agree on, in one place: the paths inside a step container, the
// entrypoint's flags and environment variables (Step: built by podspec with
// Args and Env, read by the entrypoint with ParseArgs and ReadEnv), and the
// state a step leaves in its termination message and log (State, the results
// frame), read back by the TaskRun controller.
//
// It is pure and small: the entrypoint links it, so it imports nothing of
// Kubernetes and does no work at init.
package contract

import "strconv"

// Paths inside every step container.
const (
	// BinDir holds the entrypoint, read-only (an image volume, or an emptyDir
	// filled by the init container of the fallback).
	BinDir = "/windlass/bin"
	// Entrypoint is the command of every step container.
	Entrypoint = BinDir + "/entrypoint"
	// ImageEntrypoint is the entrypoint's path inside its own image.
	ImageEntrypoint = "/entrypoint"
	// RunDir is shared by the steps of a pod: post files and message files.
	RunDir = "/windlass/run"
	// ScriptDir is where a step's script is written.
	ScriptDir = RunDir + "/scripts"
	// SidecarScriptDir is where a sidecar's script is written (sidecars do
	// not mount RunDir).
	SidecarScriptDir = "/tmp/windlass-scripts"
	// ResultsDir holds the result files: $(results.NAME.path) is ResultsDir/NAME.
	ResultsDir = "/windlass/results"
	// HomeDir is $HOME of the steps that credentials are written for, unless
	// they set HOME themselves.
	HomeDir = "/windlass/home"
	// ExitCodesDir holds the steps' exit codes when a Task reads them:
	// ExitCodesDir/<container>/exitCode, and ExitCodesDir/<index> linking there.
	ExitCodesDir = RunDir + "/steps"
	// CredsDir holds the credential Secrets, CredsDir/N each (CredentialDir).
	CredsDir = "/windlass/creds"
	// MaskDir holds the Secrets a step takes variables from with envFrom,
	// MaskDir/N each (MaskSecretDir), so that their values can be masked.
	MaskDir = "/windlass/mask"
	// DefaultTerminationPath is the kubelet's default terminationMessagePath.
	DefaultTerminationPath = "/dev/termination-log"
)

// FailedSuffix marks a post file written by a step that failed or was
// skipped: the next step, waiting for PostFile(i), skips when
// PostFile(i)+FailedSuffix appears instead.
const FailedSuffix = ".err"

// PostFile is the file step i writes when it is done; step i+1 waits for it.
func PostFile(i int) string { return RunDir + "/" + strconv.Itoa(i) }

// MessageFile is where step i may write one line saying why it failed ($WINDLASS_MESSAGE_FILE).
func MessageFile(i int) string { return RunDir + "/" + strconv.Itoa(i) + ".msg" }

// CredentialDir is where the i-th credential Secret is mounted.
func CredentialDir(i int) string { return CredsDir + "/" + strconv.Itoa(i) }

// MaskSecretDir is where the n-th Secret taken with envFrom is mounted for masking.
func MaskSecretDir(n int) string { return MaskDir + "/" + strconv.Itoa(n) }

// CopyCommand is the init container's command in the fallback for runtimes
// without image volumes: the entrypoint copies itself to Entrypoint.
func CopyCommand() []string { return []string{ImageEntrypoint, flagPrefix + flagCopyTo, Entrypoint} }
