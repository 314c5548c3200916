package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// kubeFlags are kubectl's connection flags.
type kubeFlags struct {
	kubeconfig, context, namespace, as string
}

func (k *kubeFlags) bind(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&k.context, "context", "", "the kubeconfig context to use")
	f.StringVarP(&k.namespace, "namespace", "n", "", "the namespace (default: the context's)")
	f.StringVar(&k.as, "as", "", "act as this user (impersonation, as kubectl --as)")
}

// clients talk to the cluster.
type clients struct {
	crc  client.Client // the windlass.dev kinds and the rest
	kube kubernetes.Interface
	ns   string
}

// clients connects on first use, so --help and completion of flags need no cluster.
func (e *env) clients() (*clients, error) {
	if e.c != nil {
		return e.c, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = e.kube.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: e.kube.context}
	overrides.Context.Namespace = e.kube.namespace
	overrides.AuthInfo.Impersonate = e.kube.as
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, windlassv1.AddToScheme, triggersv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	c := &clients{ns: ns}
	if c.crc, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	if c.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	e.c = c
	return c, nil
}
