package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/triggers"
)

// These are unit tests of the sink's answers with a fake client; the proof
// that it works is the e2e tier (a real git server, a real cluster).

const testListener = `
metadata: {name: git, namespace: ci}
spec:
  triggers:
  - name: push
    interceptors:
    - ref: {name: github}
      params:
      - {name: secretRef, value: {secretName: hook, secretKey: token}}
      - {name: eventTypes, value: [push]}
    bindings: [{name: sha, value: $(body.after)}]
    template:
      spec:
        params: [{name: sha}]
        resourcetemplates:
        - apiVersion: windlass.dev/v1alpha1
          kind: PipelineRun
          metadata: {generateName: build-}
          spec:
            pipelineRef: {name: build}
            params: [{name: sha, value: $(tt.params.sha)}]
`

// withMissing adds a trigger whose template does not exist.
const withMissing = testListener + `  - name: missing
    template: {ref: nope}
`

func newTestSink(t *testing.T, listener string, extra ...client.Object) (*sink, client.Client) {
	t.Helper()
	scheme, err := newScheme()
	if err != nil {
		t.Fatal(err)
	}
	el := &triggersv1.EventListener{}
	if err := yaml.UnmarshalStrict([]byte(listener), el); err != nil {
		t.Fatal(err)
	}
	objs := append([]client.Object{el, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "hook", Namespace: "ci"}, Data: map[string][]byte{"token": []byte("s3cret")},
	}}, extra...)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	s := &sink{
		name: "git", namespace: "ci", scope: watchScope(el),
		objects: c, writer: c, reader: c,
		secrets:      newSecretCache(c, time.Minute),
		recorder:     events.NewFakeRecorder(100),
		external:     http.DefaultClient,
		maxBodyBytes: 1024, requestTimeout: 10 * time.Second, log: logr.Discard(),
		ready: make(chan struct{}),
	}
	close(s.ready)
	return s, c
}

func sign(body, key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func post(t *testing.T, s *sink, method, contentType, body string, h map[string]string) (int, Answer) {
	t.Helper()
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.routes().ServeHTTP(rec, req)
	var ans Answer
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatalf("answer is not JSON: %q", rec.Body.String())
	}
	return rec.Code, ans
}

func outcomeOf(ans Answer, trigger string) TriggerAnswer {
	for _, t := range ans.Triggers {
		if t.Name == trigger {
			return t
		}
	}
	return TriggerAnswer{}
}

func TestAnswers(t *testing.T) {
	const body = `{"after":"abc123","ref":"refs/heads/main"}`
	push := func(sig string) map[string]string {
		return map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": sig}
	}
	for _, c := range []struct {
		name        string
		method, ct  string
		body        string
		header      map[string]string
		code        int
		says        string // in the message or the push trigger's message
		pushOutcome Outcome
	}{
		{"GET", http.MethodGet, "", "", nil, http.StatusMethodNotAllowed, "POST", ""},
		{"form body", http.MethodPost, "application/x-www-form-urlencoded", "a=b", nil, http.StatusUnsupportedMediaType, "application/json", ""},
		{"too large", http.MethodPost, "application/json", `{"a":"` + strings.Repeat("x", 2000) + `"}`, nil, http.StatusRequestEntityTooLarge, "larger than 1024 bytes", ""},
		{"not JSON", http.MethodPost, "application/json", `{"a":`, nil, http.StatusBadRequest, "not JSON", ""},
		{"forged", http.MethodPost, "application/json", body, push(sign(body, "wrong")), http.StatusForbidden, "", OutcomeRejected},
		{"unsigned", http.MethodPost, "application/json", body, map[string]string{"X-GitHub-Event": "push"}, http.StatusUnauthorized, "", OutcomeRejected},
		{"other event", http.MethodPost, "application/json", body, map[string]string{"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign(body, "s3cret")}, http.StatusOK, "", OutcomeFiltered},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestSink(t, testListener)
			code, ans := post(t, s, c.method, c.ct, c.body, c.header)
			if code != c.code {
				t.Errorf("code %d, want %d (%+v)", code, c.code, ans)
			}
			if c.says != "" && !strings.Contains(ans.Message, c.says) {
				t.Errorf("message %q lacks %q", ans.Message, c.says)
			}
			if c.pushOutcome != "" && outcomeOf(ans, "push").Outcome != c.pushOutcome {
				t.Errorf("push trigger: %+v, want %s", outcomeOf(ans, "push"), c.pushOutcome)
			}
		})
	}
}

func TestCreatesOnceAndNamesWhatItDid(t *testing.T) {
	const body = `{"after":"abc123"}`
	s, c := newTestSink(t, withMissing)
	h := map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": sign(body, "s3cret")}
	code, ans := post(t, s, http.MethodPost, "application/json", body, h)
	if code != http.StatusCreated { // a trigger created objects: the other's failure does not hide it
		t.Fatalf("code %d: %+v", code, ans)
	}
	push := outcomeOf(ans, "push")
	if push.Outcome != OutcomeCreated || len(push.Objects) != 1 || !strings.HasPrefix(push.Objects[0].Name, "build-") {
		t.Fatalf("push: %+v", push)
	}
	// The other trigger's missing template is named, without hiding the created run.
	if m := outcomeOf(ans, "missing"); m.Outcome != OutcomeError || !strings.Contains(m.Message, `TriggerTemplate "nope" not found`) {
		t.Errorf("missing: %+v", m)
	}
	var pr windlassv1.PipelineRun
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "ci", Name: push.Objects[0].Name}, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Spec.Params[0].Value.StringVal != "abc123" || pr.Labels[triggers.LabelDelivery] != "d-1" || pr.Annotations[triggers.AnnotationEvent] != ans.EventID {
		t.Errorf("created %+v %+v %+v", pr.Spec.Params, pr.Labels, pr.Annotations)
	}
	// A redelivery under a new id: the same event, nothing new.
	h["X-GitHub-Delivery"] = "d-2"
	code, again := post(t, s, http.MethodPost, "application/json", body, h)
	if code != http.StatusOK || outcomeOf(again, "push").Outcome != OutcomeDuplicate || outcomeOf(again, "push").Objects[0] != push.Objects[0] {
		t.Errorf("redelivery: %d %+v", code, again)
	}
	var list windlassv1.PipelineRunList
	if err := c.List(context.Background(), &list); err != nil || len(list.Items) != 1 {
		t.Errorf("%d PipelineRuns, want 1 (%v)", len(list.Items), err)
	}
}

func TestNameTakenByAnotherEventIsAConflict(t *testing.T) {
	const body = `{"after":"abc123"}`
	s, _ := newTestSink(t, testListener)
	h := map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(body, "s3cret")}
	_, first := post(t, s, http.MethodPost, "application/json", body, h)
	name := outcomeOf(first, "push").Objects[0].Name
	taken := &windlassv1.PipelineRun{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ci",
		Annotations: map[string]string{triggers.AnnotationEvent: "another"}}}
	s2, _ := newTestSink(t, testListener, taken)
	code, ans := post(t, s2, http.MethodPost, "application/json", body, h)
	if p := outcomeOf(ans, "push"); code != http.StatusConflict || p.Outcome != OutcomeConflict || !strings.Contains(p.Message, name) {
		t.Errorf("answered %d %+v", code, p)
	}
}

func TestOverall(t *testing.T) {
	ta := func(o Outcome, code int) TriggerAnswer { return TriggerAnswer{Outcome: o, Code: code} }
	for _, c := range []struct {
		name string
		in   []TriggerAnswer
		want int
	}{
		{"none", nil, http.StatusOK},
		{"all filtered", []TriggerAnswer{ta(OutcomeFiltered, 200), ta(OutcomeFiltered, 200)}, http.StatusOK},
		{"created beats errors", []TriggerAnswer{ta(OutcomeError, 500), ta(OutcomeCreated, 201)}, http.StatusCreated},
		{"duplicate beats rejected", []TriggerAnswer{ta(OutcomeRejected, 403), ta(OutcomeDuplicate, 200)}, http.StatusOK},
		{"filtered and rejected", []TriggerAnswer{ta(OutcomeFiltered, 200), ta(OutcomeRejected, 401)}, http.StatusUnauthorized},
		{"config error beats auth", []TriggerAnswer{ta(OutcomeRejected, 403), ta(OutcomeError, 500)}, http.StatusInternalServerError},
		{"invalid beats forbidden", []TriggerAnswer{ta(OutcomeForbidden, 403), ta(OutcomeInvalid, 422)}, http.StatusUnprocessableEntity},
	} {
		if got := overall(c.in); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
