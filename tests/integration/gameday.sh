#!/usr/bin/env bash
# Game days end to end: the real havoc binary, real local web services on
# 127.0.0.1 (experiments/demo/webapp.sh), a real webhook receiver, real
# SQLite files. Three daemons share one slot of "* * * * *": one runs its
# game day to the end and notifies, one gets SIGTERM mid-fault, one is
# stopped by `havoc halt` from another process mid-fault.
# Usage: tests/integration/gameday.sh BUILD/havoc
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/havoc-gd-XXXXXX)
export HAVOC_DEMO_RUN=$T
WEBAPP="$ROOT/experiments/demo/webapp.sh"
failures=0
passed=0
bgpids=()
ports=()

cleanup() {
	local p
	for p in "${bgpids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for p in "${ports[@]}"; do "$WEBAPP" stop "$p" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
sql() { local db=$1; shift; sqlite3 "$db" "$@"; }

# wait_for SECONDS COMMAND...: until the command succeeds, bounded.
wait_for() {
	local n=$(( $1 * 10 )) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
port() { echo $((20000 + RANDOM % 20000)); }
up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.5)" 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
dead() { ! kill -0 "$1" 2>/dev/null; }

cd "$T" || exit 1

# --- --next and validate: the contract -------------------------------------

cat >next.yaml <<'EOF'
gameday: next
schedule: "30 2 * * *"
timezone: Europe/Berlin
experiments: [not-needed-for-next.yaml]
EOF
out=$("$HAVOC" gameday next.yaml --next 3 --from 2026-03-28T12:00:00+01:00)
check "--next across spring forward (fixed time runs after the jump)" \
    test "$out" = "2026-03-29T03:00:00+02:00
2026-03-30T02:30:00+02:00
2026-03-31T02:30:00+02:00"
out=$("$HAVOC" gameday next.yaml --next 2 --from 2026-10-25T02:45:00+02:00)
check "--next: a fixed time is not run again in the repeated hour" \
    test "$out" = "2026-10-26T02:30:00+01:00
2026-10-27T02:30:00+01:00"
out=$("$HAVOC" gameday next.yaml --next 1 --from 2026-03-29)
check "--from: a local date in the game day's zone" \
    test "$out" = "2026-03-29T03:00:00+02:00"
"$HAVOC" gameday next.yaml --next 5 | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00[+-][0-9]{2}:[0-9]{2}$' >n.txt
check "--next without --from: five RFC 3339 lines" test "$(cat n.txt)" = 5

"$HAVOC" validate "$ROOT"/experiments/gamedays/*.yaml >v.txt 2>&1
check "every game-day example validates" test $? = 0
grep -A5 'weekly-web.yaml: next 5 starts' v.txt | tail -5 >v5.txt
"$HAVOC" gameday "$ROOT/experiments/gamedays/weekly-web.yaml" --next 5 >n5.txt
check "validate prints the next five starts, as --next does" cmp -s v5.txt n5.txt

cat >badcron.yaml <<'EOF'
gameday: bad
schedule: "30 10 * * TUX"
timezone: Mars/Olympus
window: {days: mon-fri, hours: "09:00-25:00"}
experiments: [x.yaml]
EOF
"$HAVOC" gameday badcron.yaml --next 5 >/dev/null 2>err.txt
check "bad cron, zone, window: exit 65" test $? = 65
check "bad day name located at its column" \
    grep -q '^badcron.yaml:2:22: schedule: day of week: "TUX"' err.txt
check "unknown time zone located" grep -q '^badcron.yaml:3:11: timezone: unknown time zone "Mars/Olympus"' err.txt
check "bad window hours located" grep -q '^badcron.yaml:4:39: window.hours' err.txt
cat >never.yaml <<'EOF'
gameday: never
schedule: "0 10 * * MON-FRI"
window: {days: sat}
experiments: [x.yaml]
EOF
"$HAVOC" gameday never.yaml --next 5 >/dev/null 2>err.txt
check "no slot for years: exit 65, bounded" test $? = 65
check "no slot: a clear message at the schedule" grep -q '^never.yaml:2:11: schedule: no slot in the 50 years' err.txt
"$HAVOC" gameday next.yaml --next 0 >/dev/null 2>&1
check "--next 0 is a usage error" test $? = 64
"$HAVOC" gameday next.yaml --from 2026-01-01T00:00:00Z >/dev/null 2>&1
check "--from without --next is a usage error" test $? = 64
"$HAVOC" gameday next.yaml --next 1 --from yesterday >/dev/null 2>&1
check "a bad --from is a usage error" test $? = 64

mkdir oracle
(cd oracle && python3 "$ROOT/tests/integration/schedule-oracle.py" "$HAVOC" 7 100 >../oracle.txt 2>&1)
check "--next agrees with an independent oracle (zoneinfo, brute force)" test $? = 0 || cat oracle.txt

# --- the game days of the daemons -----------------------------------------

P1=$(port); P2=$((P1 + 1)); P3=$((P1 + 2)); HOOK=$((P1 + 3))
ports=("$P1" "$P2" "$P3")
for p in "$P1" "$P2" "$P3"; do "$WEBAPP" start "$p" >/dev/null; done
check "three web services up" up "$P1"

# The webhook receiver: answers 500 once, then 200; keeps what it got.
cat >hook.py <<'EOF'
import http.server, sys
seen = []
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen.append(1)
        with open(sys.argv[2], "ab") as f:
            f.write(self.path.encode() + b"\n" + body + b"\n")
        self.send_response(500 if len(seen) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
timeout 300 python3 hook.py "$HOOK" "$T/hook.txt" &
bgpids+=($!)
wait_for 5 up "$HOOK"

# exp PORT HOLD: stop the web service on PORT for HOLD.
exp() {
	cat <<EOF
version: 1
title: web on $1 comes back
vars: {port: "$1"}
steady_state:
  - name: home
    probe: http
    with: {url: "http://127.0.0.1:\${port}/", timeout: 1s}
    expect: {status: 200}
method:
  - name: stop the web service
    action: local.run
    with:
      command: [$WEBAPP, stop, "\${port}"]
      revert: [$WEBAPP, start, "\${port}"]
    duration: $2
rollbacks:
  - name: make sure it runs
    action: local.run
    with: {command: [$WEBAPP, start, "\${port}"]}
EOF
}
exp "$P1" 2s >e1.yaml
exp "$P2" 40s >e2.yaml
exp "$P3" 40s >e3.yaml
export HOOK_TOKEN=s3cr3t-hook-token-4711
cat >g1.yaml <<EOF
gameday: g-complete
schedule: "* * * * *"
timezone: Europe/Berlin
concurrency: forbid
experiments:
  - e1.yaml
  - {file: e1.yaml, vars: {port: "$P1"}}
notify: "http://127.0.0.1:$HOOK/hook?token=\${env.HOOK_TOKEN}"
report: out/g1.html
EOF
cat >g2.yaml <<'EOF'
gameday: g-sigterm
schedule: "* * * * *"
experiments: [e2.yaml, e1.yaml]
EOF
cat >g3.yaml <<'EOF'
gameday: g-halt
schedule: "* * * * *"
experiments: [e3.yaml, e1.yaml]
EOF

# Start well before a minute boundary, so that the checks below come
# before the slot (at most 15 s of waiting).
s=$(date +%S); s=${s#0}
[ "$s" -ge 45 ] && sleep $((61 - s))
printf 'gameday: g-company\nschedule: "* * * * *"\nconcurrency: allow\nexperiments: [e1.yaml]\n' >g1b.yaml
"$HAVOC" daemon --db d1.db --lease 30s g1.yaml g1b.yaml 2>d1.log &
D1=$!; bgpids+=("$D1")
"$HAVOC" daemon --db d2.db g2.yaml 2>d2.log &
D2=$!; bgpids+=("$D2")
"$HAVOC" daemon --db d3.db g3.yaml 2>d3.log &
D3=$!; bgpids+=("$D3")
wait_for 5 grep -qs 'event=scheduled' d1.log
check "daemon logs logfmt lines (ts=, level=, event=)" \
    grep -qE '^ts=[0-9T:.-]+Z level=info event=daemon_start ' d1.log

"$HAVOC" daemon --db d1.db g1.yaml 2>second.txt
check "a second daemon on the same database refuses (75)" test $? = 75
check "... with a clear message" grep -q 'another daemon runs on d1.db: daemon 1 .* holds its lease until' second.txt

# SIGHUP: a bad edit keeps the old file and logs every error; a good
# edit is taken. Neither stops the daemon.
cp g1.yaml g1.good
printf 'gameday: g-complete\nschedule: "61 * * * *"\njitter: 1y\nexperiments: [e1.yaml]\n' >g1.yaml
kill -HUP "$D1"
wait_for 5 grep -qs 'event=reload_kept' d1.log
check "SIGHUP with a bad file: every error logged with its place" \
    grep -q 'event=invalid_file file=g1.yaml msg="g1.yaml:2:12: schedule: minute: 61' d1.log
check "... the jitter error too" grep -q 'msg="g1.yaml:3:9: jitter' d1.log
check "... and the daemon runs on" alive "$D1"
cp g1.good g1.yaml
kill -HUP "$D1"
wait_for 5 grep -qs 'event=reloaded msg="every file reloaded"' d1.log
check "SIGHUP with a good file: reloaded" \
    grep -q 'event=reloaded msg="every file reloaded"' d1.log

# The slot: all three start at the same minute.
wait_for 75 grep -qs 'event=gameday_started' d2.log
wait_for 10 grep -qs 'event=gameday_started' d3.log
check "the game days start at their slot" grep -q 'event=gameday_started gameday=g-sigterm' d2.log
late=$(sed -n 's/.*event=gameday_started.* late_ms=\([0-9]*\).*/\1/p' d2.log | head -1)
check "... on time (late_ms=$late < 1000)" test "${late:-99999}" -lt 1000
slot_s=$(sql d2.db "SELECT scheduled_at % 60000 FROM gamedays WHERE id = 1")
check "... and the slot is on a minute" test "$slot_s" = 0

# Mid-fault: the web services of g-sigterm and g-halt are down.
wait_for 15 sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1', $P2), 0.5)\" 2>/dev/null"
check "g-sigterm's fault is in place (web service down)" sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1', $P2), 0.5)\" 2>/dev/null"
wait_for 15 sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1', $P3), 0.5)\" 2>/dev/null"

"$HAVOC" status --db d3.db >status.txt
check "status: the daemon" grep -q "^  daemon 1 on .* (pid $D3)" status.txt
check "status: what runs now, with experiment and phase" \
    grep -q '^    run 1: web on .* comes back (e3.yaml), phase method' status.txt
check "status: the active fault" grep -q '^      fault 1: local.run, active' status.txt
check "status: the next start" grep -q '^    next start 20' status.txt

# SIGHUP mid-fault: the files are read again, the run goes on.
n0=$(grep -c 'event=reloaded' d2.log)
kill -HUP "$D2"
wait_for 5 sh -c "test \$(grep -c 'event=reloaded' d2.log) -gt $n0"
check "SIGHUP mid-run: reloaded" test "$(grep -c 'event=reloaded' d2.log)" -gt "$n0"
sleep 1
check "SIGHUP mid-run: the run goes on" \
    test "$(sql d2.db "SELECT status FROM runs")" = running
check "SIGHUP mid-run: its fault stays in place" \
    sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1', $P2), 0.5)\" 2>/dev/null"

# havoc halt from another process, mid-fault.
"$HAVOC" halt --db d3.db >halt.txt 2>&1
check "halt: exit 0" test $? = 0
check "halt signalled the daemon" grep -q "^daemon 1: sent SIGTERM to havoc (pid $D3)" halt.txt
check "halt: nothing is left injected" grep -q '^no fault is active' halt.txt
check "halt: the daemon is gone" wait_for 10 dead "$D3"
check "halt: the web service is back" up "$P3"
check "halt: no fault open in the journal" \
    test "$(sql d3.db "SELECT count(*) FROM faults WHERE state <> 'reverted'")" = 0
check "halt: the game day is aborted, its second experiment not run" \
    test "$(sql d3.db "SELECT status || ' ' || (SELECT count(*) FROM runs) FROM gamedays")" = "aborted 1"

# SIGTERM to the daemon, mid-fault: rollbacks done, then a clean exit.
kill -TERM "$D2"
wait_for 30 dead "$D2"
wait "$D2"; rc=$?
check "SIGTERM: the daemon exits 0 after the rollbacks" test "$rc" = 0
check "SIGTERM: the web service is back" up "$P2"
check "SIGTERM: the run rolled back" \
    test "$(sql d2.db "SELECT status || ' ' || reason FROM runs")" = "aborted interrupted by SIGTERM"
check "SIGTERM: no fault open" \
    test "$(sql d2.db "SELECT count(*) FROM faults WHERE state <> 'reverted'")" = 0
check "SIGTERM: logged stopping, then the exit" \
    grep -q 'event=stopping signal=SIGTERM running=1' d2.log
check "SIGTERM: the lease is released" \
    test "$(sql d2.db "SELECT count(*) FROM leases")" = 0

# g-complete: two runs, then the webhook (500 first: one retry).
wait_for 40 sh -c "sqlite3 d1.db \"SELECT status FROM gamedays\" | grep -q completed"
check "the complete game day held" \
    test "$(sql d1.db "SELECT status || ' ' || exit_code FROM gamedays")" = "completed 0"
check "concurrency: the other game day's slot is skipped, and why" \
    test "$(sql d1.db "SELECT name || ': ' || reason || ': ' || detail FROM gameday_skips LIMIT 1")" = "g-company: concurrency: game day g-complete is running (concurrency: forbid)"
check "its two runs are tied to it" \
    test "$(sql d1.db "SELECT count(*) FROM runs WHERE gameday_id = 1 AND status = 'completed'")" = 2
wait_for 20 sh -c "sqlite3 d1.db \"SELECT notify FROM gamedays\" | grep -q sent"
check "webhook: sent after one retry" \
    test "$(sql d1.db "SELECT notify FROM gamedays")" = "sent (2 attempts)"
check "webhook: the receiver got the JSON summary" \
    grep -q '"gameday": *"g-complete"' hook.txt
check "webhook: ... with the status and the runs" \
    python3 -c "import json,sys; l=open('hook.txt').read().split('\n'); b=json.loads(l[-2]); sys.exit(0 if b['status']=='completed' and len(b['runs'])==2 else 1)"
check "webhook: the token reached the receiver in the URL" \
    grep -q "^/hook?token=$HOOK_TOKEN" hook.txt
check "secrets: the token is in no log" sh -c "! grep -q '$HOOK_TOKEN' d1.log"
check "secrets: the token is not in the database" \
    sh -c "! sqlite3 d1.db .dump | grep -q '$HOOK_TOKEN'"
check "secrets: nor in the summary posted" sh -c "! tail -1 hook.txt | grep -q '$HOOK_TOKEN'"
check "the game day's report is written" grep -q 'g-complete' out/g1.html
check "... as a page that loads nothing from the network" \
    sh -c "! grep -qiE '(src|href)=.?https?:' out/g1.html"
kill -TERM "$D1"
wait_for 15 dead "$D1"

# --- missed slots, catch_up, lease takeover --------------------------------

cat >fast.yaml <<'EOF'
version: 1
title: nothing to see
method:
  - {name: "true", action: local.run, with: {command: ["true"]}}
EOF
cat >m.yaml <<'EOF'
gameday: missed
schedule: "* * * * *"
experiments: [fast.yaml]
EOF
"$HAVOC" daemon --db m.db m.yaml 2>m1.log &
M=$!
wait_for 5 grep -qs event=scheduled m1.log
kill -TERM "$M"; wait "$M"
# As if the daemon had been down for the last five minutes.
sql m.db "UPDATE gameday_schedules SET accounted_until = accounted_until - 300000"
"$HAVOC" daemon --db m.db m.yaml 2>m2.log &
M=$!
wait_for 5 grep -qs event=scheduled m2.log
kill -TERM "$M"; wait "$M"
n=$(sql m.db "SELECT count(*) FROM gameday_skips WHERE name = 'missed' AND reason = 'missed'")
check "slots missed while down are recorded as skips ($n)" test "$n" -ge 4 -a "$n" -le 6
check "... and not run late" test "$(sql m.db "SELECT count(*) FROM gamedays")" = 0
sed -i 's/^experiments:/catch_up: true\nexperiments:/' m.yaml
sql m.db "UPDATE gameday_schedules SET accounted_until = accounted_until - 180000"
"$HAVOC" daemon --db m.db m.yaml 2>m3.log &
M=$!
wait_for 10 grep -qs event=gameday_exit m3.log
kill -TERM "$M"; wait "$M"
check "catch_up: the latest missed slot runs late, once" \
    test "$(sql m.db "SELECT count(*) FROM gamedays WHERE status = 'completed'")" = 1

"$HAVOC" daemon --db m.db --lease 3s m.yaml 2>k1.log &
K=$!; bgpids+=("$K")
wait_for 5 grep -qs event=scheduled k1.log
{ kill -9 "$K"; wait "$K"; } 2>/dev/null
"$HAVOC" daemon --db m.db --lease 3s m.yaml 2>k2.log &
K2=$!; bgpids+=("$K2")
wait "$K2"; rc=$?
check "a dead daemon's lease holds until it runs out (75)" test "$rc" = 75
sleep 3.5
"$HAVOC" daemon --db m.db --lease 3s m.yaml 2>k3.log &
K3=$!; bgpids+=("$K3")
wait_for 5 grep -qs event=scheduled k3.log
check "after it ran out, the next daemon takes over" alive "$K3"
check "the dead daemon is marked lost" \
    test "$(sql m.db "SELECT status FROM daemons ORDER BY id DESC LIMIT 1 OFFSET 2")" = lost
kill -TERM "$K3"; wait "$K3"

# A game day killed mid-fault (as by a crash of the machine's havoc): the
# next daemon reverts its faults before it schedules anything.
P4=$((P1 + 4)); ports+=("$P4")
"$WEBAPP" start "$P4" >/dev/null
exp "$P4" 60s >e4.yaml
printf 'gameday: crash\nschedule: "0 0 1 1 *"\nexperiments: [e4.yaml]\n' >c.yaml
"$HAVOC" gameday c.yaml --db c.db >crash.log 2>&1 &
C=$!; bgpids+=("$C")
wait_for 15 sh -c "sqlite3 c.db \"SELECT state FROM faults\" 2>/dev/null | grep -q active"
{ kill -9 "$C"; wait "$C"; } 2>/dev/null
check "crash: the fault is left active" sh -c "! python3 -c \"import socket; socket.create_connection(('127.0.0.1', $P4), 0.5)\" 2>/dev/null"
"$HAVOC" daemon --db c.db c.yaml 2>c.log &
C=$!; bgpids+=("$C")
wait_for 20 grep -qs 'event=scheduled' c.log
check "crash: the next daemon reverted it first" grep -q 'event=recover msg="no fault of an earlier run is active"' c.log
check "crash: the web service is back" up "$P4"
check "crash: the game day is marked interrupted" \
    test "$(sql c.db "SELECT status FROM gamedays")" = interrupted
check "crash: nothing open in the journal" \
    test "$(sql c.db "SELECT count(*) FROM faults WHERE state <> 'reverted'")" = 0
kill -TERM "$C"; wait "$C"

# --- gameday --now ----------------------------------------------------------

cat >now.yaml <<'EOF'
gameday: now
schedule: "0 0 1 1 *"
on_deviation: stop
experiments: [fast.yaml, fail.yaml, fast.yaml]
EOF
cat >fail.yaml <<EOF
version: 1
title: a steady state that does not hold after
steady_state:
  - {name: flag, probe: local, with: {command: [test, "!", -e, $T/flag]}}
method:
  - {name: plant, action: local.run, with: {command: [touch, $T/flag]}}
EOF
"$HAVOC" gameday now.yaml --now --db now.db >now.txt 2>&1
check "--now: the worst exit (1, deviated)" test $? = 1
check "--now: on_deviation stop: the third is not run" \
    test "$(sql now.db "SELECT count(*) FROM runs")" = 2
check "--now: the game day's status" \
    test "$(sql now.db "SELECT status FROM gamedays")" = deviated
check "--now: the verdict line" grep -q '^deviated: game day now, 2 runs, 1 skipped' now.txt

"$HAVOC" status --db now.db >st.txt
check "status: a game day run with --now, and its last result" \
    grep -q '^    last result: deviated, exit 1, 2 runs' st.txt
"$HAVOC" status --db now.db --json | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j["last"][0]["name"] == "now" else 1)'
check "status --json" test $? = 0
"$HAVOC" status --db nothere.db >/dev/null 2>&1
check "status never creates a database (66)" test $? = 66

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
