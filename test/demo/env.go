package demo

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/windlass-dev/windlass/test/util"
)

// FromEnvironment reads what hack/demo.sh and hack/bench-gitops.sh export:
// the cluster (KUBECONFIG), the git server (GITSERVER_ENV) and the images of
// the last `make images` (WINDLASS_IMAGES, for the vulnerability DB). registry
// is the image registry as pods reach it.
func FromEnvironment(registry, samples string) (Env, error) {
	for _, v := range []string{"KUBECONFIG", "GITSERVER_ENV", "WINDLASS_IMAGES"} {
		if os.Getenv(v) == "" {
			return Env{}, fmt.Errorf("%s is not set: run this through make (make demo, make bench-gitops)", v)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		return Env{}, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	g, err := util.ReadGitServer(os.Getenv("GITSERVER_ENV"))
	if err != nil {
		return Env{}, err
	}
	db, err := imageRepository(os.Getenv("WINDLASS_IMAGES"), "trivy-db")
	if err != nil {
		return Env{}, err
	}
	// The DB was pushed to this host's registry; pods reach it at registry.
	if host, path, ok := strings.Cut(db, "/"); ok && (strings.HasPrefix(host, "127.0.0.1:") || strings.HasPrefix(host, "localhost:")) {
		db = registry + "/" + path
	}
	return Env{Config: cfg, Git: g, Registry: registry, TrivyDB: db, Samples: samples}, nil
}

// imageRepository finds NAME=REPOSITORY@DIGEST in the images file and
// returns REPOSITORY (with its tag: Trivy reads the DB by it).
func imageRepository(file, name string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && k == name {
			ref, _, _ := strings.Cut(v, "@")
			return ref, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s lists no image %s: run make images", file, name)
}
