#!/usr/bin/env bash
# Pushes the stand-in images that test/compat/standins.txt lists to $REGISTRY, for the
# Tekton compatibility tier. One Debian bookworm root file system (mmdebstrap, from the
# host's apt sources; ~30 s and ~120 MB compressed, cached outside the clone keyed by its
# package list) is pushed once as a base layer; each stand-in is that layer with the
# image config the real image has. A second run only rewrites the small configs. On a
# running local cluster, a stand-in the node holds at another digest is dropped from
# containerd's store, so that the next pod pulls the new one (tags other than latest are
# pulled only when missing).
set -euo pipefail
source "$(dirname "$0")/cluster/common.sh"

cd "$WINDLASS_ROOT"
PACKAGES=bash,busybox,ca-certificates,curl,git,jq,nodejs,openssh-client,openssh-server,perl,python3,python-is-python3
CRANE_MODULE=github.com/google/go-containerregistry/cmd/crane
key=$(printf '%s\n' bookworm "$PACKAGES" "$CRANE_MODULE" "$(go list -m -f '{{.Version}}' github.com/google/go-containerregistry)" v2 |
	sha256sum | cut -c1-12)
dir="$WINDLASS_CACHE/standins"
rootfs="$dir/debian-$key.tar.gz"
if [ ! -s "$rootfs" ]; then
	apt_install mmdebstrap
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/.build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/crane" "$CRANE_MODULE"
	# The host's own apt sources (deb822 or one-line), so the mirror is the one this machine uses.
	sources=()
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -s "$f" ] && sources+=("$f")
	done
	[ ${#sources[@]} -gt 0 ] || die "no apt sources on this host for mmdebstrap"
	log "building the stand-ins' Debian root file system ($PACKAGES)"
	# ash (busybox's) for `#!/usr/bin/env ash`; the user nonroot (1000) with a
	# world-writable /home/nonroot as the non-root images have; /run/sshd for sshd.
	mmdebstrap --quiet --variant=minbase --include="$PACKAGES" --skip=output/dev \
		--customize-hook="copy-in $tmp/crane /usr/local/bin" \
		--customize-hook='ln -sf /usr/bin/busybox "$1/usr/bin/ash"' \
		--customize-hook='chroot "$1" useradd --uid 1000 --home-dir /home/nonroot --shell /bin/sh nonroot' \
		--customize-hook='mkdir -p "$1/home/nonroot" "$1/run/sshd" && chmod 1777 "$1/home/nonroot"' \
		bookworm "$tmp/rootfs.tar" "${sources[@]}"
	gzip -1 "$tmp/rootfs.tar"
	mv "$tmp/rootfs.tar.gz" "$rootfs"
fi

base="$REGISTRY/windlass/standin-base:$key"
if ! curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REGISTRY/v2/windlass/standin-base/manifests/$key"; then
	log "pushing the stand-ins' base layer"
	bin/clustertool image --layer "$rootfs" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--push "$base" >/dev/null
fi
# Two small layers, the same bytes every run. extras.tar.gz, in every stand-in: /run/sshd
# (mmdebstrap leaves /run empty; sshd needs it) and docker-entrypoint.sh, the entrypoint of
# the bash image (runs its arguments; with none or only options, bash with them).
# sh.tar.gz for sh=busybox: /bin/sh is busybox's ash, as in Alpine and busybox images.
layers=$(mktemp -d)
mkdir -p "$layers/extras/run/sshd" "$layers/extras/usr/local/bin" "$layers/sh/usr/bin"
cat >"$layers/extras/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
	set -- bash "$@"
fi
exec "$@"
SH
chmod 755 "$layers/extras/usr/local/bin/docker-entrypoint.sh" "$layers/extras/run/sshd"
ln -s busybox "$layers/sh/usr/bin/sh"
for l in extras sh; do
	tar -C "$layers/$l" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . | gzip -n >"$layers/$l.tar.gz"
done
n=0
while read -r ref opts; do
	case $ref in '' | '#'*) continue ;; esac
	args=(--layer "$layers/extras.tar.gz")
	for opt in $opts; do
		kind=${opt%%=*}
		case $kind in
		entrypoint | cmd)
			IFS=, read -r -a words <<<"${opt#*=}"
			for w in "${words[@]}"; do args+=("--$kind" "$w"); done
			;;
		sh) args+=(--layer "$layers/sh.tar.gz") ;;
		*) die "test/compat/standins.txt: $ref: unknown option $opt" ;;
		esac
	done
	[[ $ref == *:* ]] || ref="$ref:latest"
	pushed=$(bin/clustertool image --base "$base" "${args[@]}" --push "$REGISTRY/$ref")
	n=$((n + 1))
	if [ -S "$CONTAINERD_SOCK" ]; then
		for name in "$POD_REGISTRY/$ref" "$REGISTRY/$ref"; do
			held=$("$RUNTIME_BIN_DIR/ctr" -a "$CONTAINERD_SOCK" -n k8s.io images ls "name==$name" 2>/dev/null | awk 'NR > 1 { print $3 }')
			if [ -n "$held" ] && [ "$held" != "${pushed#*@}" ]; then
				"$RUNTIME_BIN_DIR/ctr" -a "$CONTAINERD_SOCK" -n k8s.io images rm "$name" >/dev/null 2>&1
			fi
		done
	fi
done <test/compat/standins.txt
rm -rf "$layers"
log "pushed $n stand-in images to $REGISTRY (test/compat/standins.txt)"
