package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestUsageErrors checks the exit code and message of bad input that needs
// no cluster (the kubeconfig points nowhere: nothing may be asked of it).
func TestUsageErrors(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "none")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: x, context: {cluster: x, namespace: ns}}]\ncurrent-context: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"list", "--nope"}, 2, "unknown flag: --nope"},
		{[]string{"list"}, 2, "windlass list takes what to list"},
		{[]string{"list", "widgets"}, 2, `cannot list "widgets"`},
		{[]string{"list", "pr", "-o", "wide"}, 2, `-o "wide": want one of yaml, json, name`},
		{[]string{"start", "pipeline"}, 2, "windlass start pipeline takes the name of the pipeline (got 0 arguments)"},
		{[]string{"start", "pipeline", "build", "-p", "revision"}, 2, `-p "revision": want NAME=VALUE`},
		{[]string{"start", "task", "t", "-w", "name=src"}, 2, `-w "name=src": give exactly one of claimName`},
		{[]string{"start", "task", "t", "-w", "name=src,emptyDir=", "--showlog", "--wait"}, 2, "--showlog and --wait: pick one"},
		{[]string{"start"}, 2, "give 'start pipeline NAME', 'start task NAME' or 'start -f FILE'"},
		{[]string{"start", "-f", "/nonexistent.yaml"}, 2, "open /nonexistent.yaml"},
		{[]string{"cancel", "run", "--mode", "paused"}, 2, `--mode "paused": want cancelled`},
		{[]string{"wait"}, 2, "takes the name of a PipelineRun or TaskRun"},
		{[]string{"logs", "--last", "a", "b"}, 2, "logs takes RUN, or --last"},
		{[]string{"describe", "r", "-o", "name"}, 2, `-o "name": want one of yaml, json`},
	} {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"windlass", "--kubeconfig", kubeconfig}, tc.args...), &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.err) {
			t.Errorf("windlass %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errOut.String(), tc.code, tc.err)
		}
	}
}

func TestPluginName(t *testing.T) {
	var out bytes.Buffer
	if code := Main([]string{"/usr/local/bin/kubectl-windlass", "--help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "kubectl windlass [command]") {
		t.Errorf("exit %d, help:\n%s", code, out.String())
	}
}

func TestCompletionScript(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"windlass", "completion", "bash"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "__windlass_") {
		t.Errorf("exit %d (%s), script starts %.200q", code, errOut.String(), out.String())
	}
}

func TestRerunName(t *testing.T) {
	for name, want := range map[string]string{"build-run-x7k2p": "build-run-", "nightly": "nightly-", "a-b-c": "a-b-c-"} {
		m := rerunMeta(metaNamed(name))
		if m.GenerateName != want || m.Annotations["windlass.dev/rerun-of"] != name {
			t.Errorf("rerun of %s: generateName %q (want %q), annotations %v", name, m.GenerateName, want, m.Annotations)
		}
	}
}

func metaNamed(n string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: n} }
