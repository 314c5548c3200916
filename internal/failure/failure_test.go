package failure

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registryAnswering serves one status and body for every request, as a
// registry's API (/v2/...) would.
func registryAnswering(t *testing.T, status int, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestRegistry classifies what go-containerregistry returns for real
// answers of a registry, and for one that is not there.
func TestRegistry(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	tests := []struct {
		name      string
		ref       func() string
		transient bool
	}{
		{"manifest unknown", func() string {
			return registryAnswering(t, 404, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`) + "/app:1"
		}, false},
		{"unauthorized", func() string {
			return registryAnswering(t, 401, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`) + "/app:1"
		}, false},
		{"denied", func() string { return registryAnswering(t, 403, `{"errors":[{"code":"DENIED"}]}`) + "/app:1" }, false},
		{"unavailable", func() string { return registryAnswering(t, 503, `{"errors":[{"code":"UNAVAILABLE"}]}`) + "/app:1" }, true},
		{"internal error", func() string { return registryAnswering(t, 500, ``) + "/app:1" }, true},
		{"too many requests", func() string {
			return registryAnswering(t, 429, `{"errors":[{"code":"TOOMANYREQUESTS"}]}`) + "/app:1"
		}, true},
		{"connection refused", func() string { return closed() + "/app:1" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := name.ParseReference(tt.ref(), name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = remote.Head(ref, remote.WithContext(ctx), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
			if err == nil {
				t.Fatal("no error")
			}
			got := Registry(err, "Bad", "Down")
			e, ok := As(got)
			if !ok || e.Transient != tt.transient || IsTransient(got) != tt.transient {
				t.Fatalf("%v: classified %+v, want transient=%v", err, e, tt.transient)
			}
			want := map[bool]string{true: "Down", false: "Bad"}[tt.transient]
			if e.Reason != want || got.Error() != err.Error() {
				t.Fatalf("reason %q (want %q), message %q (want the original %q)", e.Reason, want, got, err)
			}
		})
	}
	t.Run("bad reference", func(t *testing.T) {
		_, err := name.ParseReference("UPPER/case::x")
		if e, ok := As(Registry(err, "Bad", "Down")); !ok || e.Transient {
			t.Fatalf("%v: %+v", err, e)
		}
	})
	t.Run("already classified", func(t *testing.T) {
		in := Terminal("Mine", errors.New("x"))
		if got := Registry(in, "Bad", "Down"); !errors.Is(got, in) || got.Error() != in.Error() {
			t.Fatalf("reclassified: %v", got)
		}
	})
	t.Run("nil", func(t *testing.T) {
		if Registry(nil, "Bad", "Down") != nil {
			t.Fatal("nil became an error")
		}
	})
	t.Run("status without body", func(t *testing.T) {
		if e, _ := As(Registry(&transport.Error{StatusCode: 404}, "Bad", "Down")); e.Transient {
			t.Fatal("404 is definitive")
		}
	})
}

func TestImagePull(t *testing.T) {
	tests := []struct {
		reason, message     string
		definitive, pulling bool
	}{
		{"InvalidImageName", `couldn't parse image name "UPPER:x": invalid reference format`, true, false},
		{"ErrImageNeverPull", `Container image "x" is not present with pull policy of Never`, true, false},
		{"ErrImagePull", `rpc error: code = NotFound desc = failed to pull and unpack image "10.88.0.1:5000/x:1": failed to resolve reference "10.88.0.1:5000/x:1": 10.88.0.1:5000/x:1: not found`, true, false},
		{"ErrImagePull", `failed to pull and unpack image "r/x:1": failed to resolve reference "r/x:1": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`, true, false},
		{"ErrImagePull", `failed to resolve reference "r/x:1": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://r/token: 401 Unauthorized`, true, false},
		{"ErrImagePull", `pull QPS exceeded`, false, true},
		{"ErrImagePull", `rpc error: code = Unknown desc = failed to pull and unpack image "10.88.0.1:5000/x:1": failed to resolve reference "10.88.0.1:5000/x:1": failed to do request: Head "http://10.88.0.1:5000/v2/x/manifests/1": dial tcp 10.88.0.1:5000: connect: connection refused`, false, true},
		{"ImagePullBackOff", `Back-off pulling image "10.88.0.1:5000/x:1": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image: not found`, true, false},
		{"ImagePullBackOff", `Back-off pulling image "10.88.0.1:5000/x:1": ErrImagePull: pull QPS exceeded`, false, true},
		{"ImagePullBackOff", `Back-off pulling image "10.88.0.1:5000/x:1"`, false, true},
		{"RegistryUnavailable", `image pull failed for x because the registry is unavailable`, false, true},
		{"SignatureValidationFailed", `image pull failed for x because the signature validation failed`, true, false},
		{"ContainerCreating", ``, false, false},
		{"CrashLoopBackOff", `back-off 10s restarting failed container`, false, false},
	}
	for _, tt := range tests {
		d, p := ImagePull(tt.reason, tt.message)
		if d != tt.definitive || p != tt.pulling {
			t.Errorf("%s %q: definitive=%v pulling=%v, want %v %v", tt.reason, tt.message, d, p, tt.definitive, tt.pulling)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct{ elapsed, want time.Duration }{
		{0, time.Second}, {time.Second, time.Second}, {10 * time.Second, 5 * time.Second},
		{time.Minute, 15 * time.Second}, {time.Hour, 15 * time.Second},
	} {
		if got := Backoff(tt.elapsed, time.Second, 15*time.Second); got != tt.want {
			t.Errorf("Backoff(%s) = %s, want %s", tt.elapsed, got, tt.want)
		}
	}
}

func TestRetry(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := errors.New("registry down")
	for _, tt := range []struct {
		elapsed time.Duration
		want    Retrying
	}{
		{0, Retrying{Wait: time.Second, Message: "registry down; retrying until 2026-01-02T03:06:05Z"}},
		{40 * time.Second, Retrying{Wait: 15 * time.Second, Message: "registry down; retrying until 2026-01-02T03:06:05Z"}},
		{119 * time.Second, Retrying{Wait: time.Second + 10*time.Millisecond, Message: "registry down; retrying until 2026-01-02T03:06:05Z"}},
		{2 * time.Minute, Retrying{Expired: true, Message: "registry down; still failing after 2m0s (--transient-error-timeout)"}},
	} {
		if got := Retry(err, start.Add(tt.elapsed), start, 2*time.Minute); got != tt.want {
			t.Errorf("after %s: %+v, want %+v", tt.elapsed, got, tt.want)
		}
	}
}
