package podspec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestApplyPodSecurity(t *testing.T) {
	restrictedCtx := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	restrictedPod := &corev1.PodSecurityContext{
		RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(RestrictedUID),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	tests := []struct {
		name     string
		level    string
		fallback bool
		mut      func(*Input)
		wantPod  *corev1.PodSecurityContext
		wantCtx  []*corev1.SecurityContext // steps then sidecars
		wantErr  string
	}{
		{name: "no label: untouched", level: "", wantCtx: []*corev1.SecurityContext{nil, nil, nil}},
		{name: "baseline: untouched", level: "baseline", mut: func(in *Input) {
			in.Spec.Steps[0].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}
		}, wantCtx: []*corev1.SecurityContext{{RunAsUser: ptr.To[int64](0)}, nil, nil}},
		{name: "restricted: defaults everywhere", level: "restricted", wantPod: restrictedPod,
			wantCtx: []*corev1.SecurityContext{restrictedCtx, restrictedCtx, restrictedCtx}},
		{name: "restricted: the init container of the fallback too", level: "restricted", fallback: true, wantPod: restrictedPod,
			wantCtx: []*corev1.SecurityContext{restrictedCtx, restrictedCtx, restrictedCtx, restrictedCtx}},
		{name: "restricted: what a step sets is kept", level: "restricted", mut: func(in *Input) {
			in.Spec.StepTemplate = &windlassv1.StepTemplate{SecurityContext: &corev1.SecurityContext{
				RunAsUser: ptr.To[int64](1000), Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}},
			}}
			in.Spec.Sidecars[0].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](2000), AllowPrivilegeEscalation: ptr.To(false)}
		}, wantPod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: restrictedPod.SeccompProfile},
			wantCtx: []*corev1.SecurityContext{
				{RunAsUser: ptr.To[int64](1000), AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}}},
				{RunAsUser: ptr.To[int64](1000), AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}}},
				{RunAsUser: ptr.To[int64](2000), AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		{name: "restricted: the pod template's user and profile are kept", level: "restricted", mut: func(in *Input) {
			in.Run.Spec.PodTemplate = &windlassv1.PodTemplate{SecurityContext: &corev1.PodSecurityContext{
				RunAsUser: ptr.To[int64](1001), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("p.json")}}}
		}, wantPod: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](1001),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("p.json")}},
			wantCtx: []*corev1.SecurityContext{restrictedCtx, restrictedCtx, restrictedCtx}},
		{name: "restricted: a step as root", level: "restricted", mut: func(in *Input) {
			in.Spec.Steps[1].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}
		}, wantErr: `step "b" (spec.steps[1]) sets securityContext.runAsUser=0, which the "restricted" Pod Security Standard enforced in namespace ci forbids`},
		{name: "restricted: a privileged step from the template", level: "restricted", mut: func(in *Input) {
			in.Spec.StepTemplate = &windlassv1.StepTemplate{SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}
		}, wantErr: `step "a" (spec.steps[0]) sets securityContext.privileged=true`},
		{name: "restricted: privilege escalation", level: "restricted", mut: func(in *Input) {
			in.Spec.Steps[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true)}
		}, wantErr: `step "a" (spec.steps[0]) sets securityContext.allowPrivilegeEscalation=true`},
		{name: "restricted: runAsNonRoot false", level: "restricted", mut: func(in *Input) {
			in.Spec.Steps[0].SecurityContext = &corev1.SecurityContext{RunAsNonRoot: ptr.To(false)}
		}, wantErr: `securityContext.runAsNonRoot=false`},
		{name: "restricted: a capability", level: "restricted", mut: func(in *Input) {
			in.Spec.Sidecars[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}
		}, wantErr: `sidecar "db" (spec.sidecars[0]) sets securityContext.capabilities.add=SYS_ADMIN`},
		{name: "restricted: unconfined seccomp", level: "restricted", mut: func(in *Input) {
			in.Spec.Steps[0].SecurityContext = &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}
		}, wantErr: `securityContext.seccompProfile.type=Unconfined`},
		{name: "restricted: a host port", level: "restricted", mut: func(in *Input) {
			in.Spec.Sidecars[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
		}, wantErr: `sidecar "db" (spec.sidecars[0]) sets ports.hostPort=8080`},
		{name: "restricted: the pod template as root", level: "restricted", mut: func(in *Input) {
			in.Run.Spec.PodTemplate = &windlassv1.PodTemplate{SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}}
		}, wantErr: `the TaskRun's spec.podTemplate sets securityContext.runAsUser=0`},
		{name: "restricted: a hostPath volume", level: "restricted", mut: func(in *Input) {
			in.Spec.Volumes = []corev1.Volume{{Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run"}}}}
		}, wantErr: `the Task's volume "docker" (spec.volumes) is a hostPath volume, which the "restricted" Pod Security Standard`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Run: taskRun(nil), PodSecurity: tt.level, Spec: &windlassv1.TaskSpec{
				Steps:    []windlassv1.Step{{Name: "a", Image: "a", Command: []string{"x"}}, {Name: "b", Image: "b", Script: "echo"}},
				Sidecars: []windlassv1.Sidecar{{Name: "db", Image: "db"}},
			}}
			if tt.mut != nil {
				tt.mut(&in)
			}
			pod, err := Build(in, Config{EntrypointImage: epImage, InitContainerFallback: tt.fallback})
			if tt.wantErr != "" {
				if pe := (*PolicyError)(nil); !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want a PolicyError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPod, pod.Spec.SecurityContext); diff != "" {
				t.Errorf("pod securityContext (-want +got):\n%s", diff)
			}
			var got []*corev1.SecurityContext
			for _, c := range append(pod.Spec.Containers, pod.Spec.InitContainers...) {
				got = append(got, c.SecurityContext)
			}
			if diff := cmp.Diff(tt.wantCtx, got); diff != "" {
				t.Errorf("container securityContexts (-want +got):\n%s", diff)
			}
		})
	}
}

// The Task's own securityContext, shared by its steps through the
// stepTemplate, and the run's pod template are not changed by the defaulting.
func TestApplyPodSecurityLeavesTheTaskAlone(t *testing.T) {
	tpl := &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}
	in := Input{Run: taskRun(func(tr *windlassv1.TaskRun) {
		tr.Spec.PodTemplate = &windlassv1.PodTemplate{SecurityContext: &corev1.PodSecurityContext{FSGroup: ptr.To[int64](3)}}
	}), PodSecurity: PodSecurityRestricted, Spec: &windlassv1.TaskSpec{
		StepTemplate: &windlassv1.StepTemplate{SecurityContext: tpl},
		Steps:        []windlassv1.Step{{Name: "a", Image: "a", Command: []string{"x"}}, {Name: "b", Image: "b", Command: []string{"y"}}},
	}}
	if _, err := Build(in, Config{EntrypointImage: epImage}); err != nil {
		t.Fatal(err)
	}
	if tpl.AllowPrivilegeEscalation != nil || tpl.Capabilities != nil {
		t.Fatalf("the stepTemplate was changed: %+v", tpl)
	}
	if psc := in.Run.Spec.PodTemplate.SecurityContext; psc.RunAsNonRoot != nil || psc.SeccompProfile != nil {
		t.Fatalf("the run's pod template was changed: %+v", psc)
	}
}
