// Package podspec builds the pod of a TaskRun. It is pure: everything it needs
// (the resolved and substituted Task, image entrypoints looked up in the
// registry, the configuration) is given to it, and the same input always gives
// the same pod, so golden files pin it down.
package podspec

import (
	"fmt"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/names"
)

// The paths inside every step container, and what the entrypoint is told,
// are internal/contract's.

// Volume names the builder owns; a Task may not use the windlass- prefix.
const (
	VolumeBin     = "windlass-bin"
	VolumeRun     = "windlass-run"
	VolumeResults = "windlass-results"
)

// Labels and annotations on the pods the controller creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "windlass"
	LabelTaskRun   = "windlass.dev/taskRun"
	LabelTask      = "windlass.dev/task"
)

// PodName is the deterministic name of a run's pod: a controller restarted at
// any moment finds the pod it made instead of making a second one.
func PodName(taskRun string) string { return names.Fit(taskRun, "-pod", 253) }

// ClaimName is the deterministic name of the PVC made from a workspace's
// volumeClaimTemplate.
func ClaimName(taskRun, workspace string) string { return names.Fit(taskRun+"-"+workspace, "", 253) }

// BindingClaim is the PVC made for a binding's volumeClaimTemplate: ClaimName,
// after the template's metadata.name when it has one (a prefix, as in Tekton).
func BindingClaim(taskRun string, b windlassv1.WorkspaceBinding) string {
	if t := b.VolumeClaimTemplate; t != nil && t.Name != "" {
		return names.Fit(t.Name+"-"+taskRun+"-"+b.Name, "", 253)
	}
	return ClaimName(taskRun, b.Name)
}

// StepContainer is the container name of step i.
func StepContainer(i int, name string) string {
	if name == "" {
		name = fmt.Sprintf("unnamed-%d", i)
	}
	return "step-" + name
}

// SidecarContainer is the container name of sidecar i.
func SidecarContainer(i int, name string) string {
	if name == "" {
		name = fmt.Sprintf("unnamed-%d", i)
	}
	return "sidecar-" + name
}

// LabelValue fits a name into a label value (63 characters), keeping it
// unique with a hash suffix when it must be cut.
func LabelValue(s string) string { return names.Fit(s, "", 63) }
