package podspec

import (
	"github.com/windlass-dev/windlass/test/golden"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/contract"
)

const epImage = "127.0.0.1:5000/windlass/entrypoint@sha256:1111111111111111111111111111111111111111111111111111111111111111"

func taskRun(mut func(*windlassv1.TaskRun)) *windlassv1.TaskRun {
	tr := &windlassv1.TaskRun{
		ObjectMeta: metav1.ObjectMeta{Name: "build-1", Namespace: "ci", UID: types.UID("uid-1"), Labels: map[string]string{"team": "a"}},
		Spec:       windlassv1.TaskRunSpec{TaskRef: &windlassv1.TaskRef{Name: "build"}},
	}
	if mut != nil {
		mut(tr)
	}
	return tr
}

func TestBuildGolden(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		cfg  Config
	}{
		{
			name: "steps-script-result-workspaces-podtemplate",
			cfg:  Config{EntrypointImage: epImage},
			in: Input{
				TaskName: "build",
				Run: taskRun(func(tr *windlassv1.TaskRun) {
					tr.Spec.ServiceAccountName = "builder"
					tr.Spec.Workspaces = []windlassv1.WorkspaceBinding{
						{Name: "source", EmptyDir: &corev1.EmptyDirVolumeSource{}},
						{Name: "cache", SubPath: "go", VolumeClaimTemplate: &corev1.PersistentVolumeClaim{}},
						{Name: "config", ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
					}
					tr.Spec.PodTemplate = &windlassv1.PodTemplate{
						NodeSelector:      map[string]string{"disk": "ssd"},
						SecurityContext:   &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
						PriorityClassName: ptr.To("ci"),
						Env:               []corev1.EnvVar{{Name: "HTTP_PROXY", Value: "http://proxy"}, {Name: "LEVEL", Value: "pod"}},
					}
				}),
				Spec: &windlassv1.TaskSpec{
					Results:    []windlassv1.TaskResult{{Name: "digest"}, {Name: "files", Type: windlassv1.ParamTypeArray}},
					Workspaces: []windlassv1.WorkspaceDeclaration{{Name: "source"}, {Name: "cache", MountPath: "/cache"}, {Name: "config", ReadOnly: true}, {Name: "docker", Optional: true}},
					StepTemplate: &windlassv1.StepTemplate{
						Env:              []corev1.EnvVar{{Name: "LEVEL", Value: "template"}, {Name: "GOFLAGS", Value: "-mod=mod"}},
						ComputeResources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}},
					},
					Steps: []windlassv1.Step{
						{Name: "clone", Image: "alpine/git", Command: []string{"git", "clone"}, Args: []string{"https://x", "/workspace/source"}},
						{Name: "test", Image: "golang:1.26", Script: "go test ./...", Env: []corev1.EnvVar{{Name: "LEVEL", Value: "step"}},
							OnError: windlassv1.OnErrorContinue, Timeout: &metav1.Duration{Duration: 90e9}, WorkingDir: "/workspace/source"},
						{Image: "busybox", Script: "#!/bin/sh\necho sha256:x > /windlass/results/digest", Args: []string{"a"}},
					},
				},
				Credentials: []Credential{
					{Kind: "docker", URL: "https://ghcr.io", SecretName: "ghcr", SecretType: corev1.SecretTypeDockerConfigJson},
					{Kind: "git", URL: "https://github.com", SecretName: "gh", SecretType: corev1.SecretTypeBasicAuth},
				},
			},
		},
		{
			name: "image-entrypoint-sidecar-fallback",
			cfg:  Config{EntrypointImage: epImage, InitContainerFallback: true, MaxResultBytes: 1 << 20},
			in: Input{
				Run: taskRun(nil),
				Images: map[string]ImageConfig{
					"registry.example/tool:v1":  {Entrypoint: []string{"/tool"}, Cmd: []string{"--help"}},
					"registry.example/shell:v1": {Cmd: []string{"/bin/bash"}},
				},
				Spec: &windlassv1.TaskSpec{
					Steps: []windlassv1.Step{
						{Name: "tool-default-args", Image: "registry.example/tool:v1"},
						{Name: "tool-own-args", Image: "registry.example/tool:v1", Args: []string{"run", "--fast"}},
						// No entrypoint: its cmd runs, the step's args after it.
						{Name: "cmd-only-args", Image: "registry.example/shell:v1", Args: []string{"-c", "echo hello"}},
						{Name: "cmd-only", Image: "registry.example/shell:v1"},
					},
					Sidecars: []windlassv1.Sidecar{
						{Name: "registry", Image: "registry:2", ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
							HTTPGet: &corev1.HTTPGetAction{Path: "/v2/", Port: intstrFromInt(5000)}}}},
						{Name: "scripted", Image: "busybox", Script: "while true; do sleep 1; done"},
					},
					Volumes: []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, err := Build(tt.in, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, pod)
		})
	}
}

func TestBuildInvariants(t *testing.T) {
	in := Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Image: "a", Command: []string{"x"}}, {Name: "b", Image: "b", Command: []string{"y"}}}}}
	pod, err := Build(in, Config{EntrypointImage: epImage})
	if err != nil {
		t.Fatal(err)
	}
	if len(pod.Spec.InitContainers) != 0 {
		t.Errorf("the default pod has init containers: %v", pod.Spec.InitContainers)
	}
	if pod.Name != "build-1-pod" || pod.Spec.Containers[0].Name != "step-unnamed-0" || pod.Spec.Containers[1].Name != "step-b" {
		t.Errorf("names: pod %s, containers %s %s", pod.Name, pod.Spec.Containers[0].Name, pod.Spec.Containers[1].Name)
	}
	for _, c := range pod.Spec.Containers {
		if _, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
			t.Errorf("%s: the builder must not add CPU limits", c.Name)
		}
		if c.Command[0] != contract.Entrypoint {
			t.Errorf("%s: command %v is not wrapped by the entrypoint", c.Name, c.Command)
		}
	}
	if strings.Contains(strings.Join(pod.Spec.Containers[0].Args, " "), "--wait-file") {
		t.Errorf("the first step waits for something: %v", pod.Spec.Containers[0].Args)
	}
	again, _ := Build(in, Config{EntrypointImage: epImage})
	if diff := cmp.Diff(pod, again); diff != "" {
		t.Errorf("Build is not deterministic:\n%s", diff)
	}
}

func TestBuildErrors(t *testing.T) {
	base := func() Input {
		return Input{Run: taskRun(nil), Spec: &windlassv1.TaskSpec{Steps: []windlassv1.Step{{Image: "a", Command: []string{"x"}}}}}
	}
	tests := []struct {
		name string
		mut  func(*Input)
		cfg  Config
		want string
	}{
		{name: "no entrypoint image", mut: func(*Input) {}, want: "no entrypoint image configured"},
		{name: "reserved volume", cfg: Config{EntrypointImage: epImage}, mut: func(in *Input) {
			in.Spec.Volumes = []corev1.Volume{{Name: "windlass-run"}}
		}, want: `spec.volumes[0].name "windlass-run": names starting with windlass- are reserved`},
		{name: "required workspace unbound", cfg: Config{EntrypointImage: epImage}, mut: func(in *Input) {
			in.Spec.Workspaces = []windlassv1.WorkspaceDeclaration{{Name: "src"}}
		}, want: `workspace "src" is required by the Task but not bound by the run`},
		{name: "binding for an undeclared workspace", cfg: Config{EntrypointImage: epImage}, mut: func(in *Input) {
			in.Run.Spec.Workspaces = []windlassv1.WorkspaceBinding{{Name: "srcc", EmptyDir: &corev1.EmptyDirVolumeSource{}}}
		}, want: `workspace "srcc" is bound by the run but not declared by the Task`},
		{name: "image without a known entrypoint", cfg: Config{EntrypointImage: epImage}, mut: func(in *Input) {
			in.Spec.Steps[0].Command = nil
		}, want: "spec.steps[0]: image a has no known entrypoint"},
		{name: "image that defines nothing to run", cfg: Config{EntrypointImage: epImage}, mut: func(in *Input) {
			in.Spec.Steps[0].Command = nil
			in.Images = map[string]ImageConfig{"a": {}}
		}, want: "spec.steps[0]: image a defines no entrypoint or cmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.mut(&in)
			if _, err := Build(in, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNamesFit(t *testing.T) {
	long := strings.Repeat("a", 300)
	if n := PodName(long); len(n) != 253 || !strings.HasSuffix(n, "-pod") {
		t.Errorf("PodName of a long run: %q (%d)", n, len(n))
	}
	if a, b := LabelValue(long+"x"), LabelValue(long+"y"); len(a) != 63 || a == b {
		t.Errorf("LabelValue must cut to 63 and keep distinct names distinct: %q %q", a, b)
	}
	if got := LabelValue(strings.Repeat("b", 53) + "....------xyz"); strings.Contains(got, ".-") {
		t.Errorf("cut label ends badly: %q", got)
	}
}

func checkGolden(t *testing.T, name string, pod *corev1.Pod) {
	t.Helper()
	got, err := yaml.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", name+".golden.yaml"), got)
}
