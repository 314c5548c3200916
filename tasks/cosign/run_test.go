package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

func TestProvenance(t *testing.T) {
	start := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	data, err := provenance(runInfo{
		BuilderID: "https://windlass.dev/catalog/cosign-attest@0.1", SourceURI: "http://git.example/o/r.git", SourceCommit: "abc123",
		Params: map[string]string{"IMAGE": "r/app"}, Namespace: "team", PipelineRun: "build-1", TaskRun: "build-1-attest",
		TaskRunUID: "u-1", StartedOn: start, FinishedOn: start.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"buildDefinition":{"buildType":"https://windlass.dev/buildtypes/task/v1",` +
		`"externalParameters":{"parameters":{"IMAGE":"r/app"},"source":{"digest":{"sha1":"abc123"},"uri":"git+http://git.example/o/r.git"}},` +
		`"internalParameters":{"namespace":"team","pipelineRun":"build-1","taskRun":"build-1-attest"},` +
		`"resolvedDependencies":[{"digest":{"sha1":"abc123"},"uri":"git+http://git.example/o/r.git"}]},` +
		`"runDetails":{"builder":{"id":"https://windlass.dev/catalog/cosign-attest@0.1"},` +
		`"metadata":{"finishedOn":"2026-11-30T10:01:00Z","invocationId":"team/build-1/build-1-attest@u-1","startedOn":"2026-11-30T10:00:00Z"}}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("provenance\n got %s\nwant %s", b, want)
	}
	if _, err := provenance(runInfo{}); err == nil {
		t.Error("a provenance without a builder id")
	}
}

// keyPair writes a cosign key pair (password "pw") into a new directory.
func keyPair(t *testing.T) (priv, pub, pwFile string) {
	t.Helper()
	kp, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte("pw"), nil })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	priv, pub, pwFile = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub"), filepath.Join(dir, "cosign.password")
	for p, b := range map[string][]byte{priv: kp.PrivateBytes, pub: kp.PublicBytes, pwFile: []byte("pw\n")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return priv, pub, pwFile
}

func TestSignAttestVerifyAgainstARegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.ParseReference(host+"/app:v1", name.Insecure)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	ref := host + "/app@" + d.String()
	priv, pub, pw := keyPair(t)
	_, otherPub, _ := keyPair(t)
	ctx := context.Background()
	do := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, &out, &bytes.Buffer{})
		return out.String(), err
	}

	// Unsigned: verification fails and names the key.
	if _, err := do("verify", "--image="+ref, "--key="+pub, "--allow-http=true"); err == nil ||
		!strings.Contains(err.Error(), "is not signed by the key cosign.pub") {
		t.Fatalf("verify of an unsigned image: %v", err)
	}
	res := filepath.Join(t.TempDir(), "sig")
	if _, err := do("sign", "--image="+ref, "--key="+priv, "--password-file="+pw, "--allow-http=true", "--result-signature="+res); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(res); string(b) != host+"/app:sha256-"+d.Hex+".sig" {
		t.Errorf("signature result %q", b)
	}
	if out, err := do("verify", "--image="+ref, "--key="+pub, "--allow-http=true", "--attestations=false"); err != nil ||
		!strings.Contains(out, "has 1 signature(s) by the key cosign.pub") {
		t.Fatalf("verify: %v %q", err, out)
	}
	if _, err := do("verify", "--image="+ref, "--key="+otherPub, "--allow-http=true", "--attestations=false"); err == nil {
		t.Fatal("an image signed by one key verified with another")
	}
	// Signed but not attested.
	if _, err := do("verify", "--image="+ref, "--key="+pub, "--allow-http=true"); err == nil ||
		!strings.Contains(err.Error(), "has no attestation by the key") {
		t.Fatalf("verify without an attestation: %v", err)
	}
	if _, err := do("attest", "--image="+ref, "--key="+priv, "--password-file="+pw, "--allow-http=true",
		"--builder-id=https://windlass.dev/test", "--source-uri=http://git.example/r.git", "--source-commit=c0ffee",
		"--taskrun=t1", "--", "IMAGE=app"); err != nil {
		t.Fatal(err)
	}
	if out, err := do("verify", "--image="+ref, "--key="+pub, "--allow-http=true", "--expect-source-commit=c0ffee"); err != nil ||
		!strings.Contains(out, "SLSA v1 provenance of "+ref+" by builder https://windlass.dev/test from git+http://git.example/r.git at c0ffee") {
		t.Fatalf("verify with attestation: %v %q", err, out)
	}
	if _, err := do("verify", "--image="+ref, "--key="+pub, "--allow-http=true", "--expect-source-commit=beef"); err == nil ||
		!strings.Contains(err.Error(), "names source commit(s) c0ffee, not beef") {
		t.Fatalf("verify with the wrong commit: %v", err)
	}
}

func TestBadInputIsAUsageError(t *testing.T) {
	priv, _, _ := keyPair(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{args: nil, want: "usage: cosign sign|attest|verify"},
		{args: []string{"bless"}, want: `unknown command "bless"`},
		{args: []string{"sign", "--key=" + priv}, want: "--image is required"},
		{args: []string{"sign", "--image=r/app@sha256:" + strings.Repeat("a", 64)}, want: "--key is required"},
		{args: []string{"sign", "--image=r/app:v1", "--key=" + priv}, want: "by digest"},
		{args: []string{"sign", "--image=r/app@sha256:" + strings.Repeat("a", 64), "--key=/no/key"}, want: "--key /no/key"},
		{args: []string{"sign", "--image=r/app@sha256:" + strings.Repeat("a", 64), "--key=" + priv, "--tlog-upload=true"}, want: "--tlog-upload=true needs --rekor-url"},
		{args: []string{"attest", "--image=r/app@sha256:" + strings.Repeat("a", 64), "--key=" + priv, "--builder-id=x", "--", "NOEQ"}, want: `build param "NOEQ"`},
		{args: []string{"attest", "--image=r/app@sha256:" + strings.Repeat("a", 64), "--key=" + priv}, want: "the builder id is required"},
		{args: []string{"attest", "--image=r/app@sha256:" + strings.Repeat("a", 64), "--key=" + priv, "--builder-id=x", "--started-on=yesterday"}, want: `--started-on "yesterday"`},
	} {
		err := run(context.Background(), tt.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !toolkit.IsUsage(err) {
			t.Errorf("%q: got %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}
