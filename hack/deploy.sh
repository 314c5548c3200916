#!/usr/bin/env bash
# Applies the release manifest to $KUBECONFIG's cluster and waits for the controller,
# failing at once (with the reason) when its pod cannot pull its image or crashes.
# Further manifests (the catalog) are applied once the controller is ready.
# Usage: hack/deploy.sh dist/install.yaml [dist/catalog.yaml ...]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
manifest=${1:?usage: hack/deploy.sh MANIFEST [MANIFEST...]}
shift
[ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG is not set"
kubectl="$("$WINDLASS_ROOT/hack/k8s-bins.sh")/kubectl"
"$kubectl" apply --server-side --force-conflicts -f "$manifest" >/dev/null

ns=windlass-system
deadline=$(($(date +%s) + 180))
while :; do
	if "$kubectl" -n "$ns" rollout status deployment/windlass-controller --timeout=1s >/dev/null 2>&1; then
		# Done once the previous replica is gone and the new one leads.
		pods=$("$kubectl" -n "$ns" get pods -l app.kubernetes.io/component=controller -o name | wc -l)
		holder=$("$kubectl" -n "$ns" get lease windlass-controller.windlass.dev -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
		if [ "$pods" -eq 1 ] && [[ "$holder" == "$("$kubectl" -n "$ns" get pods -l app.kubernetes.io/component=controller -o jsonpath='{.items[0].metadata.name}')"* ]]; then
			log "controller ready and leading: $("$kubectl" -n "$ns" get deployment windlass-controller -o jsonpath='{.spec.template.spec.containers[0].image}')"
			for m in "$@"; do
				"$kubectl" apply --server-side --force-conflicts -f "$m" >/dev/null
				log "applied $m"
			done
			exit 0
		fi
	fi
	# Only pods of the new template count: an old ReplicaSet's pod may be failing for its own reasons.
	want=$("$kubectl" -n "$ns" get deployment windlass-controller -o jsonpath='{.spec.template.spec.containers[0].image}')
	bad=$("$kubectl" -n "$ns" get pods -l app.kubernetes.io/component=controller \
		-o jsonpath='{range .items[*]}{.spec.containers[0].image}{" "}{.status.containerStatuses[0].state.waiting.reason}{": "}{.status.containerStatuses[0].state.waiting.message}{"\n"}{end}' 2>/dev/null |
		awk -v w="$want" '$1 == w {sub(/^[^ ]+ /, ""); print}' |
		grep -E '^(ErrImagePull|ImagePullBackOff|CrashLoopBackOff|InvalidImageName|CreateContainerConfigError)' | head -1 || true)
	if [ -n "$bad" ] || [ "$(date +%s)" -ge "$deadline" ]; then
		"$kubectl" -n "$ns" get pods -o wide >&2 || true
		"$kubectl" -n "$ns" logs deployment/windlass-controller --tail=30 >&2 2>/dev/null || true
		die "the controller did not become ready: ${bad:-timed out after 180s}"
	fi
	sleep 0.5
done
