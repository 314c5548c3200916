package interceptors

import (
	"crypto/sha256"
	"net/http"
	"testing"
)

func TestGitHub(t *testing.T) {
	push := []string{"X-GitHub-Event", "push"}
	withSig := func(kv ...string) http.Header { return hdr(append(append([]string{}, push...), kv...)...) }
	tests := []interceptorCase{
		{name: "no params lets everything through", header: http.Header{}, want: OK},
		{name: "no secretRef: a signature is not checked", params: params("eventTypes", `["push"]`), header: withSig("X-Hub-Signature-256", wrongSig), want: OK},
		{name: "good sha256 signature", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", sha256Sig), want: OK},
		{name: "good sha1 signature alone", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature", sha1Sig), want: OK},
		{name: "sha256 is preferred over a wrong sha1", params: params("secretRef", goodRef),
			header: withSig("X-Hub-Signature-256", sha256Sig, "X-Hub-Signature", "sha1=00"), want: OK},
		{name: "a right sha1 does not save a wrong sha256", params: params("secretRef", goodRef),
			header: withSig("X-Hub-Signature-256", wrongSig, "X-Hub-Signature", sha1Sig), want: PermissionDenied,
			msg: "X-Hub-Signature-256 does not match: the webhook's secret is not the one in secretRef, or the body was changed"},
		{name: "gitea signature", params: params("secretRef", goodRef, "eventTypes", `["push"]`),
			header: hdr("X-Gitea-Event", "push", "X-Gitea-Signature", sign(sha256.New, secretValue, pushJSON)), want: OK},
		{name: "header names in any case", params: params("secretRef", goodRef, "eventTypes", `["push"]`),
			header: http.Header{"x-hub-signature-256": {sha256Sig}, "x-github-event": {"push"}}, want: OK},
		{name: "wrong signature", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", wrongSig),
			want: PermissionDenied, msg: "X-Hub-Signature-256 does not match"},
		{name: "signature of another body", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", sha256Sig),
			body: `{"ref":"refs/heads/evil"}`, want: PermissionDenied, msg: "does not match"},
		{name: "wrong sha1 signature", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature", "sha1=0123"),
			want: PermissionDenied, msg: "X-Hub-Signature does not match"},
		{name: "sha1 value in the sha256 header", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", sha1Sig),
			want: PermissionDenied, msg: "X-Hub-Signature-256 is not of the form sha256=<hex digits>"},
		{name: "not hex", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", "sha256=xyz"),
			want: PermissionDenied, msg: "is not of the form sha256=<hex digits>"},
		{name: "empty hex", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", "sha256="),
			want: PermissionDenied, msg: "is not of the form"},
		{name: "missing signature header", params: params("secretRef", goodRef), header: withSig(),
			want: Unauthenticated, msg: "the request has no X-Hub-Signature-256 or X-Hub-Signature header"},
		{name: "event type matches", params: params("eventTypes", `["pull_request","push"]`), header: withSig(), want: OK},
		{name: "event type does not match", params: params("eventTypes", `["push"]`), header: hdr("X-GitHub-Event", "issues"),
			want: Filtered, msg: `event type "issues" is not one of [push]`},
		{name: "event type does not match several", params: params("eventTypes", `["push","pull_request"]`), header: hdr("X-GitHub-Event", "issues"),
			want: Filtered, msg: `event type "issues" is not one of [push pull_request]`},
		{name: "no event type header", params: params("eventTypes", `["push"]`), header: http.Header{},
			want: Filtered, msg: "the request has no X-GitHub-Event header; eventTypes is [push]"},
		{name: "event type is case-sensitive", params: params("eventTypes", `["Push"]`), header: withSig(), want: Filtered},
		{name: "the signature is checked before the event type", params: params("secretRef", goodRef, "eventTypes", `["push"]`),
			header: hdr("X-GitHub-Event", "issues", "X-Hub-Signature-256", wrongSig), want: PermissionDenied},
		{name: "an unsigned request of another type is refused, not filtered", params: params("secretRef", goodRef, "eventTypes", `["push"]`),
			header: hdr("X-GitHub-Event", "issues"), want: Unauthenticated},
		{name: "signed, wrong type: filtered", params: params("secretRef", goodRef, "eventTypes", `["push"]`),
			header: hdr("X-GitHub-Event", "issues", "X-Hub-Signature-256", sha256Sig), want: Filtered},
	}
	runInterceptorCases(t, "github", append(tests, badParamCases()...))
}
