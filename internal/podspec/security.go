package podspec

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Pod Security Standards: the label a namespace enforces one with, and the
// level Windlass adapts its pods to.
const (
	LabelPodSecurityEnforce = "pod-security.kubernetes.io/enforce"
	PodSecurityRestricted   = "restricted"
)

// RestrictedUID is the user steps run as in a namespace that enforces the
// restricted standard, when neither the step nor the pod template names one
// (the image's USER cannot be known without pulling its configuration).
const RestrictedUID int64 = 65532

// PolicyError says which field of a step, sidecar or pod template asks for
// what the namespace's Pod Security Standard forbids.
type PolicyError struct {
	Namespace string
	Level     string
	// Where names the container and its Task field, e.g. `step "build" (spec.steps[0])`.
	Where string
	// Field and Value are what it asks for, e.g. securityContext.runAsUser=0.
	Field, Value string
}

func (e *PolicyError) Error() string {
	what := "sets " + e.Field + "=" + e.Value
	if e.Value == "" {
		what = "is a " + e.Field + " volume"
	}
	return fmt.Sprintf("%s %s, which the %q Pod Security Standard enforced in namespace %s forbids",
		e.Where, what, e.Level, e.Namespace)
}

// restrictedVolumes are the volume types the restricted standard allows.
func restrictedVolume(v corev1.VolumeSource) bool {
	return v.ConfigMap != nil || v.CSI != nil || v.DownwardAPI != nil || v.EmptyDir != nil || v.Ephemeral != nil ||
		v.PersistentVolumeClaim != nil || v.Projected != nil || v.Secret != nil || v.Image != nil
}

// ApplyPodSecurity adapts a built pod to the Pod Security Standard level its
// namespace enforces. Under "restricted", every container (steps, sidecars,
// the entrypoint's init container) that leaves them unset gets
// allowPrivilegeEscalation=false and capabilities.drop=[ALL], and the pod
// runAsNonRoot=true, runAsUser=RestrictedUID and the RuntimeDefault seccomp
// profile; what a Task or pod template sets explicitly and the standard
// forbids is a *PolicyError naming the field, so the run fails at once
// instead of its pod being refused. Other levels leave the pod as it is (the
// baseline standard forbids only what a step must ask for explicitly; the
// API server's refusal then names it).
func ApplyPodSecurity(pod *corev1.Pod, level string) error {
	if level != PodSecurityRestricted {
		return nil
	}
	deny := func(where, field, value string) error {
		return &PolicyError{Namespace: pod.Namespace, Level: level, Where: where, Field: field, Value: value}
	}
	for _, v := range pod.Spec.Volumes {
		if !restrictedVolume(v.VolumeSource) {
			return deny(fmt.Sprintf("the Task's volume %q (spec.volumes)", v.Name), volumeType(v.VolumeSource), "")
		}
	}
	ps := &corev1.PodSecurityContext{}
	if pod.Spec.SecurityContext != nil {
		ps = pod.Spec.SecurityContext.DeepCopy() // the run's pod template's own
	}
	pod.Spec.SecurityContext = ps
	const podField = "the TaskRun's spec.podTemplate"
	switch {
	case ps.RunAsNonRoot != nil && !*ps.RunAsNonRoot:
		return deny(podField, "securityContext.runAsNonRoot", "false")
	case ps.RunAsUser != nil && *ps.RunAsUser == 0:
		return deny(podField, "securityContext.runAsUser", "0")
	case ps.SeccompProfile != nil && !seccompAllowed(ps.SeccompProfile):
		return deny(podField, "securityContext.seccompProfile.type", string(ps.SeccompProfile.Type))
	}
	var containers []*corev1.Container
	steps := 0
	for i := range pod.Spec.InitContainers {
		containers = append(containers, &pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		containers = append(containers, &pod.Spec.Containers[i])
	}
	sidecars := 0
	for _, c := range containers {
		where := "the entrypoint's init container"
		switch {
		case strings.HasPrefix(c.Name, "step-"):
			where = fmt.Sprintf("step %q (spec.steps[%d])", strings.TrimPrefix(c.Name, "step-"), steps)
			steps++
		case strings.HasPrefix(c.Name, "sidecar-"):
			where = fmt.Sprintf("sidecar %q (spec.sidecars[%d])", strings.TrimPrefix(c.Name, "sidecar-"), sidecars)
			sidecars++
		}
		if err := restrictContainer(c, func(field, value string) error { return deny(where, field, value) }); err != nil {
			return err
		}
	}
	if ps.RunAsNonRoot == nil {
		ps.RunAsNonRoot = ptr.To(true)
	}
	if ps.RunAsUser == nil && slices.ContainsFunc(containers, func(c *corev1.Container) bool {
		return c.SecurityContext.RunAsUser == nil
	}) {
		ps.RunAsUser = ptr.To(RestrictedUID)
	}
	if ps.SeccompProfile == nil {
		ps.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	return nil
}

func restrictContainer(c *corev1.Container, deny func(field, value string) error) error {
	for _, p := range c.Ports {
		if p.HostPort != 0 {
			return deny("ports.hostPort", fmt.Sprint(p.HostPort))
		}
	}
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	} else {
		sc = sc.DeepCopy() // it may be the Task's own, shared by several steps
	}
	switch {
	case sc.Privileged != nil && *sc.Privileged:
		return deny("securityContext.privileged", "true")
	case sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation:
		return deny("securityContext.allowPrivilegeEscalation", "true")
	case sc.RunAsUser != nil && *sc.RunAsUser == 0:
		return deny("securityContext.runAsUser", "0")
	case sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot:
		return deny("securityContext.runAsNonRoot", "false")
	case sc.SeccompProfile != nil && !seccompAllowed(sc.SeccompProfile):
		return deny("securityContext.seccompProfile.type", string(sc.SeccompProfile.Type))
	case sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount:
		return deny("securityContext.procMount", string(*sc.ProcMount))
	}
	if caps := sc.Capabilities; caps != nil {
		for _, a := range caps.Add {
			if a != "NET_BIND_SERVICE" {
				return deny("securityContext.capabilities.add", string(a))
			}
		}
	}
	if sc.AllowPrivilegeEscalation == nil {
		sc.AllowPrivilegeEscalation = ptr.To(false)
	}
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		sc.Capabilities.Drop = append(sc.Capabilities.Drop, "ALL")
	}
	c.SecurityContext = sc
	return nil
}

func seccompAllowed(p *corev1.SeccompProfile) bool {
	return p.Type == corev1.SeccompProfileTypeRuntimeDefault || p.Type == corev1.SeccompProfileTypeLocalhost
}

func volumeType(v corev1.VolumeSource) string {
	switch {
	case v.HostPath != nil:
		return "hostPath"
	case v.NFS != nil:
		return "nfs"
	case v.ISCSI != nil:
		return "iscsi"
	default:
		return "non-allowed (only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret are)"
	}
}
