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

AWSPID=
cleanup() {
	"$WEBAPP" stop "$PORT" >/dev/null 2>&1
	[ -n "$AWSPID" ] && kill "$AWSPID" 2>/dev/null && wait "$AWSPID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"	# KEEP=1: left for a look
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

# --- validate reports what plan would refuse --------------------------------

cat >radius.yaml <<'EOF'
version: 1
title: too wide
hosts:
  web-1: {address: 10.0.0.1, tags: [web]}
  web-2: {address: 10.0.0.2, tags: [web]}
  web-3: {address: 10.0.0.3, tags: [web]}
targets:
  all_web: {tags: [web]}
  four: {tags: [web], pick: 4}
method:
  - action: shell.run
    on: all_web
    with: {command: "true"}
safety:
  max_targets: 2
EOF
"$HAVOC" validate radius.yaml >out.txt 2>err.txt
check "validate: a max_targets overrun is an error (exit 65)" test $? = 65
check "validate: ... at safety.max_targets" grep -q '^radius.yaml:15:16: safety: actions may touch 3 hosts, more than max_targets 2$' err.txt
check "validate: pick 4 of 3 hosts is an error" grep -q '^radius.yaml:9:29: target group "four": pick 4, but only 3 hosts match$' err.txt
"$HAVOC" plan radius.yaml >out.txt 2>err.txt
check "plan refuses it too (exit 2)" test $? = 2

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

# --- a full disk during a run: each revert runs once, the journal converges --

if [ "$(id -u)" != 0 ]; then
	echo "skip  disk full: mounting a small tmpfs needs root"
else
	MNT=$T/small
	mkdir -p "$MNT"
	if mount -t tmpfs -o size=2m havoc-core-test "$MNT" 2>/dev/null; then
		cat >full.yaml <<EOF
version: 1
title: disk full during a run
steady_state:
  - name: ok
    probe: local
    with: {command: ["true"]}
method:
  - name: fault
    action: local.run
    with:
      command: [sh, -c, "echo inject >>$T/count"]
      revert: [sh, -c, "echo revert >>$T/count"]
    duration: 3s
watch: {every: 100ms, probes: [ok]}
EOF
		"$HAVOC" run full.yaml --db "$MNT/h.db" >full.out 2>full.err &
		hp=$!
		for i in $(seq 1 100); do
			grep -q inject "$T/count" 2>/dev/null && break
			sleep 0.1
		done
		dd if=/dev/zero of="$MNT/fill" bs=4k >/dev/null 2>&1
		df_full=$(df --output=avail "$MNT" | tail -1)
		for i in $(seq 1 100); do
			grep -q revert "$T/count" 2>/dev/null && break
			sleep 0.1
		done
		sleep 1
		rm -f "$MNT/fill"
		for i in $(seq 1 300); do
			kill -0 $hp 2>/dev/null || break
			sleep 0.1
		done
		wait $hp
		rc=$?
		check "disk full: the disk was full ($df_full KB free)" test "$df_full" -le 8
		check "disk full: the revert ran once" test "$(grep -c revert "$T/count")" = 1
		check "disk full: the run holds once space is back (exit $rc)" test $rc = 0
		st=$(sqlite3 "$MNT/h.db" "select state from faults")
		check "disk full: the journal says reverted ($st)" test "$st" = reverted
		"$HAVOC" recover --db "$MNT/h.db" >rec.out 2>&1
		check "disk full: recover finds nothing to do" grep -q "no fault is active" rec.out
		check "disk full: recover did not revert again" test "$(grep -c revert "$T/count")" = 1
		umount "$MNT"
	else
		echo "skip  disk full: cannot mount a tmpfs here"
	fi
fi

# --- without libxml2, the AWS driver says so ------------------------------

# havoc loads libxml2 at its first AWS call (so that SSH runs do not map
# it). A local endpoint answers every call with an empty DescribeInstances;
# in a mount namespace where libxml2 is /dev/null, the plan must stop with
# the package to install, and send nothing whose answer it cannot read.
XML2=$(ldconfig -p | awk '$1 == "libxml2.so.2" { print $NF; exit }')
if [ "$(id -u)" != 0 ] || [ -z "$XML2" ] || ! command -v unshare >/dev/null; then
	echo "skip  no libxml2: needs root, unshare and libxml2 to hide"
else
	AWSPORT=$((20000 + RANDOM % 20000))
	python3 - "$AWSPORT" >aws.log 2>&1 <<'PY' &
import http.server, sys
BODY = (b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b'<requestId>r-1</requestId><reservationSet/></DescribeInstancesResponse>')
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
	AWSPID=$!
	for i in $(seq 1 50); do
		curl -s -o /dev/null -X POST "http://127.0.0.1:$AWSPORT/" && break
		sleep 0.1
	done
	cat >cloud.yaml <<EOF
version: 1
title: no libxml2
cloud: {aws: {region: eu-west-1, endpoint: "http://127.0.0.1:$AWSPORT"}}
targets:
  these: {aws: {ids: [i-0123456789abcdef0]}}
method:
  - name: reboot it
    action: aws.ec2.reboot
    on: these
EOF
	export AWS_ACCESS_KEY_ID=AKIDCORETEST AWS_SECRET_ACCESS_KEY=core-secret \
	    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	timeout 30 "$HAVOC" plan cloud.yaml >plan.out 2>plan.err
	rc=$?
	check "with libxml2: the response is parsed (exit $rc)" test $rc = 2
	check "with libxml2: the answer is read: no running instance" \
	    grep -q 'target group these: no running instance' plan.err
	posts=$(grep -c POST aws.log)
	timeout 30 unshare -m sh -c 'mount --bind /dev/null "$1" && shift &&
	    exec "$@"' sh "$XML2" "$HAVOC" plan cloud.yaml >plan.out 2>plan.err
	rc=$?
	check "without libxml2: the plan stops (exit $rc)" test $rc = 2
	check "without libxml2: it names the package to install" \
	    grep -q '^havoc: target group these: xml: cannot load libxml2 (install the libxml2 package)' plan.err
	check "without libxml2: nothing was sent" test "$(grep -c POST aws.log)" = "$posts"
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE \
	    AWS_SHARED_CREDENTIALS_FILE
fi

echo
echo "core: $passed passed, $failures failed"
[ "$failures" = 0 ]
