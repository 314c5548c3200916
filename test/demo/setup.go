package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	"github.com/windlass-dev/windlass/test/util"
)

// Env is what the demo runs against.
type Env struct {
	Config   *rest.Config   // an administrator's (it creates namespaces and RBAC, and impersonates the approver)
	Git      util.GitServer // the local git server (hack/gitserver)
	Registry string         // the image registry as pods reach it, e.g. 10.88.0.1:5000
	TrivyDB  string         // the vulnerability DB's repository as pods reach it
	Samples  string         // the directory config/samples/gitops
}

// Options shape one demo.
type Options struct {
	// Prefix names everything: namespaces PREFIX-ci, -dev, -staging and -prod,
	// repositories PREFIX-app and PREFIX-config, images REGISTRY/PREFIX/web.
	Prefix string
	// Replace deletes the namespaces and repositories of an earlier demo of
	// the same prefix first.
	Replace bool
	// DeployTimeout is each deploy's (the Pipeline's deployTimeout).
	DeployTimeout time.Duration
	// Approver decides approval gates (by impersonation, as their
	// `kubectl --as` would); empty leaves gates waiting.
	Approver string
	// Out gets the progress, a line at a time.
	Out io.Writer
}

// Envs are the environments, in the order a release reaches them.
var Envs = []string{"dev", "staging", "prod"}

// prefixRE keeps PREFIX-staging a DNS label and PREFIX/web a repository path.
var prefixRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$`)

// Demo is one set-up demo.
type Demo struct {
	env  Env
	opts Options
	c    client.Client
	kube kubernetes.Interface
	app  *repo
	cfg  *repo
	// webhookToken signs the git server's deliveries.
	webhookToken string
	mu           sync.Mutex // Out
}

// Namespace is the namespace of "ci" or an environment.
func (d *Demo) Namespace(env string) string { return d.opts.Prefix + "-" + env }

// AppRepo and ConfigRepo are the repositories' clone URLs.
func (d *Demo) AppRepo() string    { return d.app.cloneURL }
func (d *Demo) ConfigRepo() string { return d.cfg.cloneURL }

func (d *Demo) printf(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, _ = fmt.Fprintf(d.opts.Out, format+"\n", args...)
}

// Setup makes everything a push needs: the namespaces and RBAC, the
// Secrets (git credentials, cosign keys, the webhook's token), the Pipeline,
// the EventListener, the two repositories (the config one with its base and
// overlays pushed) and the app repository's webhook to the listener. The
// Demo it returns with an error can still be torn down.
func Setup(ctx context.Context, env Env, opts Options) (*Demo, error) {
	if !prefixRE.MatchString(opts.Prefix) {
		return nil, fmt.Errorf("prefix %q: want a DNS label of at most 40 characters", opts.Prefix)
	}
	if opts.DeployTimeout <= 0 {
		return nil, fmt.Errorf("deploy timeout %v: want a positive duration", opts.DeployTimeout)
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	d := &Demo{env: env, opts: opts}
	var err error
	if d.c, err = util.ClientAs(env.Config, ""); err != nil {
		return nil, err
	}
	if d.kube, err = kubernetes.NewForConfig(env.Config); err != nil {
		return nil, err
	}
	return d, d.setup(ctx)
}

func (d *Demo) setup(ctx context.Context) error {
	env, opts := d.env, d.opts
	var err error
	if opts.Replace {
		if err := d.deleteNamespaces(ctx); err != nil {
			return err
		}
	}
	if d.cfg, err = newRepo(ctx, env.Git, opts.Prefix+"-config", opts.Replace); err != nil {
		return err
	}
	if d.app, err = newRepo(ctx, env.Git, opts.Prefix+"-app", opts.Replace); err != nil {
		return err
	}
	vars := map[string]string{
		"PREFIX": opts.Prefix, "REGISTRY": env.Registry, "TRIVY_DB": env.TrivyDB,
		"CONFIG_URL": d.cfg.cloneURL, "DEPLOY_TIMEOUT": opts.DeployTimeout.String(),
	}
	cluster := filepath.Join(env.Samples, "cluster")
	if err := d.apply(ctx, filepath.Join(cluster, "namespaces.yaml"), vars); err != nil {
		return err
	}
	if err := d.secrets(ctx); err != nil {
		return err
	}
	for _, f := range []string{"rbac.yaml", "pipeline.yaml", "triggers.yaml"} {
		if err := d.apply(ctx, filepath.Join(cluster, f), vars); err != nil {
			return err
		}
	}
	d.printf("namespaces %s (pipeline, listener) and %s-{dev,staging,prod}; Pipeline push-to-prod, EventListener web",
		d.Namespace("ci"), opts.Prefix)

	files, err := Tree(filepath.Join(env.Samples, "config"), vars)
	if err != nil {
		return err
	}
	if err := d.cfg.write(files); err != nil {
		return err
	}
	if _, err := d.cfg.commitAndPush(ctx, "base and dev, staging, prod overlays"); err != nil {
		return err
	}
	d.printf("config repository %s: base, overlays/{dev,staging,prod}", d.cfg.cloneURL)

	addr, err := d.listener(ctx)
	if err != nil {
		return err
	}
	hook := map[string]any{"type": "gitea", "active": true, "events": []string{"push"},
		"config": map[string]string{"url": "http://" + addr + "/", "content_type": "json", "secret": d.webhookToken}}
	if _, err := gitea(ctx, env.Git, http.MethodPost, "/repos/"+env.Git.User+"/"+d.app.name+"/hooks", hook, nil); err != nil {
		return err
	}
	d.printf("app repository %s, its push webhook -> EventListener web (Service el-web, http://%s/)", d.app.cloneURL, addr)
	return nil
}

// apply server-side applies a sample's objects.
func (d *Demo) apply(ctx context.Context, path string, vars map[string]string) error {
	objs, err := Manifests(path, vars)
	if err != nil {
		return err
	}
	for _, u := range objs {
		if err := d.c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("windlass-demo"), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s from %s: %w", u.GetKind(), u.GetName(), filepath.Base(path), err)
		}
	}
	return nil
}

// secrets makes the Secrets the samples name: "git" (the git server's
// credentials, for the service account release), "cosign" (a new key pair)
// and "webhook" (the token the git server signs its deliveries with).
func (d *Demo) secrets(ctx context.Context) error {
	ns := d.Namespace("ci")
	password, token := random(), random()
	kp, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte(password), nil })
	if err != nil {
		return err
	}
	d.webhookToken = token
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "git", Namespace: ns, Annotations: map[string]string{"windlass.dev/git-0": d.env.Git.URL}},
			Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": d.env.Git.User, "password": d.env.Git.Password}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cosign", Namespace: ns},
			Data: map[string][]byte{"cosign.key": kp.PrivateBytes, "cosign.pub": kp.PublicBytes, "cosign.password": []byte(password)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "webhook", Namespace: ns}, StringData: map[string]string{"token": token}},
	} {
		if err := d.c.Create(ctx, s); err != nil {
			return fmt.Errorf("creating Secret %s/%s: %w", ns, s.Name, err)
		}
	}
	return nil
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// listener waits until the EventListener is ready and its Service answers
// from this host (where the git server runs), and returns that address.
func (d *Demo) listener(ctx context.Context) (string, error) {
	ns := d.Namespace("ci")
	el := &triggersv1.EventListener{}
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := d.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, el); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return meta.IsStatusConditionTrue(el.Status.Conditions, triggersv1.ConditionReady), nil
	})
	if err != nil {
		return "", fmt.Errorf("EventListener %s/web not Ready: %w; status %+v", ns, err, el.Status.Conditions)
	}
	svc, err := d.kube.CoreV1().Services(ns).Get(ctx, "el-web", metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if len(svc.Spec.Ports) == 0 {
		return "", fmt.Errorf("the Service %s/el-web has no port", ns)
	}
	addr := net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(int(svc.Spec.Ports[0].Port)))
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = util.Ready(addr)
		return last == nil, nil
	})
	if err != nil {
		return "", fmt.Errorf("the listener's Service %s never answered: %w; last answer: %w", addr, err, last)
	}
	return addr, nil
}

// deleteNamespaces deletes the demo's namespaces and waits until they are gone.
func (d *Demo) deleteNamespaces(ctx context.Context) error {
	names := []string{d.Namespace("ci")}
	for _, e := range Envs {
		names = append(names, d.Namespace(e))
	}
	for _, n := range names {
		if err := d.kube.CoreV1().Namespaces().Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, n := range names {
			if _, err := d.kube.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("the namespaces %s of an earlier demo are not gone: %w", strings.Join(names, ", "), err)
	}
	return nil
}

// Teardown deletes the namespaces and the repositories (not waiting for the
// namespaces to go).
func (d *Demo) Teardown(ctx context.Context) {
	for _, n := range append([]string{"ci"}, Envs...) {
		_ = d.kube.CoreV1().Namespaces().Delete(ctx, d.Namespace(n), metav1.DeleteOptions{})
	}
	for _, r := range []*repo{d.app, d.cfg} {
		if r != nil {
			_ = os.RemoveAll(r.dir)
			_, _ = gitea(ctx, d.env.Git, http.MethodDelete, "/repos/"+d.env.Git.User+"/"+r.name, nil, nil)
		}
	}
}
