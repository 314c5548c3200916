package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

var (
	rounds     *int
	kubeconfig *string
	gitEnv     *string
)

func flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("bench-catalog", flag.ContinueOnError)
	rounds = fs.Int("rounds", 3, "rounds; each runs every task as a TaskRun and as a bare pod")
	kubeconfig = fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	gitEnv = fs.String("gitserver-env", os.Getenv("GITSERVER_ENV"), "the local git server's credentials file")
	return fs
}

// podRegistry is the local registry as pods see it.
const podRegistry = "10.88.0.1:5000"

// benchCase is one catalog task: the TaskRun, and the bare pod with the same containers.
type benchCase struct {
	name, step string
	taskRun    func(name string) *windlassv1.TaskRun
	pod        func(name string) *corev1.Pod
}

func param(n, v string) windlassv1.Param {
	return windlassv1.Param{Name: n, Value: windlassv1.ParamValue{Type: windlassv1.ParamTypeString, StringVal: v}}
}

func taskRun(name, task string, params []windlassv1.Param, ws ...windlassv1.WorkspaceBinding) *windlassv1.TaskRun {
	return &windlassv1.TaskRun{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: windlassv1.TaskRunSpec{TaskRef: &windlassv1.TaskRef{Name: task}, Params: params, Workspaces: ws}}
}

func emptyDir(n string) windlassv1.WorkspaceBinding {
	return windlassv1.WorkspaceBinding{Name: n, EmptyDir: &corev1.EmptyDirVolumeSource{}}
}

func (b *bench) setUp(ctx context.Context) ([]benchCase, error) {
	images := map[string]string{}
	for _, n := range []string{"git-clone", "buildkit-build", "trivy-scan", "cosign-sign"} {
		src := &windlassv1.Task{}
		if err := b.c.Get(ctx, client.ObjectKey{Namespace: "windlass-catalog", Name: n}, src); err != nil {
			return nil, fmt.Errorf("catalog Task %s (run make deploy): %w", n, err)
		}
		images[n] = src.Spec.Steps[0].Image
		if len(src.Spec.Sidecars) > 0 {
			images["buildkitd"] = src.Spec.Sidecars[0].Image
		}
		if err := b.c.Create(ctx, &windlassv1.Task{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: b.ns}, Spec: src.Spec}); err != nil {
			return nil, err
		}
	}
	repoURL, err := b.sourceRepo()
	if err != nil {
		return nil, err
	}
	kp, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte("bench"), nil })
	if err != nil {
		return nil, err
	}
	if err := b.c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keys", Namespace: b.ns},
		Data: map[string][]byte{"cosign.key": kp.PrivateBytes, "cosign.pub": kp.PublicBytes, "cosign.password": []byte("bench")}}); err != nil {
		return nil, err
	}
	if err := b.c.Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "src", Namespace: b.ns},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("16Mi")}}}}); err != nil {
		return nil, err
	}
	image := podRegistry + "/bench/" + b.ns + "/app"
	cache := image + "/cache"
	clone := benchCase{name: "git-clone", step: "clone",
		taskRun: func(n string) *windlassv1.TaskRun {
			return taskRun(n, "git-clone", []windlassv1.Param{param("url", repoURL), param("revision", "main")}, emptyDir("output"))
		},
		pod: func(n string) *corev1.Pod {
			return toolPod(n, "clone", images["git-clone"], []string{"/git-clone", "--url=" + repoURL, "--revision=main", "--dir=/workspace/output"},
				vol("output", "/workspace/output", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}))
		}}
	// The source for the builds: cloned once onto a claim every build mounts.
	srcWS := windlassv1.WorkspaceBinding{Name: "source", PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "src"}}
	prime := taskRun("prime-clone", "git-clone", []windlassv1.Param{param("url", repoURL)},
		windlassv1.WorkspaceBinding{Name: "output", PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "src"}})
	if _, err := b.taskRun(ctx, benchCase{step: "clone", taskRun: func(string) *windlassv1.TaskRun { return prime }}); err != nil {
		return nil, fmt.Errorf("cloning the app: %w", err)
	}
	build := func(label, cacheRef string) benchCase {
		params := []windlassv1.Param{param("IMAGE", image+":"+label), param("CONTEXT", "app"), param("CACHE_REF", cacheRef),
			param("INSECURE_REGISTRIES", podRegistry), param("DOCKERHUB_MIRROR", podRegistry)}
		args := []string{"/buildkit-build", "--image=" + image + ":" + label, "--context=/workspace/source/app", "--cache-ref=" + cacheRef}
		return benchCase{name: "buildkit-build " + label, step: "build",
			taskRun: func(n string) *windlassv1.TaskRun { return taskRun(n, "buildkit-build", params, srcWS) },
			pod:     func(n string) *corev1.Pod { return buildPod(n, images["buildkitd"], images["buildkit-build"], args) }}
	}
	cold, warm := build("cold", ""), build("warm", cache)
	// Prime the registry cache, and get the digest the scan and the signature use.
	var tr *windlassv1.TaskRun
	if _, err := b.taskRun(ctx, benchCase{step: "build", taskRun: func(string) *windlassv1.TaskRun {
		tr = warm.taskRun("prime-build")
		return tr
	}}); err != nil {
		return nil, fmt.Errorf("priming the build cache: %w", err)
	}
	digest := ""
	for _, r := range tr.Status.Results {
		if r.Name == "IMAGE_DIGEST" {
			digest = r.Value.StringVal
		}
	}
	ref := image + ":warm@" + digest
	db := podRegistry + "/windlass/trivy-db"
	scan := benchCase{name: "trivy-scan", step: "scan",
		taskRun: func(n string) *windlassv1.TaskRun {
			return taskRun(n, "trivy-scan", []windlassv1.Param{param("IMAGE", ref), param("DB_REPOSITORY", db), param("INSECURE", "true")}, emptyDir("reports"))
		},
		pod: func(n string) *corev1.Pod {
			return toolPod(n, "scan", images["trivy-scan"], []string{"/trivy-scan", "--image=" + ref, "--db-repository=" + db, "--insecure=true",
				"--output-dir=/workspace/reports"}, vol("reports", "/workspace/reports", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}))
		}}
	keys := corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "keys"}}
	sign := benchCase{name: "cosign-sign", step: "sign",
		taskRun: func(n string) *windlassv1.TaskRun {
			return taskRun(n, "cosign-sign", []windlassv1.Param{param("IMAGE", ref), param("ALLOW_HTTP", "true")},
				windlassv1.WorkspaceBinding{Name: "keys", Secret: &corev1.SecretVolumeSource{SecretName: "keys"}})
		},
		pod: func(n string) *corev1.Pod {
			return toolPod(n, "sign", images["cosign-sign"], []string{"/cosign", "sign", "--image=" + ref, "--key=/workspace/keys/cosign.key",
				"--password-file=/workspace/keys/cosign.password", "--allow-http=true"}, vol("keys", "/workspace/keys", keys))
		}}
	return []benchCase{clone, cold, warm, scan, sign}, nil
}

type volume struct {
	v corev1.Volume
	m corev1.VolumeMount
}

func vol(name, path string, src corev1.VolumeSource) volume {
	return volume{corev1.Volume{Name: name, VolumeSource: src}, corev1.VolumeMount{Name: name, MountPath: path}}
}

func toolPod(name, container, image string, command []string, vols ...volume) *corev1.Pod {
	c := corev1.Container{Name: container, Image: image, Command: command, Env: []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}}}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}
	for _, v := range vols {
		p.Spec.Volumes = append(p.Spec.Volumes, v.v)
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, v.m)
	}
	return p
}

// buildPod is the buildkit-build Task's pod without Windlass: buildkitd as a
// native sidecar with the same configuration, and the build tool.
func buildPod(name, buildkitd, tool string, args []string) *corev1.Pod {
	run := vol("buildkit-run", "/run/buildkit", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}})
	state := vol("buildkit-state", "/var/lib/buildkit", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}})
	src := vol("source", "/workspace/source", corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "src", ReadOnly: true}})
	script := fmt.Sprintf(`printf '[registry."%[1]s"]\n  http = true\n  insecure = true\n[registry."docker.io"]\n  mirrors = ["%[1]s"]\n' > /run/buildkit/buildkitd.toml
exec buildkitd --config /run/buildkit/buildkitd.toml --root /var/lib/buildkit --addr unix:///run/buildkit/buildkitd.sock --group 65532 --oci-worker-net=host`, podRegistry)
	p := toolPod(name, "build", tool, args, run, src)
	p.Spec.Volumes = append(p.Spec.Volumes, state.v)
	p.Spec.InitContainers = []corev1.Container{{Name: "buildkitd", Image: buildkitd, Command: []string{"sh", "-c", script},
		RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways), SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		VolumeMounts: []corev1.VolumeMount{run.m, state.m}}}
	return p
}

// sourceRepo pushes the app to a new public repository on the local git server.
func (b *bench) sourceRepo() (string, error) {
	g, err := util.ReadGitServer(*gitEnv)
	if err != nil {
		return "", fmt.Errorf("--gitserver-env: %w", err)
	}
	base, user, pass, token := g.URL, g.User, g.Password, g.Token
	body, _ := json.Marshal(map[string]any{"name": b.ns})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/user/repos", bytes.NewReader(body))
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("creating the repository: %s", resp.Status)
	}
	dir, err := os.MkdirTemp("", "bench-catalog")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	files := map[string]string{
		"app/Dockerfile": "FROM busybox\nARG GREETING=hello\nCOPY greet.sh /greet.sh\nRUN echo \"$GREETING\" > /greeting && chmod 755 /greet.sh\n",
		"app/greet.sh":   "#!/bin/sh\ncat /greeting\n",
	}
	for n, c := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(n)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			return "", err
		}
	}
	cloneURL := base + "/" + user + "/" + b.ns + ".git"
	u, _ := url.Parse(cloneURL)
	u.User = url.UserPassword(user, pass)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "app"}, {"push", "-q", u.String(), "main"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@windlass.dev",
			"GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@windlass.dev", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("git %s: %w: %s", args[0], err, out)
		}
	}
	return cloneURL, nil
}
