#!/usr/bin/env bash
# Integration tests: the real havoc binary against real local processes
# and a real HTTP server on 127.0.0.1, with a real SQLite file.
# Usage: tests/integration/run.sh BUILD/havoc
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/havoc-it-XXXXXX)
export HAVOC_DB=$T/havoc.db
export HAVOC_DEMO_RUN=$T
PORT=$((20000 + RANDOM % 20000))
failures=0
passed=0
WEBAPP="$ROOT/experiments/demo/webapp.sh"

cleanup() {
	"$WEBAPP" stop "$PORT" >/dev/null 2>&1
	[ -n "${HVPID:-}" ] && kill -9 "$HVPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
# check NAME COMMAND...: passes when the command succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
sql() { sqlite3 "$HAVOC_DB" "$@"; }

# Waits (at most 10 s) until a command succeeds.
wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

cd "$T" || exit 1

# --- usage and validation -------------------------------------------------

"$HAVOC" >/dev/null 2>&1; check "no command is a usage error (64)" test $? = 64
"$HAVOC" frobnicate >/dev/null 2>&1; check "unknown command (64)" test $? = 64
"$HAVOC" ru x.yaml >/dev/null 2>&1; check "no prefix matching of commands (64)" test $? = 64
"$HAVOC" run >/dev/null 2>&1; check "run without a file (64)" test $? = 64
"$HAVOC" --version | grep -q '^havoc '; check "--version" test $? = 0
for c in run validate plan runs show recover halt drivers; do
	"$HAVOC" "$c" --help | grep -q "usage: havoc $c"
	check "$c --help" test $? = 0
done

"$HAVOC" drivers --markdown | diff -u "$ROOT/docs/drivers.md" - >drivers.diff
check "docs/drivers.md is what havoc drivers --markdown says" test $? = 0
"$HAVOC" drivers process.kill | grep -q '^process.kill (action'
check "havoc drivers NAME" test $? = 0

out=$("$HAVOC" validate "$ROOT"/experiments/examples/*.yaml 2>&1)
check "every example validates" test $? = 0

cat >three.yaml <<'EOF'
version: 1
title: three mistakes
steady_state:
  - name: homepage
    probe: http
    with: {url: "http://127.0.0.1:1/", timout: 2s}
method:
  - action: local.run
    with: {command: [true]}
    duration: 5x
watch: {every: 1s, probes: [homepag]}
EOF
"$HAVOC" validate three.yaml 2>err.txt >/dev/null
rc=$?
check "three mistakes: exit 65" test $rc = 65
check "three mistakes: three FILE:LINE:COLUMN lines" \
    test "$(grep -c '^three.yaml:[0-9]*:[0-9]*: ' err.txt)" = 3
grep -q '^three.yaml:6:40: http: unknown parameter "timout" (did you mean "timeout"?)' err.txt
check "unknown parameter at its line and column, with a hint" test $? = 0
grep -q '^three.yaml:10:15: step.duration: "5x" is not a duration' err.txt
check "bad duration at its line and column" test $? = 0
grep -q '^three.yaml:11:29: watch: no probe "homepag" in steady_state (did you mean "homepage"?)' err.txt
check "unknown watch probe with a hint" test $? = 0

# --- the demo web service: a real HTTP server ------------------------------

"$WEBAPP" start "$PORT" >/dev/null
check "demo web service up" curl -sf "http://127.0.0.1:$PORT/" -o /dev/null

"$HAVOC" run --dry-run "$ROOT/experiments/examples/local-web-restart.yaml" \
    --var port="$PORT" >plan.txt 2>&1
check "dry run exits 0" test $? = 0
grep -q "revert after 3.0s: run ../demo/webapp.sh start $PORT" plan.txt
check "dry run shows the revert" test $? = 0
check "dry run touches no database" test ! -e "$HAVOC_DB"

"$HAVOC" run "$ROOT/experiments/examples/local-web-restart.yaml" \
    --var port="$PORT" --journal journal.json >out.txt 2>log.txt
rc=$?
check "demo run holds (exit 0)" test $rc = 0
grep -q '^completed: the hypothesis held (run 1)' out.txt
check "verdict line" test $? = 0
grep -q 'homepage: time to recover [0-9.]*s' out.txt
check "time to recover printed" test $? = 0
check "run listed" sh -c "'$HAVOC' runs | grep -q '^1 .*completed'"
"$HAVOC" show 1 >show.txt
check "show has samples that failed" grep -q 'FAIL' show.txt
check "show has the figure" grep -q 'homepage .*recovered' show.txt
check "show has the reverted fault" grep -q 'reverted' show.txt
n=$(sql "select count(*) from samples where run_id=1 and ok=0")
check "failing samples stored ($n)" test "$n" -ge 2
n=$(sql "select ttr_ms from figures where run_id=1")
check "time to recover stored and about 3 s ($n ms)" test "$n" -ge 2500 -a "$n" -le 6000
check "journal written" python3 -c "
import json; j = json.load(open('journal.json'))
assert j['run']['status'] == 'completed'
assert j['figures'][0]['state'] == 'recovered'
assert len(j['samples']) > 5"
check "the service runs after the run" curl -sf "http://127.0.0.1:$PORT/" -o /dev/null

# --- verdicts and exit codes -----------------------------------------------

cat >deviate.yaml <<EOF
version: 1
title: deviates
steady_state:
  - name: marker
    probe: local
    with: {command: [test, -f, $T/marker]}
method:
  - action: local.run
    with: {command: [rm, -f, $T/marker]}
EOF
touch marker
"$HAVOC" run deviate.yaml >out.txt 2>&1
check "steady state broken after: exit 1" test $? = 1
grep -q '^deviated: steady state after' out.txt
check "deviated verdict" test $? = 0

"$HAVOC" run deviate.yaml >out.txt 2>&1
check "steady state broken before: exit 2" test $? = 2
grep -q '^aborted: steady state before' out.txt
check "aborted verdict" test $? = 0

cat >rbfail.yaml <<EOF
version: 1
title: a revert that fails until it is fixed
method:
  - name: make a mark
    action: local.run
    with:
      command: [touch, $T/mark2]
      revert: [sh, -c, "test -f $T/fixed && rm $T/mark2"]
EOF
"$HAVOC" run rbfail.yaml >out.txt 2>&1
check "failing revert: exit 3" test $? = 3
grep -q '^rollback_failed' out.txt
check "rollback_failed verdict" test $? = 0
check "the fault is still active" test -e mark2
check "journal says revert_failed" test "$(sql "select state from faults order by id desc limit 1")" = revert_failed
"$HAVOC" recover >out.txt 2>&1
check "recover fails while the revert fails (exit 3)" test $? = 3
touch fixed
"$HAVOC" recover >out.txt 2>&1
check "recover succeeds once it can (exit 0)" test $? = 0
check "the mark is gone" test ! -e mark2
check "journal says reverted" test "$(sql "select state from faults order by id desc limit 1")" = reverted

# --- crash and recover -----------------------------------------------------

cat >crash.yaml <<EOF
version: 1
title: a fault that outlives a SIGKILL
method:
  - name: block
    action: local.run
    with:
      command: [touch, $T/blocked]
      revert: [rm, -f, $T/blocked]
    duration: 60s
EOF
"$HAVOC" run crash.yaml >/dev/null 2>&1 &
HVPID=$!
wait_for test -e blocked
check "fault injected" test -e blocked
wait_for sh -c "test \"\$(sqlite3 '$HAVOC_DB' \"select state from faults order by id desc limit 1\")\" = active"
kill -9 "$HVPID"
wait "$HVPID" 2>/dev/null
HVPID=
check "after SIGKILL the fault is still active" test -e blocked
run=$(sql "select max(id) from runs")
check "the store says active" test "$(sql "select state from faults where run_id=$run")" = active
check "the run is still marked running" test "$(sql "select status from runs where id=$run")" = running
"$HAVOC" recover >out.txt 2>&1
check "recover exits 0" test $? = 0
check "recover reverted the fault" test ! -e blocked
check "the store says reverted" test "$(sql "select state from faults where run_id=$run")" = reverted
check "the run is marked interrupted" test "$(sql "select status from runs where id=$run")" = interrupted
"$HAVOC" recover >out.txt 2>&1
check "a second recover has nothing to do" grep -q 'no fault is active' out.txt

# A live run is not touched by recover (without --force).
"$HAVOC" run crash.yaml >/dev/null 2>&1 &
HVPID=$!
wait_for test -e blocked
wait_for sh -c "test \"\$(sqlite3 '$HAVOC_DB' \"select state from faults order by id desc limit 1\")\" = active"
"$HAVOC" recover >out.txt 2>&1
check "recover leaves a live run alone" test -e blocked
# halt: SIGTERM to the run, which rolls back, then nothing is left.
"$HAVOC" halt >out.txt 2>&1
check "halt exits 0" test $? = 0
wait "$HVPID"
rc=$?
HVPID=
check "the halted run exits 2" test $rc = 2
check "halt reverted the fault" test ! -e blocked
run=$(sql "select max(id) from runs")
check "the halted run is aborted, interrupted by SIGTERM" \
    test "$(sql "select status || ':' || reason from runs where id=$run")" = "aborted:interrupted by SIGTERM"

for sig in INT TERM; do
	"$HAVOC" run crash.yaml >/dev/null 2>&1 &
	HVPID=$!
	wait_for test -e blocked
	wait_for sh -c "test \"\$(sqlite3 '$HAVOC_DB' \"select state from faults order by id desc limit 1\")\" = active"
	kill -"$sig" "$HVPID"
	wait "$HVPID"
	rc=$?
	HVPID=
	check "SIG$sig: exit 2" test $rc = 2
	check "SIG$sig: rolled back" test ! -e blocked
done

# A run killed with no fault open is closed by recover; halt never signals
# a process that merely has a dead run's pid.
cat >pause.yaml <<EOF
version: 1
title: a long pause
method:
  - pause: 60s
EOF
"$HAVOC" run pause.yaml >/dev/null 2>&1 &
HVPID=$!
wait_for sh -c "test \"\$(sqlite3 '$HAVOC_DB' \"select status from runs order by id desc limit 1\")\" = running"
kill -9 "$HVPID"
wait "$HVPID" 2>/dev/null
HVPID=
run=$(sql "select max(id) from runs")
sleep 1000 &
decoy=$!
sql "update runs set pid = $decoy where id = $run"
"$HAVOC" halt >out.txt 2>&1
check "halt leaves a process alone that only has a dead run's pid" kill -0 "$decoy"
kill "$decoy" 2>/dev/null
wait "$decoy" 2>/dev/null
check "a dead run without faults is closed as interrupted" \
    test "$(sql "select status from runs where id=$run")" = interrupted

# --- secrets and injection --------------------------------------------------

export HV_IT_TOKEN='tok-Zq81-secret'
cat >secret.yaml <<EOF
version: 1
title: a secret is used, never kept
vars:
  token: "\${env.HV_IT_TOKEN}"
method:
  - name: use it
    action: local.run
    with:
      command: [sh, -c, 'printf %s "\$1" > $T/seen', sh, "\${token}"]
      revert: [rm, -f, $T/nothing]
    duration: 100ms
EOF
"$HAVOC" run secret.yaml --journal sj.json --verbose >out.txt 2>log.txt
check "secret run exits 0" test $? = 0
check "the secret reached the command" test "$(cat seen)" = "$HV_IT_TOKEN"
cat "$HAVOC_DB"* sj.json out.txt log.txt | grep -q 'tok-Zq81'
check "the secret is in no database, journal or log" test $? = 1
grep -q 'env.HV_IT_TOKEN' sj.json
check "the journal keeps the reference" test $? = 0

cat >inject.yaml <<'EOF'
version: 1
title: values never become commands
vars:
  name: "x; touch pwned1 #"
method:
  - action: local.run
    with: {command: [echo, "${name}", "$(touch pwned2)", "`touch pwned3`"]}
EOF
"$HAVOC" run inject.yaml --var 'name=$(touch pwned4)' >/dev/null 2>&1
check "metacharacters in values run nothing" test ! -e pwned1 -a ! -e pwned2 -a ! -e pwned3 -a ! -e pwned4

# --- an unreachable service makes a clear error ----------------------------

cat >down.yaml <<EOF
version: 1
title: probe of a closed port
steady_state:
  - name: closed
    probe: http
    with: {url: "http://127.0.0.1:1/", timeout: 1s}
method:
  - pause: 10ms
EOF
"$HAVOC" run down.yaml >out.txt 2>log.txt
check "closed port: aborted before the method (exit 2)" test $? = 2
grep -q 'Connection refused' log.txt
check "closed port: the reason is shown" test $? = 0

echo
echo "integration: $passed passed, $failures failed"
[ "$failures" = 0 ]
