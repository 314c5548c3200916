package interceptors

import (
	"context"
	"crypto/sha256"
)

// bitbucket checks a Bitbucket Server (Data Center) webhook's HMAC signature
// and event type.
//
// Params: secretRef {secretName, secretKey} (optional: without it the
// signature is not checked), the HMAC-SHA256 key of X-Hub-Signature
// (sha256=<hex>), and eventTypes (optional), a list of X-Event-Key values
// such as repo:refs_changed or pr:opened.
type bitbucket struct {
	secrets SecretGetter
}

// Process implements Interceptor.
func (b bitbucket) Process(ctx context.Context, r *Request) Response {
	p, resp := parseVCSParams(r.Params)
	if resp != nil {
		return *resp
	}
	if p.secret != nil {
		key, resp := readSecret(ctx, b.secrets, r.Namespace, p.secret)
		if resp != nil {
			return *resp
		}
		sig := headerGet(r.Header, "X-Hub-Signature")
		if sig == "" {
			return respond(Unauthenticated, "the request has no X-Hub-Signature header: is a secret set on the webhook?")
		}
		if resp := verifyHMAC("X-Hub-Signature", sig, "sha256=", sha256.New, r.Body, key); resp != nil {
			return *resp
		}
	}
	if resp := matchEventType(r.Header, p.eventTypes, "X-Event-Key"); resp != nil {
		return *resp
	}
	return Response{Code: OK}
}
