// Command benchgitops measures P8 of the performance budget on the local
// cluster (make bench-gitops): from a git push to the release deployed in
// dev, through the demo's push-to-prod pipeline (config/samples/gitops, set
// up by test/demo with the git server's webhook). Each round pushes a new
// version, follows the run until deploy-dev ends and cancels the rest. Per
// task: the wall time (the demo sees a task's run appear and end, polling
// every 100 ms) and the tools' own share (each step's process, from the
// entrypoint's record in its termination message). Medians over the rounds
// after a warm-up.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/windlass-dev/windlass/test/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-gitops:", err)
		os.Exit(1)
	}
}

// upToDev are the tasks from the push to the release running in dev.
var upToDev = []string{"clone", "unit-test", "build", "scan", "sign", "attest", "config-dev", "checkout-dev", "deploy-dev"}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-gitops", flag.ContinueOnError)
	rounds := fs.Int("rounds", 3, "measured rounds (after one warm-up)")
	registry := fs.String("pod-registry", "10.88.0.1:5000", "the image registry as the cluster's pods reach it")
	samples := fs.String("samples", "config/samples/gitops", "the samples directory")
	verbose := fs.Bool("v", false, "print each run's progress")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("--rounds %d: want at least 1", *rounds)
	}
	env, err := demo.FromEnvironment(*registry, *samples)
	if err != nil {
		return err
	}
	progress := io.Discard
	if *verbose {
		progress = out
	}
	d, err := demo.Setup(ctx, env, demo.Options{Prefix: "bench-gitops", Replace: true, DeployTimeout: 2 * time.Minute, Out: progress})
	if d != nil {
		defer d.Teardown(context.Background())
	}
	if err != nil {
		return err
	}
	var measured []*demo.Summary
	for i := 0; i <= *rounds; i++ {
		rel := demo.First()
		if i > 0 {
			rel = demo.Bump(fmt.Sprintf("1.%d", i))
		}
		p, err := d.Push(ctx, rel)
		if err != nil {
			return err
		}
		s, err := d.FollowUntil(ctx, p, "deploy-dev")
		if err != nil {
			return err
		}
		if err := d.Cancel(ctx, s.Run); err != nil {
			return fmt.Errorf("cancelling %s after deploy-dev: %w", s.Run, err)
		}
		if !s.Succeeded {
			return fmt.Errorf("round %d (web %s): %s did not reach dev:\n%s", i, p.Version, s.Run, s.Table())
		}
		label := "warm-up"
		if i > 0 {
			label = fmt.Sprintf("round %d", i)
			measured = append(measured, s)
		}
		dev, _ := s.Task("deploy-dev")
		fmt.Fprintf(out, "%s: web %s, push -> deployed in dev %.2fs\n", label, p.Version, dev.End.Sub(p.At).Seconds())
	}
	table(out, measured)
	return nil
}

// table prints the medians: per task its wall time, the tools' own time
// and the rest (Windlass, Kubernetes and the kubelet); then the push's
// way to the PipelineRun and the whole.
func table(out io.Writer, runs []*demo.Summary) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "task\twall p50\ttools' own p50\tthe rest\t\n")
	var sumTool time.Duration
	for _, name := range upToDev {
		var wall, tool []time.Duration
		for _, s := range runs {
			t, _ := s.Task(name)
			wall, tool = append(wall, t.Took()), append(tool, t.StepTime)
		}
		w, o := median(wall), median(tool)
		sumTool += o
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, secs(w), secs(o), secs(w-o))
	}
	var hook, total []time.Duration
	for _, s := range runs {
		dev, _ := s.Task("deploy-dev")
		hook, total = append(hook, s.Seen.Sub(s.At)), append(total, dev.End.Sub(s.At))
	}
	fmt.Fprintf(tw, "push -> PipelineRun seen\t%s\t\t\t\n", secs(median(hook)))
	t := median(total)
	fmt.Fprintf(tw, "push -> deployed in dev\t%s\t%s\t%s (%.0f%%)\t\n", secs(t), secs(sumTool), secs(t-sumTool), 100*(t-sumTool).Seconds()/t.Seconds())
	_ = tw.Flush()
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
