package interceptors

import (
	"net/http"
	"testing"
)

func TestGitLab(t *testing.T) {
	tests := []interceptorCase{
		{name: "no params", header: http.Header{}, want: OK},
		{name: "good token", params: params("secretRef", goodRef), header: hdr("X-Gitlab-Token", secretValue), want: OK},
		{name: "header name in any case", params: params("secretRef", goodRef, "eventTypes", `["Push Hook"]`),
			header: http.Header{"x-gitlab-token": {secretValue}, "x-gitlab-event": {"Push Hook"}}, want: OK},
		{name: "wrong token", params: params("secretRef", goodRef), header: hdr("X-Gitlab-Token", "guess"),
			want: PermissionDenied, msg: "X-Gitlab-Token does not match the token in secretRef"},
		{name: "token with a prefix of the secret", params: params("secretRef", goodRef), header: hdr("X-Gitlab-Token", secretValue[:4]),
			want: PermissionDenied},
		{name: "token longer than the secret", params: params("secretRef", goodRef), header: hdr("X-Gitlab-Token", secretValue+"x"),
			want: PermissionDenied},
		{name: "missing token", params: params("secretRef", goodRef), header: hdr("X-Gitlab-Event", "Push Hook"),
			want: Unauthenticated, msg: "the request has no X-Gitlab-Token header"},
		{name: "no secretRef: the token is not checked", header: hdr("X-Gitlab-Token", "anything"), want: OK},
		{name: "event type matches", params: params("eventTypes", `["Push Hook","Tag Push Hook"]`), header: hdr("X-Gitlab-Event", "Tag Push Hook"), want: OK},
		{name: "event type does not match", params: params("eventTypes", `["Push Hook"]`), header: hdr("X-Gitlab-Event", "Merge Request Hook"),
			want: Filtered, msg: `event type "Merge Request Hook" is not one of [Push Hook]`},
		{name: "a GitHub event header does not count", params: params("eventTypes", `["push"]`), header: hdr("X-GitHub-Event", "push"),
			want: Filtered, msg: "the request has no X-Gitlab-Event header"},
		{name: "token checked before the event type", params: params("secretRef", goodRef, "eventTypes", `["Push Hook"]`),
			header: hdr("X-Gitlab-Event", "Issue Hook", "X-Gitlab-Token", "guess"), want: PermissionDenied},
	}
	runInterceptorCases(t, "gitlab", append(tests, badParamCases()...))
}

func TestTokenEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := tokenEqual([]byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("tokenEqual(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
