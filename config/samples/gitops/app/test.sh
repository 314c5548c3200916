#!/bin/sh
# The unit tests (the pipeline's unit-test task runs them): render.sh's version page.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
check() { # check NAME COMMAND...
	name=$1
	shift
	if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failed=1; fi
}
version=$(cat "$here/VERSION")
check "VERSION is MAJOR.MINOR" sh -c "echo '$version' | grep -Eq '^[0-9]+\.[0-9]+$'"
sh "$here/render.sh" "$out"
check "the version page names the version" test "$(cat "$out/index.html")" = "web $version"
check "the version page is one line" test "$(wc -l < "$out/index.html")" -eq 1
check "render.sh wants a directory" sh -c "! sh '$here/render.sh' 2>/dev/null"
exit $failed
