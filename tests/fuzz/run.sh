#!/bin/sh
# Runs each fuzz target under libFuzzer for SECONDS, niced, with a memory
# cap, from its seed corpus (tests/fuzz/corpus/NAME; what it finds goes
# to BUILD/corpus/NAME, not into the repository), and prints its figures.
# A crash, a leak, a timeout or an allocation over the cap fails the run;
# the input is kept as BUILD/crashes/NAME-*, to be added to
# tests/fuzz/crashes/NAME once fixed (make fuzz-replay runs those).
# Usage: tests/fuzz/run.sh BUILD SECONDS NAME...
set -u
build=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
status=0
for name in "$@"; do
	mkdir -p "$build/corpus/$name" "$build/crashes" "$build/logs"
	log=$build/logs/$name.log
	printf 'fuzz %-12s %ss ... ' "$name" "$seconds"
	nice -n 19 "$build/fuzzers/$name" \
	    -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=65536 \
	    -dict="$here/yaml.dict" -print_final_stats=1 \
	    -artifact_prefix="$build/crashes/$name-" \
	    "$build/corpus/$name" "$here/corpus/$name" >"$log" 2>&1
	rc=$?
	# The last status line: executions, coverage, corpus, peak memory.
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
	if [ "$rc" = 0 ]; then
		echo "ok"
	else
		echo "FAILED (exit $rc; see $log)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5
		status=1
	fi
	echo "  ${runs:-?} runs, peak ${peak:-?} MB; $last"
done
exit $status
