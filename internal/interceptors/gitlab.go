package interceptors

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
)

// gitLab checks a GitLab webhook's secret token and event type.
//
// Params: secretRef {secretName, secretKey} (optional: without it the token
// is not checked), compared with X-Gitlab-Token, and eventTypes (optional), a
// list of X-Gitlab-Event values such as "Push Hook" or "Merge Request Hook".
type gitLab struct {
	secrets SecretGetter
}

// Process implements Interceptor.
func (g gitLab) Process(ctx context.Context, r *Request) Response {
	p, resp := parseVCSParams(r.Params)
	if resp != nil {
		return *resp
	}
	if p.secret != nil {
		want, resp := readSecret(ctx, g.secrets, r.Namespace, p.secret)
		if resp != nil {
			return *resp
		}
		got := headerGet(r.Header, "X-Gitlab-Token")
		if got == "" {
			return respond(Unauthenticated, "the request has no X-Gitlab-Token header: is a secret token set on the webhook?")
		}
		if !tokenEqual([]byte(got), want) {
			return respond(PermissionDenied, "X-Gitlab-Token does not match the token in secretRef")
		}
	}
	if resp := matchEventType(r.Header, p.eventTypes, "X-Gitlab-Event"); resp != nil {
		return *resp
	}
	return Response{Code: OK}
}

// tokenEqual compares two tokens in constant time. It compares their
// SHA-256 sums, so the time does not depend on the tokens' lengths either.
func tokenEqual(a, b []byte) bool {
	sa, sb := sha256.Sum256(a), sha256.Sum256(b)
	return subtle.ConstantTimeCompare(sa[:], sb[:]) == 1
}
