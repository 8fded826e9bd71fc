#!/usr/bin/env bash
# Lab tests: a signal at any moment leaves no fault on any host (issue 7,
# item 1). The real havoc runs tests/lab/experiments/stop-all.yaml on a
# lab of its own (lb, web-1..3, no mon): six faults held together on the
# three web hosts, two of them with slow injects (a shell.run whose
# inject sleeps, the service hvslow whose stop takes a second), then
# SIGSTOP of nginx, a second root, a tampered file and a partition. Each
# case signals havoc at a random moment of the run:
#
#   INT, TERM    the run stops; its rollbacks revert;
#   TERM2        SIGTERM, then a second SIGTERM during the rollbacks;
#   KILL-RECOVER SIGKILL, then `havoc recover`;
#   KILL-DEADMAN SIGKILL, then the hosts' dead-man timers, with no havoc
#                (a `havoc recover` after them must then succeed and
#                change nothing).
#
# After each case every host must be exactly as before: firewall, qdiscs,
# accounts, files, listeners, the processes (running, none stopped), the
# service hvslow up, havoc's state folders empty but for the marks of
# reverted faults. The figures at the end: cases, kinds, moments, faults
# left (must be 0). The moments are stratified over the run's length
# (measured by a first, uninterrupted run) and drawn from a seed that is
# printed: HAVOC_STOP_SEED=N replays them, HAVOC_STOP_CASES=N sets the
# number of cases (default 42). About 5 minutes on 2 CPUs.
#
# Usage (as root): bash tests/lab/tests-stop.sh BUILD/havoc
# With HAVOC_LAB_INSTANCE=N, lab instance N (tests/lab/README.md). Every
# wait is a bounded loop; the lab is brought down at the end.
# shellcheck disable=SC2016 # single quotes: scripts run inside hosts
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: bash tests/lab/tests-stop.sh BUILD/havoc" >&2
	exit 64
fi
HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB="$ROOT/tests/lab/lab.sh"
T=$(mktemp -d /tmp/havoc-stop-test-XXXXXX)
CASES=${HAVOC_STOP_CASES:-42}
SEED=${HAVOC_STOP_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
failures=0
passed=0
HVPID=
T0=$(date +%s)

cleanup() {
	[ -n "$HVPID" ] && kill -9 "$HVPID" 2>/dev/null
	"$LAB" down >/dev/null 2>&1 || echo "lab: down failed" >&2
	rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() {
	failures=$((failures + 1))
	printf 'FAIL  %s\n' "$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/      /'
	return 0
}
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
section() { printf '# %s (at %ds)\n' "$1" $(($(date +%s) - T0)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# hx HOST CMD...: a command inside a lab host (no SSH), bounded
hx() { timeout -s KILL 30 "$LAB" exec "$@"; }
sql() { sqlite3 -cmd '.timeout 3000' "$1" "$2" 2>/dev/null; }

# --- the lab ------------------------------------------------------------------

section "lab up (instance ${HAVOC_LAB_INSTANCE:-1})"
if ! timeout -s KILL 300 "$LAB" up --no-mon >"$T/up.log" 2>&1; then
	bad "lab up" "$(tail -n 20 "$T/up.log")"
	exit 1
fi
eval "$("$LAB" env)"
HOSTS="web-1 web-2 web-3"
sed -e "s|@INVENTORY@|$HAVOC_LAB_INVENTORY|g" \
    -e "s|@KEY@|$HAVOC_LAB_KEY|g" \
    -e "s|@KNOWN_HOSTS@|$HAVOC_LAB_KNOWN_HOSTS|g" \
    -e "s|@SITE@|$HAVOC_LAB_SITE|g" \
    "$ROOT/tests/lab/experiments/stop-all.yaml" >"$T/stop.yaml"
"$HAVOC" validate "$T/stop.yaml" >"$T/validate.log" 2>&1
check "stop-all.yaml validates" test $? = 0 || exit 1

# hvslow on web-2: a service whose stop and start take a second each, so
# that a signal often comes while service.stop's inject (or its revert)
# still runs on the host. Its daemon is a sleep named hvslowd.
hx web-2 sh -c 'cat >/etc/init.d/hvslow && chmod 755 /etc/init.d/hvslow &&
    ln -sf /bin/sleep /usr/local/sbin/hvslowd' <<'EOF'
#!/bin/sh
# hvslow: a service whose stop and start are slow (tests-stop.sh)
PIDFILE=/run/hvslow.pid
running() { [ -s $PIDFILE ] && kill -0 "$(cat $PIDFILE)" 2>/dev/null; }
case "$1" in
start)
	running && exit 0
	sleep 1
	setsid /usr/local/sbin/hvslowd 100000000 </dev/null >/dev/null 2>&1 &
	echo $! >$PIDFILE ;;
stop)
	running || exit 0
	sleep 1
	kill "$(cat $PIDFILE)" && rm -f $PIDFILE ;;
status)
	running ;;
*)
	echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
EOF
check "hvslow installed on web-2" test $? = 0
hx web-2 service hvslow start >/dev/null 2>&1
check "hvslow runs on web-2" hx web-2 service hvslow status
hx web-2 sh -c 'printf "original\n" >/etc/hv-stop.conf &&
    chmod 640 /etc/hv-stop.conf && touch -d "2021-02-03 04:05:06" /etc/hv-stop.conf'
check "/etc/hv-stop.conf written on web-2" test $? = 0

# A host's state, taken inside it, as tests.sh takes it, plus what this
# suite's faults change: stopped processes, the service, the files.
cat >"$T/snap.sh" <<'SNAP'
rules() {
	grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | awk '
	/^\*/ { t = $0; buf = ""; next }
	/^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT *$/ { next }
	/^COMMIT/ { if (buf != "") printf "%s\n%s", t, buf; next }
	{ buf = buf $0 "\n" }'
}
echo "== iptables"; iptables-save | rules
echo "== tc"; tc qdisc show
echo "== passwd"; getent passwd
echo "== group"; getent group
echo "== shadow"; cat /etc/shadow /etc/gshadow
echo "== listening"; ss -Hltnu | sort
echo "== processes"
ps -eo pid=,ppid=,comm=,args= |
    awk -v me=$$ '$1 != me && $2 != me { $1 = ""; $2 = ""; print }' | sort
echo "== stopped"; ps -eo stat=,comm= | awk '$1 ~ /^T/'
echo "== hvslow"; [ -x /etc/init.d/hvslow ] && service hvslow status && echo up
echo "== files"
md5sum /etc/passwd /etc/group /etc/shadow /etc/hv-stop.conf 2>&1
stat -c '%n %a %U %G %Y %s' /etc/hv-stop.conf 2>&1
echo "== /tmp/havoc"; ls -A /tmp/havoc 2>/dev/null | grep -v '\.reverted$'
echo "== /var/tmp /home"; ls -A /var/tmp /home
SNAP
snap1() { hx "$1" sh -s <"$T/snap.sh" 2>&1; }
# settled HOST FILE: two snapshots in a row agree (at most 10 tries: the
# image's security exporter looks again after each change)
settled() {
	local a b i
	a=$(snap1 "$1")
	for ((i = 0; i < 10; i++)); do
		b=$(snap1 "$1")
		[ "$a" = "$b" ] && break
		a=$b
		sleep 0.2
	done
	printf '%s\n' "$a" >"$2"
}
for h in $HOSTS; do
	hx "$h" sh -c 'iptables-save >/run/hv-stop.rules'
	settled "$h" "$T/base.$h"
done
check "baseline: hvslow up, nothing stopped, no rules" \
    grep -qx up "$T/base.web-2"

# restored SECONDS: every host is as in its baseline, retried (0.3 s
# apart) for SECONDS at most; then the hosts that still differ once
# settled (and how) are in $T/left (names) and $T/left.diff.
restored() {
	local end=$(($(date +%s) + $1)) h left
	while :; do
		left=
		for h in $HOSTS; do
			snap1 "$h" >"$T/now.$h"
			diff -q "$T/base.$h" "$T/now.$h" >/dev/null || left="$left $h"
		done
		[ -z "$left" ] && return 0
		[ "$(date +%s)" -ge "$end" ] && break
		sleep 0.3
	done
	: >"$T/left"
	: >"$T/left.diff"
	for h in $left; do
		settled "$h" "$T/now.$h"
		diff "$T/base.$h" "$T/now.$h" >"$T/diff.$h" && continue
		echo "$h" >>"$T/left"
		{ echo "$h:"; head -n 12 "$T/diff.$h"; } >>"$T/left.diff"
	done
	[ ! -s "$T/left" ]
}

# reset: puts back by hand whatever a failed case left, so that the next
# case starts from the baseline again: havoc's timers and state, the
# firewall, the account, the files, nginx stopped, hvslow stopped.
reset() {
	local h
	for h in $HOSTS; do
		hx "$h" sh -c 'for d in /proc/[0-9]*; do
			tr "\0" "\n" <$d/environ 2>/dev/null |
			    grep -q "^HAVOC_JOB=" && kill -9 -"${d#/proc/}" 2>/dev/null
		done
		iptables-restore </run/hv-stop.rules
		rm -rf /tmp/havoc /var/tmp/havoc /var/tmp/hv-stop-shell
		userdel -f hvstopuser 2>/dev/null
		pkill -CONT -x nginx
		if [ -x /etc/init.d/hvslow ]; then
			service hvslow start
			printf "original\n" >/etc/hv-stop.conf
			chmod 640 /etc/hv-stop.conf
			touch -d "2021-02-03 04:05:06" /etc/hv-stop.conf
		fi' >/dev/null 2>&1
	done
	restored 10
}

# --- one run, interrupted or not ----------------------------------------------------

# start_run ID [ARGS...]: havoc run in the background, its pid in HVPID,
# started at RUN0
start_run() {
	local id=$1
	shift
	rm -f "$T/$id.db"*
	RUN0=$(now)
	"$HAVOC" run --db "$T/$id.db" "$T/stop.yaml" "$@" >"$T/$id.out" \
	    2>"$T/$id.log" &
	HVPID=$!
}
# wait_run SECONDS: waits for havoc to end (killed after SECONDS); RC
wait_run() {
	local i n=$(($1 * 20))
	for ((i = 0; i < n; i++)); do
		kill -0 "$HVPID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$HVPID" 2>/dev/null; then
		kill -9 "$HVPID" 2>/dev/null
		wait "$HVPID" 2>/dev/null
		RC=timeout
	else
		wait "$HVPID"
		RC=$?
	fi
	HVPID=
}
# rolling_back ID: havoc said its rollbacks (or a revert) began
rolling_back() {
	grep -qE '(rollbacks|reverting [0-9]+ fault)' "$T/$1.log"
}
# store_clean ID: no fault of the run is left active or pending
store_clean() {
	[ "$(sql "$T/$1.db" "select count(*) from faults where state not in
	    ('reverted')")" = 0 ]
}

section "an uninterrupted run, to measure the run's length"
start_run calib
wait_run 60
LEN=$(since "$RUN0")
check "calibration: havoc exits 0 (got $RC) in $LEN s" test "$RC" = 0
check "calibration: every fault reverted in the store" store_clean calib
if restored 15; then
	ok "calibration: every host restored exactly"
else
	bad "calibration: every host restored exactly" "$(cat "$T/left.diff")"
fi
check "calibration: the run injected six faults" test \
    "$(sql "$T/calib.db" "select count(*) from faults")" = 6

# --- the cases -------------------------------------------------------------

section "$CASES cases, seed $SEED, moments over 0-$LEN s"
KINDS=(INT TERM TERM2 KILL-RECOVER KILL-DEADMAN)
declare -A n_kind left_kind
moments=()
left_total=0
for ((c = 0; c < CASES; c++)); do
	kind=${KINDS[c % ${#KINDS[@]}]}
	# Stratified: case c falls in the c-th slice of the run's length.
	at=$(awk -v c="$c" -v n="$CASES" -v len="$LEN" -v r="$RANDOM" \
	    'BEGIN { printf "%.2f", len * (c + r / 32768) / n }')
	moments+=("$at")
	id=case$c
	# The dead-man cases hold their faults 2 s, so that the timers (7 s:
	# a fault's duration must leave 5 s before it) fire soon.
	if [ "$kind" = KILL-DEADMAN ]; then
		start_run "$id" --var dead_man=7s --var hold=2s
	else
		start_run "$id" --var dead_man=2m
	fi
	sleep "$at"
	note=
	case $kind in
	INT|TERM)
		kill -"$kind" "$HVPID" 2>/dev/null
		wait_run 60
		[ "$RC" = 0 ] || [ "$RC" = 2 ] || note="exit $RC"
		;;
	TERM2)
		kill -TERM "$HVPID" 2>/dev/null
		for ((i = 0; i < 200; i++)); do
			rolling_back "$id" && break
			kill -0 "$HVPID" 2>/dev/null || break
			sleep 0.05
		done
		kill -TERM "$HVPID" 2>/dev/null
		wait_run 60
		[ "$RC" = 0 ] || [ "$RC" = 2 ] || note="exit $RC"
		;;
	KILL-RECOVER)
		kill -KILL "$HVPID" 2>/dev/null
		wait_run 5 2>/dev/null
		timeout -s KILL 120 "$HAVOC" recover --db "$T/$id.db" \
		    >"$T/$id.rec" 2>&1
		rc=$?
		[ "$rc" = 0 ] || note="recover exit $rc"
		;;
	KILL-DEADMAN)
		kill -KILL "$HVPID" 2>/dev/null
		wait_run 5 2>/dev/null
		;;
	esac
	wait_for=15
	[ "$kind" = KILL-DEADMAN ] && wait_for=40
	if restored "$wait_for"; then
		if [ "$kind" = KILL-DEADMAN ]; then
			# The timers did it; recover converges, changing nothing.
			timeout -s KILL 120 "$HAVOC" recover --db "$T/$id.db" \
			    >"$T/$id.rec" 2>&1
			rc=$?
			[ "$rc" = 0 ] || note="recover after the dead man: exit $rc"
			restored 5 || note="$note; recover changed a host"
		fi
		store_clean "$id" || note="$note; the store has faults not reverted"
	else
		left_total=$((left_total + $(wc -l <"$T/left")))
		left_kind[$kind]=$((${left_kind[$kind]:-0} + $(wc -l <"$T/left")))
		note="faults left on: $(tr '\n' ' ' <"$T/left")"
	fi
	n_kind[$kind]=$((${n_kind[$kind]:-0} + 1))
	name="case $c: $kind at $at s ($(sql "$T/$id.db" \
	    "select count(*) from faults") faults journaled)"
	if [ -z "$note" ]; then
		ok "$name: every host as before"
	else
		bad "$name: $note" "$(cat "$T/left.diff" 2>/dev/null)" \
		    "$(tail -n 8 "$T/$id.log")" \
		    "$(sql "$T/$id.db" "select id, target, driver, state,
		    coalesce(error, '') from faults")"
		# The next case starts from the baseline again.
		reset || bad "case $c: the hosts could not be reset" \
		    "$(cat "$T/left.diff")"
	fi
done

# --- figures ------------------------------------------------------------

section "figures"
printf 'seed %s, run length %s s, %d cases:' "$SEED" "$LEN" "$CASES"
for k in "${KINDS[@]}"; do
	printf ' %s %d (left %d)' "$k" "${n_kind[$k]:-0}" "${left_kind[$k]:-0}"
done
printf '\nmoments (s): %s\n' "$(printf '%s\n' "${moments[@]}" | sort -n |
    tr '\n' ' ')"
printf 'hosts with a fault left after a case: %d\n' "$left_total"
check "no fault left on any host in $CASES cases" test "$left_total" = 0

section "done"
printf '%d passed, %d failed (%ds)\n' "$passed" "$failures" \
    $(($(date +%s) - T0))
[ "$failures" = 0 ]
