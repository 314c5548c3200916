package interceptors

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" // GitHub's legacy X-Hub-Signature is HMAC-SHA1, used only without a SHA-256 signature
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
)

// gitHub checks a GitHub (or Gitea) webhook's HMAC signature and event type.
//
// Params: secretRef {secretName, secretKey} (optional: without it the
// signature is not checked) and eventTypes (optional), a list of
// X-GitHub-Event values such as push or pull_request.
//
// The signature is X-Hub-Signature-256 (sha256=<hex>), else X-Hub-Signature
// (sha1=<hex>), else Gitea's X-Gitea-Signature (<hex> of HMAC-SHA256). The
// event type is X-GitHub-Event, else X-Gitea-Event. The signature is checked
// before the event type, so an unsigned request is refused whatever its type.
type gitHub struct {
	secrets SecretGetter
}

// Process implements Interceptor.
func (g gitHub) Process(ctx context.Context, r *Request) Response {
	p, resp := parseVCSParams(r.Params)
	if resp != nil {
		return *resp
	}
	if p.secret != nil {
		key, resp := readSecret(ctx, g.secrets, r.Namespace, p.secret)
		if resp != nil {
			return *resp
		}
		if resp := verifyGitHub(r.Header, r.Body, key); resp != nil {
			return *resp
		}
	}
	if resp := matchEventType(r.Header, p.eventTypes, "X-GitHub-Event", "X-Gitea-Event"); resp != nil {
		return *resp
	}
	return Response{Code: OK}
}

func verifyGitHub(h http.Header, body, key []byte) *Response {
	if v := headerGet(h, "X-Hub-Signature-256"); v != "" {
		return verifyHMAC("X-Hub-Signature-256", v, "sha256=", sha256.New, body, key)
	}
	if v := headerGet(h, "X-Hub-Signature"); v != "" {
		return verifyHMAC("X-Hub-Signature", v, "sha1=", sha1.New, body, key)
	}
	if v := headerGet(h, "X-Gitea-Signature"); v != "" {
		return verifyHMAC("X-Gitea-Signature", v, "", sha256.New, body, key)
	}
	r := respond(Unauthenticated, "the request has no X-Hub-Signature-256 or X-Hub-Signature header: is a secret set on the webhook?")
	return &r
}

// verifyHMAC checks that header value (prefix + hex) is the HMAC of body
// with key, comparing in constant time (hmac.Equal).
func verifyHMAC(header, value, prefix string, newHash func() hash.Hash, body, key []byte) *Response {
	hexSig, ok := strings.CutPrefix(value, prefix)
	sig, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(sig) == 0 {
		r := respond(PermissionDenied, "%s is not of the form %s<hex digits>", header, prefix)
		return &r
	}
	mac := hmac.New(newHash, key)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sig) {
		r := respond(PermissionDenied, "%s does not match: the webhook's secret is not the one in secretRef, or the body was changed", header)
		return &r
	}
	return nil
}
