package interceptors

import (
	"net/http"
	"testing"
)

func TestBitbucket(t *testing.T) {
	refs := []string{"X-Event-Key", "repo:refs_changed"}
	withSig := func(kv ...string) http.Header { return hdr(append(append([]string{}, refs...), kv...)...) }
	tests := []interceptorCase{
		{name: "no params", header: http.Header{}, want: OK},
		{name: "good signature", params: params("secretRef", goodRef, "eventTypes", `["repo:refs_changed"]`),
			header: withSig("X-Hub-Signature", sha256Sig), want: OK},
		{name: "header names in any case", params: params("secretRef", goodRef),
			header: http.Header{"x-hub-signature": {sha256Sig}}, want: OK},
		{name: "wrong signature", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature", wrongSig),
			want: PermissionDenied, msg: "X-Hub-Signature does not match"},
		{name: "signature of another body", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature", sha256Sig),
			body: `{"changes":[]}`, want: PermissionDenied, msg: "does not match"},
		{name: "sha1 is not accepted", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature", sha1Sig),
			want: PermissionDenied, msg: "X-Hub-Signature is not of the form sha256=<hex digits>"},
		{name: "GitHub's sha256 header does not count", params: params("secretRef", goodRef), header: withSig("X-Hub-Signature-256", sha256Sig),
			want: Unauthenticated, msg: "the request has no X-Hub-Signature header"},
		{name: "missing signature", params: params("secretRef", goodRef), header: withSig(),
			want: Unauthenticated, msg: "the request has no X-Hub-Signature header"},
		{name: "event type matches", params: params("eventTypes", `["pr:opened","repo:refs_changed"]`), header: withSig(), want: OK},
		{name: "event type does not match", params: params("eventTypes", `["pr:opened"]`), header: withSig(),
			want: Filtered, msg: `event type "repo:refs_changed" is not one of [pr:opened]`},
		{name: "no event key", params: params("eventTypes", `["pr:opened"]`), header: http.Header{},
			want: Filtered, msg: "the request has no X-Event-Key header"},
	}
	runInterceptorCases(t, "bitbucket", append(tests, badParamCases()...))
}
