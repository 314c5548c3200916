//go:build e2e

package e2e

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/windlass-dev/windlass/test/demo"
	"github.com/windlass-dev/windlass/test/util"
)

// lineLog writes each line to the test's log.
type lineLog struct{ t *testing.T }

func (l lineLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestDemoPushToProdRollbackAndGate runs make demo's flow (config/samples/gitops
// through test/demo) on the cluster with the git server: pushes to the app
// repository reach the listener by the git server's webhook.
//   - Two releases reach prod, approved by the listed user: every environment
//     serves the build's digest and answers the release's version.
//   - Then, side by side: a release whose readiness fails (a bug the unit tests
//     miss) is rolled back in dev, saying why, and never reaches staging or
//     prod; a release with a critical vulnerability stops at the scan.
//   - Prod (and dev, rolled back) still serve the second release.
func TestDemoPushToProdRollbackAndGate(t *testing.T) {
	g := gitserver(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	db := strings.Replace(strings.Split(image(t, "trivy-db"), "@")[0], "127.0.0.1:5000", podRegistry, 1)
	prefix := "e2e-demo-" + strings.ToLower(strings.Map(func(rune) rune { return rune('a' + rand.IntN(26)) }, "xxxxx"))
	d, err := demo.Setup(ctx, demo.Env{
		Config: admin, Git: util.GitServer{URL: g.url, User: g.user, Password: g.password, Token: g.token},
		Registry: podRegistry, TrivyDB: db, Samples: "../../config/samples/gitops",
	}, demo.Options{Prefix: prefix, DeployTimeout: 20 * time.Second, Approver: "alice", Out: lineLog{t}})
	t.Cleanup(func() {
		if d == nil {
			return
		}
		if t.Failed() {
			for _, n := range append([]string{"ci"}, demo.Envs...) {
				dumpNamespace(t, d.Namespace(n))
			}
		}
		if os.Getenv("DEMO_KEEP") == "" {
			d.Teardown(context.Background())
		}
	})
	if err != nil {
		t.Fatalf("setting the demo up: %v", err)
	}

	var good *demo.Summary
	for _, rel := range []demo.Release{demo.First(), demo.Bump("1.1")} {
		p, err := d.Push(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Follow(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("release %s:\n%s", p.Version, s.Table())
		if !s.Succeeded {
			t.Fatalf("release %s did not reach prod: %s: %s", p.Version, s.Reason, s.Message)
		}
		if approve, _ := s.Task("approve"); approve.Outcome != "Approved" || approve.Detail != "by alice" {
			t.Errorf("release %s: the gate %+v, want Approved by alice", p.Version, approve)
		}
		// The same digest, built once, in every environment.
		if !strings.Contains(s.Image, "@sha256:") {
			t.Fatalf("release %s: image result %q", p.Version, s.Image)
		}
		if err := d.Settled(ctx, demo.Untagged(s.Image), p.Version, 30*time.Second); err != nil {
			t.Fatalf("release %s: %v", p.Version, err)
		}
		good = s
	}
	want := demo.Untagged(good.Image)

	// Two failing releases, side by side: pushed one after the other, each
	// push starts its own run.
	var pushes []demo.Push
	for _, rel := range []demo.Release{demo.BrokenReadiness("1.2"), demo.Vulnerable("1.3")} {
		p, err := d.Push(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		pushes = append(pushes, p)
	}
	summaries := make([]*demo.Summary, len(pushes))
	errs := make([]error, len(pushes))
	var wg sync.WaitGroup
	for i, p := range pushes {
		wg.Go(func() { summaries[i], errs[i] = d.Follow(ctx, p) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("release %s: %v", pushes[i].Version, err)
		}
		t.Logf("release %s:\n%s", pushes[i].Version, summaries[i].Table())
	}
	broken, vulnerable := summaries[0], summaries[1]

	if broken.Succeeded {
		t.Fatalf("the release whose readiness fails reached prod")
	}
	dev, _ := broken.Task("deploy-dev")
	if dev.Outcome != "Failed" || !strings.Contains(dev.Log, "Readiness probe failed: HTTP probe failed with statuscode: 404") ||
		!strings.Contains(dev.Log, "rolled back to") {
		t.Errorf("1.2's deploy-dev: %s, %q; want Failed, naming the readiness probe's 404 and the rollback; log:\n%s", dev.Outcome, dev.Why, dev.Log)
	}
	for _, name := range []string{"config-staging", "deploy-staging", "approve", "config-prod", "deploy-prod"} {
		if slices.Contains(broken.Ran(), name) {
			t.Errorf("1.2 ran %s after its deploy to dev failed", name)
		}
	}

	if vulnerable.Succeeded {
		t.Fatalf("the release with a critical vulnerability reached prod")
	}
	scan, _ := vulnerable.Task("scan")
	if scan.Outcome != "Failed" || !strings.Contains(scan.Log, "CRITICAL WINDLASS-2026-0001 windlass-fixture 1.0-1") {
		t.Errorf("1.3's scan: %s, %q; want Failed naming WINDLASS-2026-0001; log:\n%s", scan.Outcome, scan.Why, scan.Log)
	}
	if ran := vulnerable.Ran(); slices.Contains(ran, "sign") || slices.Contains(ran, "config-dev") || slices.Contains(ran, "deploy-dev") {
		t.Errorf("1.3 went on past its scan: ran %v", ran)
	}

	// Every environment still serves 1.1's digest: dev by the rollback, staging
	// and prod because neither release got there.
	if err := d.Settled(ctx, want, "1.1", 30*time.Second); err != nil {
		t.Fatal(err)
	}
}
