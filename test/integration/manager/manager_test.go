package manager_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/windlass-dev/windlass/internal/manager"
	"github.com/windlass-dev/windlass/test/util"
)

var cfg *rest.Config

func TestMain(m *testing.M) {
	env, c, err := util.StartEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg = c
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// TestManagerServesProbesAndMetricsAndLeads starts the manager as the Deployment
// does (leader election on) against the real API server and checks every
// endpoint the install relies on.
func TestManagerServesProbesAndMetricsAndLeads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "windlass-system-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	opts := manager.Defaults()
	opts.MetricsAddr, opts.ProbeAddr = freePort(t), freePort(t)
	opts.LeaderElect, opts.LeaderElectionNamespace = true, ns.Name
	opts.RecoverPanic = false
	opts.EntrypointImage = "registry.example/windlass/entrypoint:test"
	opts.SkipControllerNameValidation = true // go test -count=N builds it again
	mgr, err := manager.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	mgrCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("manager stopped with error: %v", err)
		}
	}()

	for _, path := range []string{"/healthz", "/readyz"} {
		url := "http://" + opts.ProbeAddr + path
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			code, _, err := get(ctx, url)
			return err == nil && code == http.StatusOK, nil
		})
		if err != nil {
			t.Fatalf("%s never answered 200: %v", url, err)
		}
	}

	lease := &coordinationv1.Lease{}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: manager.LeaderElectionID}, lease)
		return err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "", nil
	})
	if err != nil {
		t.Fatalf("leader election Lease %s/%s never held: %v", ns.Name, manager.LeaderElectionID, err)
	}
	select {
	case <-mgr.Elected():
	case <-ctx.Done():
		t.Fatal("manager never reported itself elected")
	}

	metricsURL := "http://" + opts.MetricsAddr + "/metrics"
	want := fmt.Sprintf(`leader_election_master_status{name="%s"} 1`, manager.LeaderElectionID)
	var body string
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		code, b, err := get(ctx, metricsURL)
		body = b
		return err == nil && code == http.StatusOK && strings.Contains(b, want), nil
	})
	if err != nil {
		t.Fatalf("metrics at %s never showed %q: %v\n%s", metricsURL, want, err, body)
	}
	if !strings.Contains(body, "rest_client_requests_total") {
		t.Errorf("metrics lack the API client counters (rest_client_requests_total)")
	}
}

// TestManagerRejectsBadOptions proves bad flags fail before anything starts, naming the flag.
func TestManagerRejectsBadOptions(t *testing.T) {
	opts := manager.Defaults()
	opts.EntrypointImage = "registry.example/windlass/entrypoint:test"
	opts.SkipControllerNameValidation = true // go test -count=N builds it again
	opts.QPS = 0
	_, err := manager.New(cfg, opts)
	if err == nil || !strings.Contains(err.Error(), "--kube-api-qps") {
		t.Fatalf("New with QPS 0: got %v, want an error naming --kube-api-qps", err)
	}
}
