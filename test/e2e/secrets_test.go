//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestTaskRunMasksSecretsInLogs gives a step Secret values every way a step
// receives them (secretKeyRef, envFrom secretRef, a Secret workspace) and has
// it print them whole, in two writes and in its failure message: the pod's
// log shows *** and never a value, and neither do the TaskRun's status, the
// namespace's Events or the controller's log.
func TestTaskRunMasksSecretsInLogs(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	values := map[string]string{
		"password": "pa55w0rd-from-keyref",
		"token":    "t0ken-from-envfrom",
		"file":     "c0ntent-of-secret-file",
	}
	for name, data := range map[string]map[string]string{
		"db":    {"password": values["password"]},
		"api":   {"TOKEN": values["token"]},
		"files": {"key.txt": values["file"] + "\n"},
	} {
		if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: data,
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: masked}
spec:
  workspaces:
  - {name: keys, secret: {secretName: files}}
  taskSpec:
    workspaces: [{name: keys}]
    steps:
    - name: print
      image: SHELL
      env:
      - name: DB_PASSWORD
        valueFrom: {secretKeyRef: {name: db, key: password}}
      envFrom:
      - {prefix: API_, secretRef: {name: api}}
      script: |
        echo "env: $DB_PASSWORD"
        echo "envfrom: $API_TOKEN" >&2
        echo "file: $(cat $(workspaces.keys.path)/key.txt)"
        # The value in two writes a second apart (no part of it in the script: it is in the status).
        printf 'split: %s' "$(echo "$DB_PASSWORD" | cut -c1-9)"; sleep 1; printf '%s\n' "$(echo "$DB_PASSWORD" | cut -c10-)"
        printf 'last: %s' "$API_TOKEN"
    - name: fail
      image: SHELL
      env:
      - name: DB_PASSWORD
        valueFrom: {secretKeyRef: {name: db, key: password}}
      script: |
        echo "could not log in with $DB_PASSWORD" > "$WINDLASS_MESSAGE_FILE"
        exit 1
`)
	tr := waitRunDone(t, ns, "masked", metav1.ConditionFalse, "Failed", 2*time.Minute)

	out := logs(t, ns, tr.Status.PodName, "step-print")
	for _, want := range []string{"env: ***\n", "envfrom: ***\n", "file: ***\n", "split: ***\n", "last: ***"} {
		if !strings.Contains(out, want) {
			t.Errorf("the step's log lacks %q:\n%s", want, out)
		}
	}
	if msg := message(tr); !strings.Contains(msg, "could not log in with ***") {
		t.Errorf("the run's message does not carry the step's masked word: %q", msg)
	}
	status, _ := yaml.Marshal(tr.Status)
	events, err := kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var evs strings.Builder
	for _, e := range events.Items {
		evs.WriteString(e.Reason + " " + e.Message + "\n")
	}
	controllerLog := ""
	pods, err := kube.CoreV1().Pods(controllerNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=windlass"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			controllerLog += logs(t, controllerNamespace, p.Name, c.Name)
		}
	}
	for where, text := range map[string]string{
		"the step's log": out, "the fail step's log": logs(t, ns, tr.Status.PodName, "step-fail"),
		"the TaskRun's status": string(status), "the Events": evs.String(), "the controller's log": controllerLog,
	} {
		for _, v := range values {
			// A value's distinctive halves too: a split write must not leak either.
			for _, part := range []string{v, v[:len(v)/2], v[len(v)/2:]} {
				if strings.Contains(text, part) {
					t.Errorf("%s holds %q:\n%s", where, part, text)
				}
			}
		}
	}
}

// TestTaskRunInARestrictedNamespace runs a Task that sets no security context
// (two script steps, a scripted sidecar, a workspace and a result) in a
// namespace that enforces the restricted Pod Security Standard: it succeeds
// unchanged, as a non-root user. A step that asks to be privileged fails at
// once, naming the step, the field and the policy.
func TestTaskRunInARestrictedNamespace(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	nsObj, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsObj.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	if _, err := kube.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Credentials are written into $HOME by the entrypoint, as the step's (non-root) user.
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "git", Annotations: map[string]string{"windlass.dev/git-0": "https://git.example"}},
		Type:       corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": "ci", "password": "restricted-pw"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"},
		Secrets: []corev1.ObjectReference{{Name: "git"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: unchanged}
spec:
  serviceAccountName: builder
  workspaces: [{name: scratch, emptyDir: {}}]
  taskSpec:
    workspaces: [{name: scratch}]
    results: [{name: who}]
    sidecars:
    - {name: helper, image: SHELL, script: "while true; do sleep 1; done"}
    steps:
    - name: write
      image: SHELL
      script: |
        id -u > $(workspaces.scratch.path)/uid
        cat $HOME/.git-credentials
    - name: report
      image: SHELL
      script: |
        printf 'uid %s' "$(cat $(workspaces.scratch.path)/uid)" | tee $(results.who.path)
`)
	tr := waitRunDone(t, ns, "unchanged", metav1.ConditionTrue, "Succeeded", 2*time.Minute)
	if len(tr.Status.Results) != 1 || tr.Status.Results[0].Value.StringVal != "uid 65532" {
		t.Errorf("results %+v, want the steps to run as 65532 (the image's default user is root)", tr.Status.Results)
	}
	if out := logs(t, ns, tr.Status.PodName, "step-write"); strings.TrimSpace(out) != "https://ci:***@git.example" {
		t.Errorf("the step's credentials, masked, are %q", out)
	}

	start := time.Now()
	createRun(t, ns, `
apiVersion: windlass.dev/v1alpha1
kind: TaskRun
metadata: {name: privileged}
spec:
  taskSpec:
    steps:
    - name: docker
      image: SHELL
      script: id
      securityContext: {privileged: true}
`)
	tr = waitRunDone(t, ns, "privileged", metav1.ConditionFalse, "PodSecurity", 30*time.Second)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the run took %s to fail", took)
	}
	for _, want := range []string{`step "docker" (spec.steps[0])`, "securityContext.privileged=true", `"restricted" Pod Security Standard`} {
		if !strings.Contains(message(tr), want) {
			t.Errorf("message %q lacks %q", message(tr), want)
		}
	}
}
