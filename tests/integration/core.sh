#!/usr/bin/env bash
# Integration tests of the core's foundations (issue 7): the store is
# never created or adopted by mistake, plan and run pick the same hosts,
# alerting that cannot be checked stops a run before it changes anything.
# The real binary, a real SQLite file, a real local web service.
# Usage: tests/integration/core.sh BUILD/havoc
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/havoc-core-XXXXXX)
export HAVOC_DEMO_RUN=$T
export HAVOC_DB=$T/havoc.db
PORT=$((20000 + RANDOM % 20000))
WEBAPP="$ROOT/experiments/demo/webapp.sh"
failures=0
passed=0

cleanup() {
	"$WEBAPP" stop "$PORT" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }

cd "$T" || exit 1

# --- commands that read never create a database -------------------------

for c in runs "show 1" recover halt; do
	# shellcheck disable=SC2086
	"$HAVOC" $c --db "$T/typo.db" >out.txt 2>err.txt
	rc=$?
	check "$c on a missing --db: exit 66" test $rc = 66
	check "$c on a missing --db: says so" grep -q "no database at $T/typo.db" err.txt
	check "$c on a missing --db: creates nothing" test ! -e "$T/typo.db"
done

sqlite3 "$T/notes.db" "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep');"
sum=$(sha256sum <"$T/notes.db")
"$HAVOC" runs --db "$T/notes.db" >out.txt 2>err.txt
rc=$?
check "someone else's SQLite file is refused (exit 2)" test $rc = 2
check "the refusal says why" grep -q "not a havoc database" err.txt
check "someone else's file is left as it was" test "$(sha256sum <"$T/notes.db")" = "$sum"
"$HAVOC" recover --db "$T/notes.db" >/dev/null 2>&1
check "recover refuses it too (exit 2)" test $? = 2

# --- plan and run pick the same hosts --------------------------------------

cat >pick.yaml <<'EOF'
version: 1
title: plan and run agree
hosts:
  web-1: {address: 127.0.0.1, port: 1, tags: [web]}
  web-2: {address: 127.0.0.2, port: 1, tags: [web]}
  web-3: {address: 127.0.0.3, port: 1, tags: [web]}
  web-4: {address: 127.0.0.4, port: 1, tags: [web]}
  web-5: {address: 127.0.0.5, port: 1, tags: [web]}
ssh: {user: nobody, identity: /nonexistent, known_hosts: /dev/null,
      connect_timeout: 1s}
targets:
  one_web: {tags: [web], pick: 1}
method:
  - name: look
    probe: ssh
    on: one_web
    with: {command: "true"}
EOF
"$HAVOC" plan pick.yaml >plan.txt 2>&1
check "plan exits 0" test $? = 0
replay=$(sed -n 's/^to run exactly this plan: //p' plan.txt)
check "plan prints the command that replays it" test -n "$replay"
picked=$(sed -n 's/^target one_web: \([^ ]*\) .*/\1/p' plan.txt)
seed=$(sed -n 's/^seed: //p' plan.txt)
check "the command carries the plan's seed" test "$replay" = "havoc run pick.yaml --seed $seed"
"$HAVOC" run pick.yaml --seed "$seed" >out.txt 2>&1
ran=$(sqlite3 "$HAVOC_DB" "select plan_json from runs order by id desc limit 1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["groups"]["one_web"][0])')
check "the run picked what the plan showed ($picked = $ran)" test "$picked" = "$ran"
"$HAVOC" run --dry-run pick.yaml --seed "$seed" >dry.txt 2>&1
check "--dry-run with the seed shows the same pick" grep -q "^target one_web: $picked " dry.txt
check "--dry-run prints the replay command too" grep -q "^to run exactly this plan: havoc run pick.yaml --seed $seed\$" dry.txt
"$HAVOC" plan pick.yaml --var a='x y' >plan2.txt 2>&1
check "--var is in the replay command, quoted" grep -q "^to run exactly this plan: havoc run pick.yaml --seed [0-9]* --var 'a=x y'\$" plan2.txt

# --- alerting that cannot be checked stops the run first --------------------

"$WEBAPP" start "$PORT" >/dev/null
cat >notam.yaml <<EOF
version: 1
title: the alert URL is not Alertmanager
method:
  - name: kill
    action: local.run
    with: {command: [touch, $T/changed]}
  - pause: 1s
alerts:
  - name: NodeDown
    probe: alertmanager
    with: {url: "http://127.0.0.1:$PORT", alertname: NodeDown}
    within: 5s
EOF
"$HAVOC" run notam.yaml >out.txt 2>err.txt
rc=$?
check "an alertmanager URL that is not Alertmanager: exit 2" test $rc = 2
check "  ... and nothing was changed" test ! -e "$T/changed"
check "  ... and the reason names the alert" grep -q 'alert "NodeDown" cannot be checked' out.txt

echo
echo "core: $passed passed, $failures failed"
[ "$failures" = 0 ]
