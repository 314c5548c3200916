#!/bin/sh
# The container's command: render the pages, then serve them on :8080 (busybox httpd).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sh "$here/render.sh" /tmp/www
exec httpd -f -p 8080 -h /tmp/www
