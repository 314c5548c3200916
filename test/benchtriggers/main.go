// Command benchtriggers measures P5 of the performance budget on the local
// cluster (make bench-triggers): signed GitHub-style push webhooks sent to an
// EventListener, each creating a PipelineRun (held PipelineRunPending, so
// nothing runs), beside bare API-server creates of the same PipelineRun from
// the same client at the same concurrency; then forged webhooks, which must
// be rejected without the listener making a single API request.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/test/util"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-triggers:", err)
		os.Exit(1)
	}
}

const secret = "bench-webhook-secret"

// pipelineRun is what both series create: the template renders it, the bare
// series creates it as is (with a name of its own).
const pipelineRun = `
apiVersion: windlass.dev/v1alpha1
kind: PipelineRun
metadata:
  generateName: push-
  labels: {bench: triggers}
spec:
  status: PipelineRunPending
  params:
  - {name: revision, value: "REVISION"}
  - {name: url, value: "URL"}
  pipelineSpec:
    params: [{name: revision}, {name: url}]
    tasks:
    - name: show
      params: [{name: revision, value: $(params.revision)}, {name: url, value: $(params.url)}]
      taskSpec:
        params: [{name: revision}, {name: url}]
        steps: [{name: echo, image: busybox, script: 'echo $(params.url) $(params.revision)'}]
`

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-triggers", flag.ContinueOnError)
	requests := fs.Int("requests", 200, "requests per series and round")
	rounds := fs.Int("rounds", 3, "rounds; each runs the bare and the listener series in alternating order")
	concurrency := fs.Int("concurrency", 8, "requests in flight at once, in every series")
	forged := fs.Int("forged", 1000, "forged (badly signed) requests sent after the rounds")
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *requests < 10 || *rounds < 1 || *concurrency < 1 {
		return fmt.Errorf("--requests must be >= 10, --rounds and --concurrency >= 1")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig %q: %w", *kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 5000, 5000 // the bare series must not be throttled by its own client
	scheme, err := manager.NewScheme()
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-triggers-"}}
	if err := c.Create(ctx, ns); err != nil {
		return err
	}
	defer func() { _ = c.Delete(context.Background(), ns) }()
	addr, err := setUp(ctx, c, ns.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listener at %s, %d requests x %d rounds per series, concurrency %d\n", addr, *requests, *rounds, *concurrency)

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency * 2}, Timeout: 60 * time.Second}
	var seq atomic.Int64
	bare := func(ctx context.Context) error {
		pr, err := renderBare(ns.Name, seq.Add(1))
		if err != nil {
			return err
		}
		return c.Create(ctx, pr)
	}
	listener := func(ctx context.Context) error {
		body, sig := pushEvent(seq.Add(1), secret)
		code, err := post(ctx, hc, addr, body, sig)
		if err != nil {
			return err
		}
		if code != http.StatusCreated {
			return fmt.Errorf("listener answered %d, want 201", code)
		}
		return nil
	}
	// Warm-up: connections, the listener's secret cache, the API server's caches.
	for _, f := range []func(context.Context) error{bare, listener} {
		if _, err := series(ctx, f, 20, *concurrency); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	var bareLat, elLat []time.Duration
	var bareTime, elTime time.Duration
	for r := 0; r < *rounds; r++ {
		order := []bool{r%2 == 0, r%2 != 0} // true: bare first
		for _, isBare := range order {
			f, lat, total := listener, &elLat, &elTime
			if isBare {
				f, lat, total = bare, &bareLat, &bareTime
			}
			t0 := time.Now()
			l, err := series(ctx, f, *requests, *concurrency)
			if err != nil {
				return err
			}
			*total += time.Since(t0)
			*lat = append(*lat, l...)
		}
	}

	before, err := apiRequests(ctx, hc, addr)
	if err != nil {
		return err
	}
	forge := func(ctx context.Context) error {
		body, _ := pushEvent(seq.Add(1), secret)
		_, sig := pushEvent(seq.Add(1), "not-the-secret")
		code, err := post(ctx, hc, addr, body, sig)
		if err != nil {
			return err
		}
		if code != http.StatusForbidden {
			return fmt.Errorf("a forged request was answered %d, want 403", code)
		}
		return nil
	}
	t0 := time.Now()
	forgedLat, err := series(ctx, forge, *forged, *concurrency)
	if err != nil {
		return err
	}
	forgedTime := time.Since(t0)
	after, err := apiRequests(ctx, hc, addr)
	if err != nil {
		return err
	}
	var prs windlassv1.PipelineRunList
	if err := c.List(ctx, &prs, client.InNamespace(ns.Name), client.MatchingLabels{"triggers.windlass.dev/eventlistener": "bench"}); err != nil {
		return err
	}
	wantRuns := 20 + *requests**rounds

	b, e, f := stats(bareLat, bareTime), stats(elLat, elTime), stats(forgedLat, forgedTime)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "series\trequests\treq/s\tp50\tp99\t")
	fmt.Fprintf(tw, "bare API create of the PipelineRun\t%d\t%.0f\t%s\t%s\t\n", len(bareLat), b.rate, ms(b.p50), ms(b.p99))
	fmt.Fprintf(tw, "signed webhook -> listener -> PipelineRun\t%d\t%.0f\t%s\t%s\t\n", len(elLat), e.rate, ms(e.p50), ms(e.p99))
	fmt.Fprintf(tw, "forged webhook -> 403\t%d\t%.0f\t%s\t%s\t\n", len(forgedLat), f.rate, ms(f.p50), ms(f.p99))
	_ = tw.Flush()
	fmt.Fprintf(out, "\nlistener / bare: p50 %.2fx (target <= 1.2), p99 %.2fx (target <= 1.5), throughput %.2fx (target >= 0.8)\n",
		e.p50.Seconds()/b.p50.Seconds(), e.p99.Seconds()/b.p99.Seconds(), e.rate/b.rate)
	fmt.Fprintf(out, "API requests the listener made while rejecting %d forged webhooks: %.0f (target 0)\n", *forged, after-before)
	fmt.Fprintf(out, "PipelineRuns the listener created: %d (sent %d signed webhooks)\n", len(prs.Items), wantRuns)
	if len(prs.Items) != wantRuns {
		return fmt.Errorf("the listener created %d PipelineRuns for %d webhooks", len(prs.Items), wantRuns)
	}
	return nil
}

// setUp installs the webhook Secret, the EventListener and its template, and
// returns the listener's address once it is ready.
func setUp(ctx context.Context, c client.Client, ns string) (string, error) {
	objs := []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: ns}, StringData: map[string]string{"token": secret}},
	}
	tmpl := map[string]any{}
	if err := yaml.Unmarshal([]byte(strings.NewReplacer(`"REVISION"`, `$(tt.params.revision)`, `"URL"`, `$(tt.params.url)`).Replace(pipelineRun)), &tmpl); err != nil {
		return "", err
	}
	raw, _ := json.Marshal(tmpl)
	el := &triggersv1.EventListener{}
	if err := yaml.Unmarshal([]byte(`
metadata: {name: bench}
spec:
  triggers:
  - name: push
    interceptors:
    - ref: {name: github}
      params:
      - {name: secretRef, value: {secretName: webhook, secretKey: token}}
      - {name: eventTypes, value: [push]}
    bindings:
    - {name: revision, value: $(body.after)}
    - {name: url, value: $(body.repository.clone_url)}
    template:
      spec:
        params: [{name: revision}, {name: url}]
        resourcetemplates: []
`), el); err != nil {
		return "", err
	}
	el.Namespace = ns
	el.Spec.Triggers[0].Template.Spec.ResourceTemplates = []triggersv1.TriggerResourceTemplate{{}}
	el.Spec.Triggers[0].Template.Spec.ResourceTemplates[0].Raw = raw
	objs = append(objs, el)
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return "", fmt.Errorf("creating %T: %w", o, err)
		}
	}
	var addr string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(el), el); err != nil {
			return false, err
		}
		if !meta.IsStatusConditionTrue(el.Status.Conditions, triggersv1.ConditionReady) {
			return false, nil
		}
		var svc corev1.Service
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "el-bench"}, &svc); err != nil {
			return false, err
		}
		addr = fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
		// Ready is the Deployment's; the Service's rules reach the node a moment later.
		return util.Ready(addr) == nil, nil
	})
	if err != nil {
		return "", fmt.Errorf("waiting for the EventListener to be Ready: %w (status %+v)", err, el.Status)
	}
	return addr, nil
}

func renderBare(ns string, i int64) (*windlassv1.PipelineRun, error) {
	pr := &windlassv1.PipelineRun{}
	sha, url := fmt.Sprintf("%040x", i), "http://git.example/bench.git"
	text := strings.NewReplacer("REVISION", sha, "URL", url).Replace(pipelineRun)
	if err := yaml.UnmarshalStrict([]byte(text), pr); err != nil {
		return nil, err
	}
	pr.GenerateName, pr.Name, pr.Namespace = "", "bare-"+sha[30:], ns
	return pr, nil
}

// pushEvent is a GitHub-shaped push body and its X-Hub-Signature-256 under key.
func pushEvent(i int64, key string) ([]byte, string) {
	body := fmt.Sprintf(`{"ref":"refs/heads/main","before":"%040d","after":"%040x","repository":{"full_name":"bench/app","clone_url":"http://git.example/bench/app.git"},"head_commit":{"id":"%040x","message":"change %d"},"pusher":{"name":"bench"}}`, 0, i, i, i)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return []byte(body), "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func post(ctx context.Context, hc *http.Client, addr string, body []byte, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", hex.EncodeToString(id))
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		return resp.StatusCode, fmt.Errorf("listener answered %d: %s", resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// series runs n calls of f, c at a time, and returns each call's latency.
func series(ctx context.Context, f func(context.Context) error, n, c int) ([]time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := f(ctx); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return lat, firstErr
}

type figures struct {
	p50, p99 time.Duration
	rate     float64
}

func stats(lat []time.Duration, total time.Duration) figures {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return figures{p50: rank(0.50), p99: rank(0.99), rate: float64(len(s)) / total.Seconds()}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// apiRequests reads the listener's count of Kubernetes API requests
// (client-go's rest_client_requests_total) from its metrics endpoint, reached
// through the API server's service proxy is not needed: the bench runs on the node.
func apiRequests(ctx context.Context, hc *http.Client, addr string) (float64, error) {
	host, _, _ := strings.Cut(addr, ":")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+":9000/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading the listener's metrics: %w", err)
	}
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rest_client_requests_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			total += v
		}
	}
	return total, sc.Err()
}
