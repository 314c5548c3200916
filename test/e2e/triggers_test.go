//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

// gitServer is the local Gitea that hack/gitserver/up.sh started.
type gitServer struct{ url, user, password, token string }

func gitserver(t *testing.T) gitServer {
	t.Helper()
	path := os.Getenv("GITSERVER_ENV")
	if path == "" {
		t.Fatal("GITSERVER_ENV is not set: run the e2e tier with 'make test-e2e', which starts the git server")
	}
	g, err := util.ReadGitServer(path)
	if err != nil {
		t.Fatal(err)
	}
	return gitServer{g.URL, g.User, g.Password, g.Token}
}

// api calls the git server's API with the token and decodes the answer into out.
func (g gitServer) api(t *testing.T, method, path string, in, out any) {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, g.url+"/api/v1"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "token "+g.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// replay redelivers a hook delivery through the web UI (Gitea has no API for
// it): a byte-identical body and signature under a new delivery uuid.
func (g gitServer) replay(t *testing.T, repo string, hook int64, uuid string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(g.url+"/user/login", url.Values{"user_name": {g.user}, "password": {g.password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("logging in to the git server: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	path := fmt.Sprintf("/%s/settings/hooks/%d", repo, hook)
	resp, err = hc.Post(g.url+path+"/replay/"+uuid, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("replaying delivery %s: %s, Location %q", uuid, resp.Status, resp.Header.Get("Location"))
	}
}

// deliveries lists the uuids of a hook's deliveries, newest first, from its settings page.
func (g gitServer) deliveries(t *testing.T, repo string, hook int64) []string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.PostForm(g.url+"/user/login", url.Values{"user_name": {g.user}, "password": {g.password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = hc.Get(fmt.Sprintf("%s/%s/settings/hooks/%d", g.url, repo, hook))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(fmt.Sprintf(`/settings/hooks/%d/replay/([0-9a-f-]{36})`, hook))
	var out []string
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(page), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@windlass.dev",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@windlass.dev", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

const webhookSecret = "e2e-webhook-secret"

// triggerSetup is a namespace with an EventListener whose github trigger starts
// a PipelineRun that echoes the pushed commit and the repository URL.
func triggerSetup(t *testing.T) (ns, addr string) {
	t.Helper()
	ns = namespace(t)
	ctx := context.Background()
	if err := crc.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: ns},
		StringData: map[string]string{"token": webhookSecret}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		obj  client.Object
		yaml string
	}{
		{&triggersv1.TriggerBinding{}, `
metadata: {name: push}
spec:
  params:
  - {name: revision, value: $(body.after)}
  - {name: url, value: $(body.repository.clone_url)}
  - {name: short, value: $(extensions.short_sha)}
`},
		{&triggersv1.TriggerTemplate{}, `
metadata: {name: show}
spec:
  params: [{name: revision}, {name: url}, {name: short}, {name: who, default: nobody}]
  resourcetemplates:
  - apiVersion: windlass.dev/v1alpha1
    kind: PipelineRun
    metadata: {generateName: push-}
    spec:
      params:
      - {name: revision, value: $(tt.params.revision)}
      - {name: url, value: $(tt.params.url)}
      pipelineSpec:
        params: [{name: revision}, {name: url}]
        results: [{name: seen, value: $(tasks.show.results.seen)}]
        tasks:
        - name: show
          params: [{name: revision, value: $(params.revision)}, {name: url, value: $(params.url)}]
          taskSpec:
            params: [{name: revision}, {name: url}]
            results: [{name: seen}]
            steps:
            - name: echo
              image: docker.io/library/busybox:latest
              script: |
                echo "building $(params.url) at $(params.revision) ($(tt.params.short), by $(tt.params.who))"
                printf '%s %s' '$(params.url)' '$(params.revision)' > $(results.seen.path)
`},
		{&triggersv1.EventListener{}, `
metadata: {name: git}
spec:
  triggers:
  - name: push
    interceptors:
    - ref: {name: github}
      params:
      - {name: secretRef, value: {secretName: webhook, secretKey: token}}
      - {name: eventTypes, value: [push]}
    - ref: {name: cel}
      params:
      - {name: filter, value: "body.ref.startsWith('refs/heads/')"}
      - {name: overlays, value: [{key: short_sha, expression: "body.after.truncate(7)"}]}
    bindings: [{ref: push}, {name: who, value: $(body.pusher.login)}]
    template: {ref: show}
`},
	} {
		if err := yaml.UnmarshalStrict([]byte(m.yaml), m.obj); err != nil {
			t.Fatalf("bad manifest: %v", err)
		}
		m.obj.SetNamespace(ns)
		if err := crc.Create(ctx, m.obj); err != nil {
			t.Fatalf("creating %s: %v", m.obj.GetName(), err)
		}
	}
	el := &triggersv1.EventListener{}
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := crc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "git"}, el); err != nil {
			return false, err
		}
		return meta.IsStatusConditionTrue(el.Status.Conditions, triggersv1.ConditionReady), nil
	})
	if err != nil {
		t.Fatalf("EventListener never Ready: %v; status %+v", err, el.Status)
	}
	if want := "http://el-git." + ns + ".svc.cluster.local:8080"; el.Status.Address == nil || el.Status.Address.URL != want {
		t.Errorf("status.address = %+v, want %s", el.Status.Address, want)
	}
	svc, err := kube.CoreV1().Services(ns).Get(ctx, "el-git", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	addr = fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
	// Ready is the Deployment's; the Service's rules reach the node a moment later.
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = util.Ready(addr)
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("the listener's Service %s never answered: %v; last answer: %v", addr, err, last)
	}
	return ns, addr
}

func pipelineRuns(t *testing.T, ns string) []windlassv1.PipelineRun {
	t.Helper()
	var list windlassv1.PipelineRunList
	if err := crc.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// outcomes reads the listener's count of one trigger outcome from its metrics.
func outcomes(t *testing.T, addr, trigger, outcome string) int {
	t.Helper()
	host, _, _ := strings.Cut(addr, ":")
	resp, err := http.Get("http://" + host + ":9000/metrics")
	if err != nil {
		t.Fatalf("reading the listener's metrics: %v", err)
	}
	defer resp.Body.Close()
	want := fmt.Sprintf(`windlass_eventlistener_trigger_outcomes_total{outcome=%q,trigger=%q} `, outcome, trigger)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), want); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("metric %s%s: %v", want, v, err)
			}
			return n
		}
	}
	return 0
}

func waitOutcomes(t *testing.T, addr, trigger, outcome string, n int) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		return outcomes(t, addr, trigger, outcome) >= n, nil
	})
	if err != nil {
		t.Fatalf("the listener never counted %d %s events for trigger %s (has %d)", n, outcome, trigger, outcomes(t, addr, trigger, outcome))
	}
}

// A push to the git server sends a signed webhook; the listener starts one
// PipelineRun with the commit and the repository URL, which succeeds. A replay
// of that delivery (same body, new delivery id) starts nothing new.
func TestGitPushStartsOnePipelineRun(t *testing.T) {
	g := gitserver(t)
	ns, addr := triggerSetup(t)
	repo := "e2e-" + ns[len("e2e-"):]
	g.api(t, http.MethodPost, "/user/repos", map[string]any{"name": repo}, nil)
	full := g.user + "/" + repo
	var hook struct{ ID int64 }
	g.api(t, http.MethodPost, "/repos/"+full+"/hooks", map[string]any{
		"type": "gitea", "active": true, "events": []string{"push"},
		"config": map[string]string{"url": "http://" + addr + "/", "content_type": "json", "secret": webhookSecret},
	}, &hook)

	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "first")
	sha := git(t, dir, "rev-parse", "HEAD")
	u, _ := url.Parse(g.url)
	u.User, u.Path = url.UserPassword(g.user, g.password), "/"+full+".git"
	git(t, dir, "push", "-q", u.String(), "main")

	waitOutcomes(t, addr, "push", "created", 1)
	runs := pipelineRuns(t, ns)
	if len(runs) != 1 {
		t.Fatalf("%d PipelineRuns after one push, want 1", len(runs))
	}
	pr := waitPipelineDone(t, ns, runs[0].Name, metav1.ConditionTrue, windlassv1.ReasonSucceeded, 3*time.Minute)
	cloneURL := g.url + "/" + full + ".git"
	if len(pr.Status.Results) != 1 || pr.Status.Results[0].Value.StringVal != cloneURL+" "+sha {
		t.Errorf("results %+v, want seen = %q", pr.Status.Results, cloneURL+" "+sha)
	}
	if got := pr.Labels["triggers.windlass.dev/eventlistener"]; got != "git" {
		t.Errorf("label eventlistener = %q", got)
	}
	tr := &windlassv1.TaskRun{}
	if err := crc.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: pr.Name + "-show"}, tr); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("building %s at %s (%s, by %s)", cloneURL, sha, sha[:7], g.user)
	if got := logs(t, ns, tr.Status.PodName, "step-echo"); !strings.Contains(got, want) {
		t.Errorf("step log %q lacks %q", got, want)
	}

	// Gitea's replay: the same bytes under a new delivery id.
	uuids := g.deliveries(t, full, hook.ID)
	if len(uuids) != 1 {
		t.Fatalf("the git server lists deliveries %v, want one", uuids)
	}
	g.replay(t, full, hook.ID, uuids[0])
	waitOutcomes(t, addr, "push", "duplicate", 1)
	if again := g.deliveries(t, full, hook.ID); len(again) != 2 || again[1] != uuids[0] {
		t.Errorf("deliveries after the replay: %v (want a new uuid before %s)", again, uuids[0])
	}
	if runs := pipelineRuns(t, ns); len(runs) != 1 {
		t.Errorf("%d PipelineRuns after the replay, want still 1", len(runs))
	}
}

type answer struct {
	code int
	body struct {
		EventID  string
		Message  string
		Triggers []struct {
			Name, Outcome, Message string
			Code                   int
			Objects                []struct{ Kind, Namespace, Name string }
		}
	}
}

func send(t *testing.T, addr string, header map[string]string, body []byte) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	a.code = resp.StatusCode
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &a.body); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, data)
	}
	return a
}

func sign(body []byte, key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// The listener answers only after doing the work, with what it did; nothing
// that fails a check creates anything.
func TestListenerAnswers(t *testing.T) {
	ns, addr := triggerSetup(t)
	body := []byte(`{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567","repository":{"clone_url":"http://git.example/a.git"},"pusher":{"login":"ann"}}`)
	hdr := func(sig string) map[string]string {
		return map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": fmt.Sprint(time.Now().UnixNano()), "X-Hub-Signature-256": sig}
	}
	for _, c := range []struct {
		name   string
		header map[string]string
		body   []byte
		code   int
		says   string
	}{
		{"forged signature", hdr(sign(body, "wrong")), body, http.StatusForbidden, "signature"},
		{"no signature", map[string]string{"X-GitHub-Event": "push"}, body, http.StatusUnauthorized, "signature"},
		{"changed body, old signature", hdr(sign(body, webhookSecret)), bytes.Replace(body, []byte("main"), []byte("evil"), 1), http.StatusForbidden, "signature"},
		{"2 MiB body", hdr(""), append(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), 2<<20)...), '"', '}'), http.StatusRequestEntityTooLarge, "larger than 1048576 bytes"},
		{"malformed JSON", hdr(sign([]byte(`{"ref":`), webhookSecret)), []byte(`{"ref":`), http.StatusBadRequest, "not JSON"},
		{"another event type", map[string]string{"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign(body, webhookSecret)}, body, http.StatusOK, "issues"},
	} {
		a := send(t, addr, c.header, c.body)
		msg := a.body.Message
		for _, tr := range a.body.Triggers {
			msg += " | " + tr.Outcome + ": " + tr.Message
		}
		if a.code != c.code || !strings.Contains(strings.ToLower(msg), strings.ToLower(c.says)) {
			t.Errorf("%s: answered %d %q, want %d saying %q", c.name, a.code, msg, c.code, c.says)
		}
	}
	if runs := pipelineRuns(t, ns); len(runs) != 0 {
		t.Fatalf("rejected requests created %d PipelineRuns", len(runs))
	}
	// Wrong content type.
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form body answered %d, want 415", resp.StatusCode)
	}

	// A good event: 201 naming the run; the same event again (a sender's
	// retry, under a new delivery id): 200 naming the same run.
	first := send(t, addr, hdr(sign(body, webhookSecret)), body)
	if first.code != http.StatusCreated || len(first.body.Triggers) != 1 || len(first.body.Triggers[0].Objects) != 1 {
		t.Fatalf("good event answered %d %+v", first.code, first.body)
	}
	obj := first.body.Triggers[0].Objects[0]
	if obj.Kind != "PipelineRun" || obj.Namespace != ns || !strings.HasPrefix(obj.Name, "push-") {
		t.Errorf("created %+v", obj)
	}
	again := send(t, addr, hdr(sign(body, webhookSecret)), body)
	if again.code != http.StatusOK || again.body.Triggers[0].Outcome != "duplicate" || again.body.Triggers[0].Objects[0] != obj {
		t.Errorf("the same event again answered %d %+v, want 200 duplicate naming %+v", again.code, again.body, obj)
	}
	if runs := pipelineRuns(t, ns); len(runs) != 1 || runs[0].Name != obj.Name {
		t.Errorf("PipelineRuns %d, want just %s", len(runs), obj.Name)
	}

	// A branch the CEL filter does not take: 200, filtered, nothing created.
	tag := []byte(strings.Replace(string(body), "refs/heads/main", "refs/tags/v1", 1))
	if a := send(t, addr, hdr(sign(tag, webhookSecret)), tag); a.code != http.StatusOK || a.body.Triggers[0].Outcome != "filtered" {
		t.Errorf("tag push answered %d %+v, want 200 filtered", a.code, a.body)
	}
	// A binding whose path the event lacks: 422 naming it.
	bare := []byte(`{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567","pusher":{"login":"ann"}}`)
	if a := send(t, addr, hdr(sign(bare, webhookSecret)), bare); a.code != http.StatusUnprocessableEntity || !strings.Contains(a.body.Triggers[0].Message, "repository") {
		t.Errorf("event without repository answered %d %+v, want 422 naming body.repository", a.code, a.body)
	}
	if runs := pipelineRuns(t, ns); len(runs) != 1 {
		t.Errorf("PipelineRuns %d after filtered and invalid events, want 1", len(runs))
	}
}
