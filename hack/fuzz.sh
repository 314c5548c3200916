#!/usr/bin/env bash
# A short fuzz run of every Go fuzz target in the repository (func FuzzX in a
# _test.go file), FUZZTIME each (default 8s), one after another (go test
# -fuzz takes one target at a time). Their seed corpora (f.Add) also run in
# every plain `go test`. Prints a table of executions per target; fails on
# the first crash, whose input go test writes under the package's
# testdata/fuzz/ (check it in as a regression seed once fixed).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-8s}
rows=()
while IFS=: read -r file _ decl; do
	name=${decl#func }
	name=${name%%(*}
	pkg=./$(dirname "${file#./}")
	out=$(go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1) || {
		echo "$out"
		echo "fuzz: $pkg $name failed" >&2
		exit 1
	}
	execs=$(grep -o 'execs: [0-9]*' <<<"$out" | tail -1 | cut -d' ' -f2)
	rows+=("$(printf '%-32s %-22s %10s' "$pkg" "$name" "${execs:-?}")")
done < <(grep -rn --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(f \*testing.F)' . | sort)
printf '%-32s %-22s %10s\n' package target "execs/$FUZZTIME"
printf '%s\n' "${rows[@]}"
