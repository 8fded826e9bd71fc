#!/bin/sh
# Runs every unit test binary given; prints one line per binary and fails
# if any failed. Usage: run-unit.sh DIR BIN...
dir=$1
shift
failed=0
for t in "$@"; do
	name=${t##*/}
	if out=$("$t" 2>&1); then
		n=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
		printf 'ok    %-24s %s tests\n' "$name" "$n"
	else
		printf '%s\n' "$out"
		printf 'FAIL  %s\n' "$name"
		failed=1
	fi
done
[ "$failed" = 0 ] || { echo "unit tests failed (in $dir)"; exit 1; }
