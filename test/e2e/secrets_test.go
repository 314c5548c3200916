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
