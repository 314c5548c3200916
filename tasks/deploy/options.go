package main

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/windlass-dev/windlass/internal/rollout"
	"github.com/windlass-dev/windlass/tasks/toolkit"
)

// Strategies.
const (
	rolling   = "rolling"
	blueGreen = "blue-green"
	canary    = "canary"
)

type options struct {
	app, dir, path, namespace, commit, strategy string
	deployment                                  string
	timeout                                     time.Duration
	smokeService, smokePath, smokeBody          string
	smokeStatus                                 int
	canaryRatio                                 float64
	canaryChecks                                int
	canaryInterval                              time.Duration
	resultRevision, resultSteps                 string
}

// saNamespace is where a pod's service account token says it runs.
var saNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := toolkit.NewFlags("deploy", stderr)
	o := &options{}
	var timeout, status, ratio, checks, interval string
	fs.StringVar(&o.app, "app", "", "the app's name: labels windlass.dev/deploy=APP, inventory ConfigMap windlass-deploy-APP")
	fs.StringVar(&o.dir, "dir", "", "the workspace holding the config (e.g. a git-clone of the config repository)")
	fs.StringVar(&o.path, "path", ".", "the kustomize overlay's directory inside --dir")
	fs.StringVar(&o.namespace, "namespace", "", "the namespace to deploy into (default: the step's own)")
	fs.StringVar(&o.commit, "config-commit", "", "the config commit the overlay was checked out at (recorded in the inventory)")
	fs.StringVar(&o.strategy, "strategy", rolling, "rolling, blue-green or canary")
	fs.StringVar(&o.deployment, "deployment", "", "for blue-green and canary: the Deployment they apply to (default: the overlay's only one)")
	fs.StringVar(&timeout, "timeout", "5m", "how long a revision may take to become current (and to pass its checks)")
	fs.StringVar(&o.smokeService, "smoke-service", "", "a Service to smoke-check with an HTTP GET once the revision is current (empty: none)")
	fs.StringVar(&o.smokePath, "smoke-path", "/", "the smoke check's path")
	fs.StringVar(&status, "smoke-status", "200", "the smoke check's expected HTTP status")
	fs.StringVar(&o.smokeBody, "smoke-body", "", "a substring the smoke check's body must contain")
	fs.StringVar(&ratio, "canary-ratio", "0.25", "the canary's share of the Deployment's replicas, in (0, 1]")
	fs.StringVar(&checks, "canary-checks", "3", "how many intervals the canary must stay current without restarts")
	fs.StringVar(&interval, "canary-interval", "10s", "the time between canary checks")
	fs.StringVar(&o.resultRevision, "result-revision", "", "file to write the revision number to")
	fs.StringVar(&o.resultSteps, "result-steps", "", "file to write the steps taken, one per line with its time, to")
	if err := toolkit.Parse(fs, args); err != nil {
		return nil, err
	}
	var err error
	if o.app = strings.TrimSpace(o.app); o.app == "" {
		return nil, toolkit.Usagef("--app is required")
	}
	if errs := validation.IsDNS1123Label(o.app); len(errs) > 0 || len(rollout.InventoryName(o.app)) > 63 {
		return nil, toolkit.Usagef("--app %q: want a DNS label of at most %d characters", o.app, 63-len(rollout.InventoryName("")))
	}
	if o.dir == "" {
		return nil, toolkit.Usagef("--dir is required (the workspace path)")
	}
	if p := filepath.Clean(o.path); filepath.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return nil, toolkit.Usagef("--path %q: must be a relative path inside the workspace", o.path)
	}
	switch o.strategy = strings.TrimSpace(o.strategy); o.strategy {
	case rolling, blueGreen, canary:
	default:
		return nil, toolkit.Usagef("--strategy %q: want rolling, blue-green or canary", o.strategy)
	}
	if o.timeout, err = time.ParseDuration(strings.TrimSpace(timeout)); err != nil || o.timeout <= 0 {
		return nil, toolkit.Usagef("--timeout %q: want a positive duration such as 5m", timeout)
	}
	if o.smokeStatus, err = strconv.Atoi(strings.TrimSpace(status)); err != nil || o.smokeStatus < 100 || o.smokeStatus > 599 {
		return nil, toolkit.Usagef("--smoke-status %q: want an HTTP status code", status)
	}
	if !strings.HasPrefix(o.smokePath, "/") {
		return nil, toolkit.Usagef("--smoke-path %q: must start with /", o.smokePath)
	}
	if o.canaryRatio, err = strconv.ParseFloat(strings.TrimSpace(ratio), 64); err != nil {
		return nil, toolkit.Usagef("--canary-ratio %q: want a number in (0, 1]", ratio)
	}
	if _, err := rollout.Canaries(1, o.canaryRatio); err != nil {
		return nil, toolkit.Usagef("--canary-ratio %q: want a number in (0, 1]", ratio)
	}
	if o.canaryChecks, err = strconv.Atoi(strings.TrimSpace(checks)); err != nil || o.canaryChecks < 1 {
		return nil, toolkit.Usagef("--canary-checks %q: want a whole number >= 1", checks)
	}
	if o.canaryInterval, err = time.ParseDuration(strings.TrimSpace(interval)); err != nil || o.canaryInterval <= 0 {
		return nil, toolkit.Usagef("--canary-interval %q: want a positive duration such as 10s", interval)
	}
	if o.namespace = strings.TrimSpace(o.namespace); o.namespace == "" {
		b, err := os.ReadFile(saNamespace)
		if err != nil {
			return nil, toolkit.Usagef("--namespace is empty and the step's own namespace is unknown (%v)", err)
		}
		o.namespace = strings.TrimSpace(string(b))
	}
	if errs := validation.IsDNS1123Label(o.namespace); len(errs) > 0 {
		return nil, toolkit.Usagef("--namespace %q: not a namespace name", o.namespace)
	}
	return o, nil
}
