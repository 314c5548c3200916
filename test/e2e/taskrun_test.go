//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/podspec"
)

// createRun creates a TaskRun (and optionally a Task) from YAML, with the
// test's shell image substituted for SHELL.
func createRun(t *testing.T, ns, manifest string) {
	t.Helper()
	manifest = strings.ReplaceAll(manifest, "SHELL", image(t, "shell"))
	for _, doc := range strings.Split(manifest, "\n---\n") {
		var obj client.Object = &windlassv1.TaskRun{}
		if strings.Contains(doc, "kind: Task\n") {
			obj = &windlassv1.Task{}
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("bad manifest: %v\n%s", err, doc)
		}
		obj.SetNamespace(ns)
		if err := crc.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
}

// waitRunDone waits for the TaskRun's final condition and checks it.
func waitRunDone(t *testing.T, ns, name string, status metav1.ConditionStatus, reason string, timeout time.Duration) *windlassv1.TaskRun {
	t.Helper()
	tr := &windlassv1.TaskRun{}
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tr); err != nil {
			return false, nil
		}
		c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Status != metav1.ConditionUnknown, nil
	})
	c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
	if err != nil || c.Status != status || c.Reason != reason {
		b, _ := yaml.Marshal(tr.Status)
		t.Fatalf("TaskRun %s: want %s/%s, got (%v):\n%s", name, status, reason, err, b)
	}
	return tr
}

func message(tr *windlassv1.TaskRun) string {
	return meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded).Message
}

func TestTaskRunScriptParamWorkspaceResult(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: Task
metadata: {name: greet}
spec:
  params:
  - {name: who}
  - {name: words, type: array, default: [a, b]}
  workspaces: [{name: scratch}]
  results: [{name: greeting}, {name: count, type: array}]
  steps:
  - name: write
    image: SHELL
    script: |
      echo "hello $(params.who)" > $(workspaces.scratch.path)/msg
  - name: read
    image: SHELL
    command: [sh, -c]
    args: ["cat $(workspaces.scratch.path)/msg | tee $(results.greeting.path); printf '[\"%s\",\"%s\"]' $(params.words[0]) $(params.words[1]) > $(results.count.path)"]
---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: greet-run}
spec:
  taskRef: {name: greet}
  params: [{name: who, value: windlass}]
  workspaces: [{name: scratch, emptyDir: {}}]
`)
	tr := waitRunDone(t, ns, "greet-run", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if len(tr.Status.Results) != 2 || strings.TrimSpace(tr.Status.Results[0].Value.StringVal) != "hello windlass" ||
		strings.Join(tr.Status.Results[1].Value.ArrayVal, ",") != "a,b" {
		t.Fatalf("results %+v", tr.Status.Results)
	}
	if out := logs(t, ns, podspec.PodName("greet-run"), "step-read"); !strings.Contains(out, "hello windlass") {
		t.Fatalf("step-read log %q", out)
	}
	for _, s := range tr.Status.Steps {
		if s.Terminated == nil || s.Terminated.Reason != "Completed" || s.Terminated.ExitCode != 0 {
			t.Fatalf("step %+v", s)
		}
	}
}

// A script runs exactly as written: the kubelet's env expansion ($$ → $,
// $(NAME) → a defined variable) must not reach it.
func TestTaskRunScriptIsNotAltered(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: literal}
spec:
  taskSpec:
    results: [{name: text}]
    steps:
    - name: write
      image: SHELL
      env: [{name: CC, value: gcc}]
      script: |
        cat > $(results.text.path) <<'EOF'
        $(CC) -o $@ $$
        EOF
        test "$$" -gt 0
`)
	tr := waitRunDone(t, ns, "literal", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if got := strings.TrimSpace(tr.Status.Results[0].Value.StringVal); got != "$(CC) -o $@ $$" {
		t.Errorf("the script ran as altered: heredoc gave %q", got)
	}
}

func TestTaskRunResults64KiBAndTooLarge(t *testing.T) {
	ns := namespace(t)
	// 64 KiB exactly passes (through the framed log); one byte more fails, never truncated.
	for name, size := range map[string]int{"fits": 64 << 10, "toolarge": 64<<10 + 1} {
		createRun(t, ns, fmt.Sprintf(`
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: %s}
spec:
  taskSpec:
    results: [{name: blob}]
    steps:
    - image: SHELL
      script: head -c %d /dev/zero | tr '\0' 'x' > $(results.blob.path)
`, name, size))
	}
	tr := waitRunDone(t, ns, "fits", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if len(tr.Status.Results) != 1 || len(tr.Status.Results[0].Value.StringVal) != 64<<10 {
		t.Fatalf("64 KiB result arrived with %d bytes", len(tr.Status.Results[0].Value.StringVal))
	}
	tr = waitRunDone(t, ns, "toolarge", metav1.ConditionFalse, windlassv1.ReasonResultsTooLarge, 2*time.Minute)
	if !strings.Contains(message(tr), "results exceed 65536 bytes") || len(tr.Status.Results) != 0 {
		t.Fatalf("message %q results %d", message(tr), len(tr.Status.Results))
	}
}

func TestTaskRunOnErrorAndStepTimeout(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: continue}
spec:
  taskSpec:
    steps:
    - {name: fails, image: SHELL, script: exit 4, onError: continue}
    - {name: after, image: SHELL, script: echo still-here}
---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: steptimeout}
spec:
  taskSpec:
    steps:
    - {name: slow, image: SHELL, script: sleep 60, timeout: 2s}
    - {name: never, image: SHELL, script: echo never}
`)
	tr := waitRunDone(t, ns, "continue", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	if tr.Status.Steps[0].Terminated.ExitCode != 4 || tr.Status.Steps[1].Terminated.Reason != "Completed" {
		t.Fatalf("steps %+v", tr.Status.Steps)
	}
	tr = waitRunDone(t, ns, "steptimeout", metav1.ConditionFalse, windlassv1.ReasonStepTimedOut, 2*time.Minute)
	if !strings.Contains(message(tr), "step-slow: step step-slow exceeded its timeout of 2s") || tr.Status.Steps[1].Terminated.Reason != "Skipped" {
		t.Fatalf("message %q steps %+v", message(tr), tr.Status.Steps)
	}
}

// TestTaskRunStepFailureMessage: what a failed step writes to
// $WINDLASS_MESSAGE_FILE reaches the TaskRun's message (onError: continue
// keeps it in the step's state only).
func TestTaskRunStepFailureMessage(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: sayswhy}
spec:
  taskSpec:
    steps:
    - name: lint
      image: SHELL
      onError: continue
      script: |
        echo "lint: 3 warnings" >"$WINDLASS_MESSAGE_FILE"
        exit 2
    - name: check
      image: SHELL
      script: |
        printf 'check: 2 of 5 tests failed <"quoted">\nnot this line\n' >"$WINDLASS_MESSAGE_FILE"
        exit 1
    - {name: never, image: SHELL, script: echo never}
`)
	tr := waitRunDone(t, ns, "sayswhy", metav1.ConditionFalse, windlassv1.ReasonFailed, 2*time.Minute)
	if want := `step-check exited with code 1: check: 2 of 5 tests failed <"quoted">`; message(tr) != want {
		t.Fatalf("message %q, want %q", message(tr), want)
	}
	if got := tr.Status.Steps[0].Terminated; got == nil || got.ExitCode != 2 || got.Message != "lint: 3 warnings" {
		t.Fatalf("onError: continue step %+v", got)
	}
}

func TestTaskRunTimeoutAndCancelStopThePod(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: timeout}
spec:
  timeout: 5s
  taskSpec: {steps: [{name: sleep, image: SHELL, script: sleep 300}]}
---
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: cancel}
spec:
  taskSpec: {steps: [{name: sleep, image: SHELL, script: sleep 300}]}
`)
	// Cancel once the step is really running.
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		tr := &windlassv1.TaskRun{}
		if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cancel"}, tr); err != nil {
			return false, nil
		}
		c := meta.FindStatusCondition(tr.Status.Conditions, windlassv1.ConditionSucceeded)
		return c != nil && c.Reason == windlassv1.ReasonRunning, nil
	})
	if err != nil {
		t.Fatal("run never started running")
	}
	tr := &windlassv1.TaskRun{}
	if err := crc.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "cancel"}, tr); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(tr.DeepCopy())
	tr.Spec.Status = windlassv1.TaskRunSpecStatusCancelled
	if err := crc.Patch(context.Background(), tr, patch); err != nil {
		t.Fatal(err)
	}
	for name, reason := range map[string]string{"cancel": windlassv1.ReasonCancelled, "timeout": windlassv1.ReasonTimedOut} {
		tr := waitRunDone(t, ns, name, metav1.ConditionFalse, reason, 2*time.Minute)
		if !strings.Contains(message(tr), "while step-sleep was running") {
			t.Errorf("%s: message %q", name, message(tr))
		}
		if ran := tr.Status.CompletionTime.Sub(tr.Status.StartTime.Time); name == "timeout" && ran < 5*time.Second {
			t.Errorf("timed out after %s, before its 5s timeout", ran)
		}
		waitPodGone(t, ns, podspec.PodName(name))
	}
}

func TestTaskRunMissingImageFailsFast(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: noimage}
spec:
  taskSpec: {steps: [{name: s, image: "127.0.0.1:5000/windlass/does-not-exist:v0", script: "true"}]}
`)
	start := time.Now()
	tr := waitRunDone(t, ns, "noimage", metav1.ConditionFalse, windlassv1.ReasonImagePullFailed, 2*time.Minute)
	if !strings.Contains(message(tr), "does-not-exist") {
		t.Fatalf("message %q", message(tr))
	}
	t.Logf("failed %s after create", time.Since(start).Round(100*time.Millisecond))
}

func TestTaskRunVolumeClaimTemplateAndSidecar(t *testing.T) {
	ns := namespace(t)
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: vct}
spec:
  workspaces:
  - name: data
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  taskSpec:
    workspaces: [{name: data}]
    results: [{name: served}]
    sidecars:
    - name: web
      image: SHELL
      script: |
        mkdir -p /tmp/www && echo sidecar-ok > /tmp/www/index.html
        exec httpd -f -p 8080 -h /tmp/www
      readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
    steps:
    - {name: write, image: SHELL, script: "echo persisted > $(workspaces.data.path)/f"}
    - name: read
      image: SHELL
      script: |
        cat $(workspaces.data.path)/f
        wget -q -O $(results.served.path) http://127.0.0.1:8080/
`)
	tr := waitRunDone(t, ns, "vct", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	if len(tr.Status.Results) != 1 || strings.TrimSpace(tr.Status.Results[0].Value.StringVal) != "sidecar-ok" {
		t.Fatalf("results %+v", tr.Status.Results)
	}
	if out := logs(t, ns, podspec.PodName("vct"), "step-read"); !strings.Contains(out, "persisted") {
		t.Fatalf("step-read log %q", out)
	}
	pvc, err := kube.CoreV1().PersistentVolumeClaims(ns).Get(context.Background(), podspec.ClaimName("vct", "data"), metav1.GetOptions{})
	if err != nil || pvc.Status.Phase != corev1.ClaimBound || len(pvc.OwnerReferences) != 1 {
		t.Fatalf("claim %+v, %v", pvc, err)
	}
	if len(tr.Status.Sidecars) != 1 || tr.Status.Sidecars[0].Name != "web" {
		t.Fatalf("sidecars %+v", tr.Status.Sidecars)
	}
}

func waitPodGone(t *testing.T, ns, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		return err != nil, nil
	})
	if err != nil {
		t.Fatalf("pod %s/%s still exists", ns, name)
	}
}

func TestTaskRunCredentialsFromTheServiceAccount(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "registry", Annotations: map[string]string{"windlass.dev/docker-0": "https://registry.example"}},
			Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": "bot", "password": "pw"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "git", Annotations: map[string]string{"windlass.dev/git-0": "https://git.example"}},
			Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": "ci", "password": "tok"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ssh", Annotations: map[string]string{"windlass.dev/git-1": "git.example"}},
			Type: corev1.SecretTypeSSHAuth, StringData: map[string]string{"ssh-privatekey": "PRIVATE-KEY"}},
	} {
		if _, err := kube.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"},
		Secrets: []corev1.ObjectReference{{Name: "registry"}, {Name: "git"}, {Name: "ssh"}}}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: creds}
spec:
  serviceAccountName: builder
  taskSpec:
    results: [{name: docker}, {name: git}, {name: ssh}]
    steps:
    - image: SHELL
      script: |
        tr -d ' \n' < $HOME/.docker/config.json > $(results.docker.path)
        cat $HOME/.git-credentials > $(results.git.path)
        cat $HOME/.ssh/config $HOME/.ssh/id_ssh > $(results.ssh.path)
`)
	tr := waitRunDone(t, ns, "creds", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 2*time.Minute)
	got := map[string]string{}
	for _, r := range tr.Status.Results {
		got[r.Name] = r.Value.StringVal
	}
	if got["docker"] != `{"auths":{"https://registry.example":{"auth":"Ym90OnB3"}}}` ||
		got["git"] != "https://ci:tok@git.example\n" ||
		!strings.Contains(got["ssh"], "Host git.example") || !strings.Contains(got["ssh"], "PRIVATE-KEY") {
		t.Fatalf("credentials seen by the step: %q", got)
	}
}

func TestTaskRunWorkspaceKinds(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data: map[string]string{"mode": "fast"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec"},
		StringData: map[string]string{"token": "t0k"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: fill}
spec:
  workspaces:
  - name: out
    volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}}
  taskSpec:
    workspaces: [{name: out}]
    steps: [{image: SHELL, script: "mkdir -p $(workspaces.out.path)/sub && echo from-claim > $(workspaces.out.path)/sub/f"}]
`)
	waitRunDone(t, ns, "fill", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	// The claim made for "fill" is now an existing claim for the next run, mounted by subPath.
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: kinds}
spec:
  workspaces:
  - {name: claim, persistentVolumeClaim: {claimName: fill-out}, subPath: sub}
  - {name: config, configMap: {name: cfg}}
  - {name: creds, secret: {secretName: sec}}
  - {name: tmp, emptyDir: {}}
  taskSpec:
    workspaces: [{name: claim}, {name: config}, {name: creds}, {name: tmp}, {name: unused, optional: true}]
    results: [{name: seen}]
    steps:
    - image: SHELL
      script: |
        echo "$(cat $(workspaces.claim.path)/f) $(cat $(workspaces.config.path)/mode) $(cat $(workspaces.creds.path)/token) $(workspaces.claim.claim) $(workspaces.unused.bound)" > $(results.seen.path)
        touch $(workspaces.tmp.path)/ok
        ! touch $(workspaces.config.path)/x 2>/dev/null
`)
	tr := waitRunDone(t, ns, "kinds", metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	if len(tr.Status.Results) != 1 || strings.TrimSpace(tr.Status.Results[0].Value.StringVal) != "from-claim fast t0k fill-out false" {
		t.Fatalf("results %+v", tr.Status.Results)
	}
}
