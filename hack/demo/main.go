// Command demo is the second half of `make demo` (hack/demo.sh starts the
// cluster and the git server and installs Windlass and the catalog first):
// config/samples/gitops set up through test/demo, then two releases of the
// sample app pushed to the git server, each followed from the push to the
// app answering in prod, with a summary table per release.
//
//	KUBECONFIG=... GITSERVER_ENV=... WINDLASS_IMAGES=bin/images.txt go run ./hack/demo
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/windlass-dev/windlass/test/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	prefix := fs.String("prefix", "demo", "names the namespaces PREFIX-ci, -dev, -staging, -prod and the repositories PREFIX-app, PREFIX-config (an earlier demo's are replaced)")
	timeout := fs.Duration("deploy-timeout", time.Minute, "each deploy's timeout")
	approver := fs.String("approver", "alice", "the listed user the demo approves as (impersonated)")
	registry := fs.String("pod-registry", "10.88.0.1:5000", "the image registry as the cluster's pods reach it")
	samples := fs.String("samples", "config/samples/gitops", "the samples directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := demo.FromEnvironment(*registry, *samples)
	if err != nil {
		return err
	}
	d, err := demo.Setup(ctx, env, demo.Options{Prefix: *prefix, Replace: true, DeployTimeout: *timeout, Approver: *approver, Out: out})
	if err != nil {
		return err
	}
	for _, rel := range []demo.Release{demo.First(), demo.Bump("1.1")} {
		fmt.Fprintln(out)
		p, err := d.Push(ctx, rel)
		if err != nil {
			return err
		}
		s, err := d.Follow(ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n%s", s.Table())
		if !s.Succeeded {
			return fmt.Errorf("release %s did not reach prod: %s", p.Version, s.Message)
		}
		if err := d.Settled(ctx, demo.Untagged(s.Image), p.Version, time.Minute); err != nil {
			return err
		}
		for _, e := range demo.Envs {
			answer, err := d.Answer(ctx, e)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "GET http://web.%s/ -> %q\n", d.Namespace(e), answer)
		}
	}
	fmt.Fprintf(out, "\nPush to %s (main) to release again; look around with\n", d.AppRepo())
	fmt.Fprintf(out, "  kubectl -n %s get pipelineruns,taskruns,approvals\n", d.Namespace("ci"))
	fmt.Fprintf(out, "  kubectl -n %s get deployments,pods,configmap/windlass-deploy-web\n", d.Namespace("prod"))
	fmt.Fprintf(out, "  git clone %s   # the config repository: one commit per environment and release\n", d.ConfigRepo())
	return nil
}
