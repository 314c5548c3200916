package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// runCRIClean stops and removes every pod sandbox, so the runtime tears down
// their containers, network namespaces and CNI attachments before it stops.
func runCRIClean(ctx context.Context, args []string, stdout io.Writer) error {
	return withCRI(ctx, "cri-clean", args, 60*time.Second, "overall deadline", func(ctx context.Context, rt runtimeapi.RuntimeServiceClient, _ string) error {
		return cleanSandboxes(ctx, rt, stdout)
	})
}

func cleanSandboxes(ctx context.Context, rt runtimeapi.RuntimeServiceClient, stdout io.Writer) error {
	list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("listing pod sandboxes: %w", err)
	}
	var failed []string
	for _, sb := range list.Items {
		id := sb.Id
		label := sb.Metadata.GetNamespace() + "/" + sb.Metadata.GetName()
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
			failed = append(failed, fmt.Sprintf("stop %s: %v", label, err))
			continue
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
			failed = append(failed, fmt.Sprintf("remove %s: %v", label, err))
			continue
		}
		fmt.Fprintf(stdout, "removed pod sandbox %s (%s)\n", label, id[:12])
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d sandbox(es) not removed: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// runCRIReady answers once whether the runtime serves the CRI v1 API: the
// socket appears before containerd has registered its CRI service, and a
// kubelet started in between fails its start-up check ("validate CRI v1
// runtime API ... Unavailable"). up.sh polls this until it succeeds.
func runCRIReady(ctx context.Context, args []string, stdout io.Writer) error {
	return withCRI(ctx, "cri-ready", args, 2*time.Second, "deadline of the one call", func(ctx context.Context, rt runtimeapi.RuntimeServiceClient, endpoint string) error {
		v, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
		if err != nil {
			return fmt.Errorf("the CRI v1 runtime API at %s: %w", endpoint, err)
		}
		fmt.Fprintf(stdout, "%s %s (CRI %s)\n", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
		return nil
	})
}

// withCRI parses a CRI command's -endpoint and -timeout (default timeout),
// connects, and runs fn within the deadline.
func withCRI(ctx context.Context, name string, args []string, timeout time.Duration, timeoutUsage string,
	fn func(context.Context, runtimeapi.RuntimeServiceClient, string) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	endpoint := fs.String("endpoint", "unix:///run/containerd/containerd.sock", "CRI endpoint")
	deadline := fs.Duration("timeout", timeout, timeoutUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *deadline)
	defer cancel()
	conn, rt, err := criClient(*endpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(ctx, rt, *endpoint)
}

// criClient connects to the runtime's CRI endpoint (a unix socket path or URL).
func criClient(endpoint string) (*grpc.ClientConn, runtimeapi.RuntimeServiceClient, error) {
	target := endpoint
	if !strings.HasPrefix(target, "unix://") {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", endpoint, err)
	}
	return conn, runtimeapi.NewRuntimeServiceClient(conn), nil
}
