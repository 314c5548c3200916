package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/attest"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	sigs "github.com/sigstore/cosign/v2/pkg/signature"

	"github.com/windlass-dev/windlass/tasks/toolkit"
)

const usage = "usage: cosign sign|attest|verify [flags]"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return toolkit.Usagef(usage)
	}
	switch args[0] {
	case "sign":
		return signCmd(ctx, args[1:], stdout, stderr)
	case "attest":
		return attestCmd(ctx, args[1:], stdout, stderr)
	case "verify":
		return verifyCmd(ctx, args[1:], stdout, stderr)
	}
	return toolkit.Usagef("unknown command %q; %s", args[0], usage)
}

// common are the flags every command shares.
type common struct {
	image, key, passwordFile, rekorURL string
	allowHTTP, tlogUpload              bool
	timeout                            time.Duration
	ref                                name.Reference
}

func (c *common) flags(name string, stderr io.Writer, keyHelp string) (*flag.FlagSet, *string, *string) {
	fs := toolkit.NewFlags("cosign "+name, stderr)
	fs.StringVar(&c.image, "image", "", "the image, by digest (registry/repository@sha256:...)")
	fs.StringVar(&c.key, "key", "", keyHelp)
	fs.DurationVar(&c.timeout, "timeout", 3*time.Minute, "how long the registry may take")
	allowHTTP := fs.String("allow-http", "false", "reach the registry over plain HTTP")
	tlog := fs.String("tlog-upload", "false", "record the signature in a Rekor transparency log (--rekor-url)")
	return fs, allowHTTP, tlog
}

func (c *common) check(allowHTTP, tlog string, needDigest bool) error {
	var err error
	if c.allowHTTP, err = toolkit.Bool("allow-http", allowHTTP); err != nil {
		return err
	}
	if c.tlogUpload, err = toolkit.Bool("tlog-upload", tlog); err != nil {
		return err
	}
	if c.tlogUpload && c.rekorURL == "" {
		return toolkit.Usagef("--tlog-upload=true needs --rekor-url")
	}
	if c.image = strings.TrimSpace(c.image); c.image == "" {
		return toolkit.Usagef("--image is required")
	}
	if c.key == "" {
		return toolkit.Usagef("--key is required")
	}
	if _, err := os.Stat(c.key); err != nil {
		return toolkit.Usagef("--key %s: %v", c.key, err)
	}
	opts := []name.Option{}
	if c.allowHTTP {
		opts = append(opts, name.Insecure)
	}
	if c.ref, err = name.ParseReference(c.image, opts...); err != nil {
		return toolkit.Usagef("--image %q: %v", c.image, err)
	}
	if _, ok := c.ref.(name.Digest); needDigest && !ok {
		return toolkit.Usagef("--image %q: sign and attest an image by digest (@sha256:...), not by tag", c.image)
	}
	return nil
}

func (c *common) keyOpts() options.KeyOpts {
	return options.KeyOpts{KeyRef: c.key, RekorURL: c.rekorURL, PassFunc: c.password, SkipConfirmation: true}
}

func (c *common) registry() options.RegistryOptions {
	return options.RegistryOptions{AllowHTTPRegistry: c.allowHTTP, AllowInsecure: c.allowHTTP}
}

// password reads the private key's password: --password-file, else
// $COSIGN_PASSWORD, else none.
func (c *common) password(bool) ([]byte, error) {
	if c.passwordFile != "" {
		b, err := os.ReadFile(c.passwordFile)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	return []byte(os.Getenv("COSIGN_PASSWORD")), nil
}

func signCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var resultSig string
	fs, allowHTTP, tlog := c.flags("sign", stderr, "the private key (cosign.key)")
	fs.StringVar(&c.passwordFile, "password-file", "", "file holding the key's password (absent: $COSIGN_PASSWORD or none)")
	fs.StringVar(&c.rekorURL, "rekor-url", "", "Rekor server for --tlog-upload")
	fs.StringVar(&resultSig, "result-signature", "", "file to write the signature's reference to")
	if err := toolkit.Parse(fs, args); err != nil {
		return err
	}
	if err := c.check(*allowHTTP, *tlog, true); err != nil {
		return err
	}
	err := sign.SignCmd(&options.RootOptions{Timeout: c.timeout}, c.keyOpts(), options.SignOptions{
		Upload: true, TlogUpload: c.tlogUpload, SkipConfirmation: true, Registry: c.registry(),
		Rekor: options.RekorOptions{URL: c.rekorURL},
	}, []string{c.image})
	if err != nil {
		return fmt.Errorf("signing %s: %w", c.image, err)
	}
	sig := signatureRef(c.ref.(name.Digest))
	fmt.Fprintf(stdout, "signed %s with %s: %s\n", c.image, filepath.Base(c.key), sig)
	return toolkit.WriteResult(resultSig, sig)
}

// signatureRef is where cosign stores an image's signatures: the tag
// sha256-<hex>.sig in the image's repository.
func signatureRef(d name.Digest) string {
	return d.Context().Name() + ":" + strings.Replace(d.DigestStr(), ":", "-", 1) + ".sig"
}

func attestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var r runInfo
	var started string
	fs, allowHTTP, tlog := c.flags("attest", stderr, "the private key (cosign.key)")
	fs.StringVar(&c.passwordFile, "password-file", "", "file holding the key's password (absent: $COSIGN_PASSWORD or none)")
	fs.StringVar(&c.rekorURL, "rekor-url", "", "Rekor server for --tlog-upload")
	fs.StringVar(&r.BuilderID, "builder-id", "", "the builder's id (a URI)")
	fs.StringVar(&r.SourceURI, "source-uri", "", "the source repository")
	fs.StringVar(&r.SourceCommit, "source-commit", "", "the source commit")
	fs.StringVar(&r.Namespace, "namespace", "", "the run's namespace")
	fs.StringVar(&r.PipelineRun, "pipelinerun", "", "the PipelineRun, if any")
	fs.StringVar(&r.TaskRun, "taskrun", "", "the TaskRun")
	fs.StringVar(&r.TaskRunUID, "taskrun-uid", "", "the TaskRun's uid")
	fs.StringVar(&started, "started-on", "", "when the build started (RFC 3339); empty: unknown")
	words, rest := toolkit.SplitAtDashDash(args)
	if err := toolkit.Parse(fs, words); err != nil {
		return err
	}
	if err := c.check(*allowHTTP, *tlog, true); err != nil {
		return err
	}
	params, err := toolkit.NameValues(rest, "build param")
	if err != nil {
		return err
	}
	r.Params = map[string]string{}
	for _, kv := range params {
		r.Params[kv[0]] = kv[1]
	}
	if started != "" {
		if r.StartedOn, err = time.Parse(time.RFC3339, started); err != nil {
			return toolkit.Usagef("--started-on %q: want RFC 3339 (2006-01-02T15:04:05Z)", started)
		}
	}
	r.FinishedOn = time.Now()
	pred, err := provenance(r)
	if err != nil {
		return toolkit.Usagef("%v (--builder-id)", err)
	}
	dir, err := os.MkdirTemp("", "provenance")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "provenance.json")
	if err := os.WriteFile(path, pred, 0o644); err != nil {
		return err
	}
	cmd := attest.AttestCommand{
		KeyOpts: c.keyOpts(), RegistryOptions: c.registry(), PredicatePath: path, PredicateType: "slsaprovenance1",
		TlogUpload: c.tlogUpload, RekorEntryType: "dsse", Timeout: c.timeout,
	}
	if err := cmd.Exec(ctx, c.image); err != nil {
		return fmt.Errorf("attesting %s: %w", c.image, err)
	}
	fmt.Fprintf(stdout, "attested SLSA v1 provenance of %s (source %s at %s, params %s)\n",
		c.image, r.SourceURI, r.SourceCommit, strings.Join(slices.Sorted(maps.Keys(r.Params)), ","))
	return nil
}

func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var attestations, expectCommit string
	fs, allowHTTP, tlog := c.flags("verify", stderr, "the public key (cosign.pub)")
	fs.StringVar(&attestations, "attestations", "true", "also verify the image's SLSA v1 provenance attestation")
	fs.StringVar(&expectCommit, "expect-source-commit", "", "require the provenance to name this source commit")
	if err := toolkit.Parse(fs, args); err != nil {
		return err
	}
	if err := c.check(*allowHTTP, *tlog, false); err != nil {
		return err
	}
	if c.tlogUpload {
		return toolkit.Usagef("--tlog-upload is for sign and attest")
	}
	withAtt, err := toolkit.Bool("attestations", attestations)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	verifier, err := sigs.PublicKeyFromKeyRef(ctx, c.key)
	if err != nil {
		return toolkit.Usagef("--key %s: %v", c.key, err)
	}
	reg := c.registry()
	clientOpts, err := reg.ClientOpts(ctx)
	if err != nil {
		return err
	}
	co := &cosign.CheckOpts{SigVerifier: verifier, IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier, RegistryClientOpts: clientOpts}
	checked, _, err := cosign.VerifyImageSignatures(ctx, c.ref, co)
	if err != nil {
		return fmt.Errorf("%s is not signed by the key %s: %w", c.image, filepath.Base(c.key), err)
	}
	fmt.Fprintf(stdout, "verified: %s has %d signature(s) by the key %s\n", c.image, len(checked), filepath.Base(c.key))
	if !withAtt {
		return nil
	}
	co.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	atts, _, err := cosign.VerifyImageAttestations(ctx, c.ref, co)
	if err != nil {
		return fmt.Errorf("%s has no attestation by the key %s: %w", c.image, filepath.Base(c.key), err)
	}
	var found []string
	for _, a := range atts {
		payload, err := a.Payload()
		if err != nil {
			return err
		}
		st, err := statement(payload)
		if err != nil {
			return err
		}
		if st.PredicateType != PredicateType {
			continue
		}
		commit := st.Predicate.BuildDefinition.ExternalParameters.Source.Digest["sha1"]
		found = append(found, commit)
		if expectCommit == "" || commit == expectCommit {
			fmt.Fprintf(stdout, "verified: SLSA v1 provenance of %s by builder %s from %s at %s\n", c.image,
				st.Predicate.RunDetails.Builder.ID, st.Predicate.BuildDefinition.ExternalParameters.Source.URI, commit)
			return nil
		}
	}
	if len(found) == 0 {
		return fmt.Errorf("%s has attestations by the key %s, but none of SLSA v1 provenance", c.image, filepath.Base(c.key))
	}
	return fmt.Errorf("%s: the provenance names source commit(s) %s, not %s", c.image, strings.Join(found, ", "), expectCommit)
}

// inToto is the part of an attested in-toto statement verify reads.
type inToto struct {
	PredicateType string `json:"predicateType"`
	Predicate     struct {
		BuildDefinition struct {
			ExternalParameters struct {
				Source struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"source"`
			} `json:"externalParameters"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

// statement decodes a DSSE envelope's in-toto statement.
func statement(envelope []byte) (*inToto, error) {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("attestation envelope: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("attestation payload: %w", err)
	}
	var st inToto
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	if st.PredicateType == "" {
		return nil, errors.New("in-toto statement without a predicateType")
	}
	return &st, nil
}
