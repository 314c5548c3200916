package podspec

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

func TestMaskFlags(t *testing.T) {
	secretEnv := func(name, secret string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "k"}}}
	}
	envFrom := func(secret string) corev1.EnvFromSource {
		return corev1.EnvFromSource{Prefix: "P_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}
	}
	tests := []struct {
		name        string
		mut         func(*Input)
		want        [][]string // the mask flags of each step
		wantVolumes []string   // the mask volumes' Secrets
	}{
		{name: "no secret sources: no flags, no volumes", mut: func(in *Input) {
			in.Spec.Steps[0].Env = []corev1.EnvVar{{Name: "PLAIN", Value: "x"}, {Name: "CM", ValueFrom: &corev1.EnvVarSource{
				ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}, Key: "k"}}}}
			in.Spec.Steps[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}}
			in.Credentials = []Credential{{Kind: "git", URL: "https://h", SecretName: "gh", SecretType: corev1.SecretTypeBasicAuth}}
		}, want: [][]string{nil, nil}},
		{name: "secretKeyRef from the step, the template and the pod template", mut: func(in *Input) {
			in.Spec.Steps[0].Env = []corev1.EnvVar{secretEnv("TOKEN", "s")}
			in.Spec.StepTemplate = &windlassv1.StepTemplate{Env: []corev1.EnvVar{secretEnv("TPL", "s")}}
			in.Run.Spec.PodTemplate = &windlassv1.PodTemplate{Env: []corev1.EnvVar{secretEnv("POD", "s")}}
		}, want: [][]string{{"--mask-env", "POD", "--mask-env", "TPL", "--mask-env", "TOKEN"}, {"--mask-env", "POD", "--mask-env", "TPL"}}},
		{name: "a step's literal replaces a template's secret", mut: func(in *Input) {
			in.Spec.StepTemplate = &windlassv1.StepTemplate{Env: []corev1.EnvVar{secretEnv("TOKEN", "s")}}
			in.Spec.Steps[1].Env = []corev1.EnvVar{{Name: "TOKEN", Value: "public"}}
		}, want: [][]string{{"--mask-env", "TOKEN"}, nil}},
		{name: "envFrom secretRef mounts the Secret once", mut: func(in *Input) {
			in.Spec.Steps[0].EnvFrom = []corev1.EnvFromSource{envFrom("db"), envFrom("api")}
			in.Spec.Steps[1].EnvFrom = []corev1.EnvFromSource{envFrom("api")}
		}, want: [][]string{{"--mask-path", "/windlass/mask/0", "--mask-path", "/windlass/mask/1"}, {"--mask-path", "/windlass/mask/1"}},
			wantVolumes: []string{"db", "api"}},
		{name: "secret volumes and Secret workspaces", mut: func(in *Input) {
			in.Spec.Volumes = []corev1.Volume{
				{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			}
			in.Spec.Steps[1].VolumeMounts = []corev1.VolumeMount{{Name: "tls", MountPath: "/tls"}, {Name: "scratch", MountPath: "/s"}}
			in.Spec.Workspaces = []windlassv1.WorkspaceDeclaration{{Name: "keys"}}
			in.Run.Spec.Workspaces = []windlassv1.WorkspaceBinding{{Name: "keys", Secret: &corev1.SecretVolumeSource{SecretName: "k"}}}
		}, want: [][]string{{"--mask-path", "/workspace/keys"}, {"--mask-path", "/workspace/keys", "--mask-path", "/tls"}}},
		{name: "projected workspaces: masked when a source is a Secret or a token", mut: func(in *Input) {
			in.Spec.Workspaces = []windlassv1.WorkspaceDeclaration{{Name: "mixed"}, {Name: "info"}, {Name: "store"}}
			in.Run.Spec.Workspaces = []windlassv1.WorkspaceBinding{
				{Name: "mixed", Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}},
					{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}}},
				{Name: "info", Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{DownwardAPI: &corev1.DownwardAPIProjection{}}}}},
				{Name: "store", CSI: &corev1.CSIVolumeSource{Driver: "secrets-store.csi.k8s.io"}},
			}
		}, want: [][]string{{"--mask-path", "/workspace/mixed"}, {"--mask-path", "/workspace/mixed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{
				{Name: "a", Image: "a", Command: []string{"x"}}, {Name: "b", Image: "b", Script: "echo"}}}}
			tt.mut(&in)
			pod, err := Build(in, Config{EntrypointImage: epImage})
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range pod.Spec.Containers {
				flags := c.Args[:slices.Index(c.Args, "--")]
				var got []string
				for j := 0; j < len(flags); j++ {
					if strings.HasPrefix(flags[j], "--mask-") {
						got = append(got, flags[j], flags[j+1])
					}
				}
				if !slices.Equal(got, tt.want[i]) {
					t.Errorf("%s: mask flags %q, want %q", c.Name, got, tt.want[i])
				}
				for _, f := range []string{"x", "echo"} {
					if slices.Contains(got, f) {
						t.Errorf("%s: the step's own argv was taken as flags", c.Name)
					}
				}
			}
			var vols []string
			for _, v := range pod.Spec.Volumes {
				if strings.HasPrefix(v.Name, "windlass-mask-") {
					if v.Secret.Optional == nil || !*v.Secret.Optional {
						t.Errorf("%s: the mask volume must be optional: the envFrom decides about a missing Secret", v.Name)
					}
					vols = append(vols, v.Secret.SecretName)
				}
			}
			if !slices.Equal(vols, tt.wantVolumes) {
				t.Errorf("mask volumes %q, want %q", vols, tt.wantVolumes)
			}
			for _, c := range pod.Spec.Containers {
				for _, m := range c.VolumeMounts {
					if strings.HasPrefix(m.Name, "windlass-mask-") && !m.ReadOnly {
						t.Errorf("%s: %s mounted writable", c.Name, m.Name)
					}
				}
			}
		})
	}
}
