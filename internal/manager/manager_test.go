package manager

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Options)
		wantErr string
	}{
		{name: "defaults", mutate: func(*Options) {}},
		{name: "zero qps", mutate: func(o *Options) { o.QPS = 0 }, wantErr: "--kube-api-qps"},
		{name: "negative qps", mutate: func(o *Options) { o.QPS = -1 }, wantErr: "--kube-api-qps"},
		{name: "zero burst", mutate: func(o *Options) { o.Burst = 0 }, wantErr: "--kube-api-burst"},
		{name: "no probe address", mutate: func(o *Options) { o.ProbeAddr = "" }, wantErr: "--health-probe-bind-address"},
		{name: "negative shutdown", mutate: func(o *Options) { o.GracefulShutdown = -time.Second }, wantErr: "--graceful-shutdown-timeout"},
		{name: "metrics disabled", mutate: func(o *Options) { o.MetricsAddr = "0" }},
		{name: "no entrypoint image", mutate: func(o *Options) { o.EntrypointImage = "" }, wantErr: "--entrypoint-image is required"},
		{name: "zero workers", mutate: func(o *Options) { o.TaskRunWorkers = 0 }, wantErr: "--taskrun-workers"},
		{name: "tiny result limit", mutate: func(o *Options) { o.MaxResultBytes = 10 }, wantErr: "--max-result-bytes"},
		{name: "no eventlistener image", mutate: func(o *Options) { o.EventListenerImage = "" }},
		{name: "negative default timeout", mutate: func(o *Options) { o.DefaultTimeout = -time.Second }, wantErr: "--default-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Defaults()
			o.EntrypointImage = "registry/entrypoint"
			tt.mutate(&o)
			err := o.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestBindFlags(t *testing.T) {
	o := Defaults()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	o.BindFlags(fs)
	err := fs.Parse([]string{"--leader-elect", "--kube-api-qps=50", "--kube-api-burst=75",
		"--metrics-bind-address=127.0.0.1:9000", "--leader-election-namespace=x", "--entrypoint-image=r/e@sha256:1", "--default-timeout=0",
		"--eventlistener-image=r/el@sha256:2", "--cluster-resolver-namespaces=windlass-catalog, platform-tasks,"})
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.LeaderElect, want.QPS, want.Burst, want.MetricsAddr, want.LeaderElectionNamespace = true, 50, 75, "127.0.0.1:9000", "x"
	want.EntrypointImage, want.DefaultTimeout = "r/e@sha256:1", 0
	want.EventListenerImage = "r/el@sha256:2"
	want.ClusterResolverNamespaces = []string{"windlass-catalog", "platform-tasks"}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("parsed %+v, want %+v", o, want)
	}
}

func TestClusterResolverNamespacesCanBeNone(t *testing.T) {
	o := Defaults()
	if !reflect.DeepEqual(o.ClusterResolverNamespaces, []string{"windlass-catalog"}) {
		t.Fatalf("default %q, want the catalog's namespace", o.ClusterResolverNamespaces)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--cluster-resolver-namespaces="}); err != nil || o.ClusterResolverNamespaces != nil {
		t.Fatalf("an empty flag gave %q, %v; want none", o.ClusterResolverNamespaces, err)
	}
}

func TestDefaultsAreSizedForThroughput(t *testing.T) {
	// client-go's own defaults (5 QPS, burst 10) throttle a CI engine; ours must not.
	if o := Defaults(); o.QPS < 50 || o.Burst < 100 {
		t.Fatalf("defaults QPS %v burst %d are too low for the controller's throughput budget", o.QPS, o.Burst)
	}
}
