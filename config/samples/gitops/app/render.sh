#!/bin/sh
# render.sh DIR: writes the app's pages into DIR: the version page (index.html)
# and the health page (healthz) the readiness probe asks for.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
mkdir -p "$dir"
echo "web $(cat "$here/VERSION")" > "$dir/index.html"
echo ok > "$dir/healthz"
