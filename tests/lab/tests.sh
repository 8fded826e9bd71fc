#!/usr/bin/env bash
# Lab tests: the real havoc binary against the lab's real hosts (network
# namespaces with sshd, nginx, iptables and tc: tests/lab/README.md), with
# a real SQLite file per test and the experiments of tests/lab/experiments
# (their @...@ placeholders filled in with the lab's paths).
#
#   - every SSH action: its effect seen from outside while it is active,
#     then the host restored exactly (a snapshot of the host's state, taken
#     inside it, before and after);
#   - crashes: kill -9 with the dead-man timer and with havoc recover,
#     SIGINT and SIGTERM, a fault that cuts havoc's own SSH path;
#   - hostile values, host keys, blast radius, target selection.
#
# Usage (as root): bash tests/lab/tests.sh BUILD/havoc
# The lab is brought up first and down at the end (on failure too); with
# HAVOC_LAB_INSTANCE=N, lab instance N (tests/lab/README.md), beside the
# others. Every wait is a bounded loop. Prints ok / FAIL / XFAIL / skip
# lines; exits 1 when a test failed. About 2.5 minutes on 2 CPUs.
# shellcheck disable=SC2016 # single quotes: values that must not expand
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: bash tests/lab/tests.sh BUILD/havoc" >&2
	exit 64
fi
HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAB="$ROOT/tests/lab/lab.sh"
EXP="$ROOT/tests/lab/experiments"
T=$(mktemp -d /tmp/havoc-lab-test-XXXXXX)
failures=0
passed=0
xfailed=0
skipped=0
HVPID=
HVSUB=
HVRC=
RC=
T0=$(date +%s)

cleanup() {
	if [ -n "$HVPID" ]; then
		kill -9 "$HVPID" 2>/dev/null
		wait "$HVSUB" 2>/dev/null
	fi
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
# check NAME COMMAND...: passes when the command succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
# An expected failure: a known bug, reported so that it is seen.
xfail() { xfailed=$((xfailed + 1)); printf 'XFAIL %s: %s\n' "$1" "$2"; }
# xcheck NAME REASON COMMAND...: a check of a known bug, not fixed yet
xcheck() {
	local n=$1 why=$2
	shift 2
	if "$@"; then
		printf 'XPASS %s: fixed? make it a plain check\n' "$n"
		passed=$((passed + 1))
	else
		xfail "$n" "$why"
	fi
}
# A test that this machine cannot run, and why.
skip() { skipped=$((skipped + 1)); printf 'skip  %s: %s\n' "$1" "$2"; }
section() { printf '# %s (at %ds)\n' "$1" $(($(date +%s) - T0)); }

# sql ID QUERY: a query on the database of test ID
sql() { sqlite3 -cmd '.timeout 3000' "$T/$1.db" "$2" 2>/dev/null; }
# faults ID: the states of the test's faults, in order: "reverted,reverted"
faults() {
	[ -f "$T/$1.db" ] || return 0
	sql "$1" "select coalesce(group_concat(state, ','), '') from
	    (select state from faults order by id)"
}

# hx HOST CMD...: a command inside a lab host (no SSH), bounded
hx() { timeout -s KILL 30 "$LAB" exec "$@"; }
# inside HOST SCRIPT: a shell script inside a host; its status. Negative
# checks are written this way, so that a lab that did not answer fails
# them rather than passes them.
inside() { hx "$1" sh -c "$2"; }

# --- havoc runs --------------------------------------------------------------

# hv ID EXP [ARGS...]: havoc run of experiment EXP with database $T/ID.db,
# output in $T/ID.out and $T/ID.log; bounded; sets RC.
hv() {
	local id=$1 exp=$2
	shift 2
	timeout -s KILL 120 "$HAVOC" run --db "$T/$id.db" "$T/exp/$exp.yaml" \
	    "$@" >"$T/$id.out" 2>"$T/$id.log"
	RC=$?
}
# hv_bg ID EXP [ARGS...]: the same in the background: HVPID is havoc's
# pid (for signals), run by a subshell that keeps its exit code in
# $T/ID.rc (and keeps bash from reporting a job killed by a signal).
hv_bg() {
	local id=$1 exp=$2 i
	shift 2
	rm -f "$T/$id.pid" "$T/$id.rc"
	(
		"$HAVOC" run --db "$T/$id.db" "$T/exp/$exp.yaml" "$@" \
		    >"$T/$id.out" 2>"$T/$id.log" &
		echo $! >"$T/$id.pid"
		wait $!
		echo $? >"$T/$id.rc"
	) 2>/dev/null &
	HVSUB=$!
	HVRC="$T/$id.rc"
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/$id.pid" ] && break
		sleep 0.05
	done
	HVPID=$(cat "$T/$id.pid" 2>/dev/null)
}
# hv_wait [SECONDS]: waits (60 s by default) for the background havoc;
# kills it after that (RC=timeout); sets RC.
hv_wait() {
	local i n=$((${1:-60} * 10))
	for ((i = 0; i < n; i++)); do
		kill -0 "$HVSUB" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$HVSUB" 2>/dev/null; then
		[ -n "$HVPID" ] && kill -9 "$HVPID" 2>/dev/null
		wait "$HVSUB"
		RC=timeout
	else
		wait "$HVSUB"
		RC=$(cat "$HVRC" 2>/dev/null)
		RC=${RC:-unknown}
	fi
	HVPID=
	HVSUB=
}
# wait_active ID [N]: waits (15 s) until N faults of test ID are active;
# fails at once when the background havoc ended.
wait_active() {
	local i c
	for ((i = 0; i < 150; i++)); do
		c=$(sql "$1" "select count(*) from faults where state = 'active'")
		[ "${c:-0}" -ge "${2:-1}" ] && return 0
		kill -0 "$HVPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# expect_rc NAME WANT: the last run's exit code, with its log when wrong
expect_rc() {
	local id=$1 want=$2
	if [ "$RC" = "$want" ]; then
		ok "$id: havoc exits $want"
	else
		bad "$id: havoc exits $want (got $RC)" \
		    "$(tail -n 15 "$T/$id.log" "$T/$id.out" 2>/dev/null)"
	fi
}
# expect_faults ID STATES: the fault journal of test ID
expect_faults() {
	local got
	got=$(faults "$1")
	if [ "$got" = "$2" ]; then
		ok "$1: faults in the store: ${2:-none}"
	else
		bad "$1: faults in the store: ${2:-none} (got: ${got:-none})" \
		    "$(sql "$1" "select id, target, state, error from faults")"
	fi
}
# during ID: the checks made while test ID's fault was active mean
# something only if it still is (a duration may end before slow checks)
during() {
	check "$1: ... all seen while the fault was still active" test \
	    "$(sql "$1" "select state from faults order by id desc limit 1")" = active
}
# active_then NAME: the background run reached its fault (or says why not)
active_then() {
	if wait_active "$1" "${2:-1}"; then
		return 0
	fi
	bad "$1: the fault became active" \
	    "$(tail -n 15 "$T/$1.log" 2>/dev/null)"
	return 1
}

# --- host snapshots ------------------------------------------------------------

# Everything an action may change on a host, taken inside it: firewall
# (an empty table with ACCEPT policies, which stays in the nft ruleset
# once iptables was used, counts as no table), qdiscs, accounts,
# listeners, processes (without pids, without this snapshot's own shell
# and its children), files actions touch, havoc's state folder
# (/tmp/havoc may stay behind, with the empty TAG.reverted mark of each
# fault reverted: remote.h).
cat >"$T/snap.sh" <<'SNAP'
rules() {
	grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' | awk '
	/^\*/ { t = $0; buf = ""; next }
	/^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ACCEPT *$/ { next }
	/^COMMIT/ { if (buf != "") printf "%s\n%s", t, buf; next }
	{ buf = buf $0 "\n" }'
}
echo "== iptables"; iptables-save | rules
echo "== ip6tables"; ip6tables-save 2>/dev/null | rules
echo "== tc"; tc qdisc show; tc class show dev eth0; tc filter show dev eth0
echo "== ip"; ip -br addr | sed 's/@[^ ]*//'; ip route
echo "== passwd"; getent passwd
echo "== group"; getent group
echo "== shadow"; cat /etc/shadow /etc/gshadow
echo "== listening"; ss -Hltnu | sort
echo "== processes"
ps -eo pid=,ppid=,comm=,args= |
    awk -v me=$$ '$1 != me && $2 != me { $1 = ""; $2 = ""; print }' | sort
echo "== files"
md5sum /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid \
    /etc/subgid /var/log/lastlog /var/log/faillog /etc/motd \
    /var/www/html/index.html /etc/hv-tamper.conf /etc/hv-new.conf 2>&1
stat -c '%n %a %U %G %Y %s' /etc/motd /var/www/html/index.html \
    /etc/hv-tamper.conf /etc/hv-new.conf 2>&1
echo "== /tmp"; ls -A /tmp | grep -vx havoc
echo "== /tmp/havoc"; ls -A /tmp/havoc 2>/dev/null | grep -v '\.reverted$'
echo "== /var/tmp /home /var/mail"; ls -A /var/tmp /home /var/mail
SNAP
snap1() { hx "$1" sh -s <"$T/snap.sh" 2>&1; }
# snap HOST: a settled snapshot, the same twice in a row (at most 10
# tries): the image's security exporter checks the host again after each
# change, with short-lived children of its own.
snap() {
	local a b i
	a=$(snap1 "$1")
	for ((i = 0; i < 10; i++)); do
		b=$(snap1 "$1")
		[ "$a" = "$b" ] && break
		a=$b
		sleep 0.2
	done
	printf '%s\n' "$a"
}
# fresh: web-1's snapshot before a test, for restored
fresh() { snap web-1 >"$T/s.web1"; }
# same_as HOST FILE [TRIES]: the host's snapshot is FILE again. Retried
# (0.3 s apart, 10 times by default): an SSH session of havoc's may take
# a moment to end. The last difference is in $T/last.diff.
same_as() {
	local host=$1 file=$2 tries=${3:-10} i
	for ((i = 0; i < tries; i++)); do
		[ "$i" -gt 0 ] && sleep 0.3
		printf '%s\n' "$(snap1 "$host")" >"$T/now.snap"
		diff "$file" "$T/now.snap" >"$T/last.diff" && return 0
	done
	return 1
}
# restored NAME HOST FILE [TRIES]: the check, with the difference
restored() {
	if same_as "$2" "$3" "${4:-10}"; then
		ok "$1"
	else
		bad "$1" "$(head -n 25 "$T/last.diff")"
	fi
}

# --- observations from outside -------------------------------------------------

# code URL: the HTTP status from the controller (000: no answer in 2 s)
code() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1"; }
# lbcode URL: the HTTP status from the balancer's host
lbcode() { hx lb curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1"; }
# site_ok: the site answers 200 through the balancer, three times in a row
# (round robin: every web host's turn)
site_ok() {
	local i
	for i in 1 2 3; do
		[ "$(curl -s -o /dev/null --max-time 4 -w '%{http_code}' \
		    "$HAVOC_LAB_SITE")" = 200 ] || return 1
	done
}
# dltime HOST|- URL: seconds to download URL from a host, or from the
# controller (-); 99 when it failed
dltime() {
	local t
	if [ "$1" = - ]; then
		t=$(curl -s -o /dev/null --max-time 10 -w '%{time_total}' "$2") || t=99
	else
		t=$(hx "$1" curl -s -o /dev/null --max-time 10 -w '%{time_total}' \
		    "$2") || t=99
	fi
	echo "${t:-99}"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# slow T: a download that worked (T < 99) and took 1.5 s or more
slow() { ge "$1" 1.5 && lt "$1" 99; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
nginx_up() { hx "$1" pgrep -x nginx >/dev/null; }
quiet() { "$@" >/dev/null 2>&1; }
nginx_down() { inside "$1" '! pgrep -x nginx >/dev/null'; }
# wait_until TENTHS COMMAND...: retries a command, at most TENTHS / 10 s
wait_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# rules HOST: how many iptables rules havoc added (-1: no answer)
rules() {
	local r
	r=$(hx "$1" iptables-save) || { echo -1; return; }
	printf '%s\n' "$r" | grep -c -- "--comment havoc-"
}
# qdisc KIND: havoc's root qdisc on web-1's eth0 is of this kind
# (havoc's handles: a major of the fault's own in 4000-7ffe)
qdisc() { hx web-1 tc qdisc show dev eth0 | grep -qE "^qdisc $1 [4-7][0-9a-f]{3}: root"; }
# fault_active ID FAULT: fault number FAULT of test ID is active
fault_active() {
	[ "$(sql "$1" "select state from faults where id = $2")" = active ]
}
has_rules() { [ "$(rules "$1")" -gt 0 ]; }
no_rules() { [ "$(rules "$1")" -eq 0 ]; }
# tcp_line HOST PORT: the first line a TCP port says (empty: no answer)
tcp_line() {
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && head -n 1 <&3' _ "$1" "$2" \
	    2>/dev/null
}

# --- the lab -------------------------------------------------------------------

section "lab up"
if ! timeout -s KILL 300 "$LAB" up >"$T/up.log" 2>&1; then
	bad "lab up" "$(tail -n 20 "$T/up.log")"
	exit 1
fi
eval "$("$LAB" env)"
# lab_ok NAME: lab.sh status says every host answers
lab_ok() {
	if "$LAB" status >"$T/status.txt" 2>&1; then
		ok "$1"
	else
		bad "$1" "$(cat "$T/status.txt")"
	fi
}
lab_ok "lab status: every host answers"
mkdir -p "$T/exp"
for f in "$EXP"/*.yaml; do
	sed -e "s|@INVENTORY@|$HAVOC_LAB_INVENTORY|g" \
	    -e "s|@KEY@|$HAVOC_LAB_KEY|g" \
	    -e "s|@KNOWN_HOSTS@|$HAVOC_LAB_KNOWN_HOSTS|g" \
	    -e "s|@SITE@|$HAVOC_LAB_SITE|g" "$f" >"$T/exp/$(basename "$f")"
done
# blast-radius.yaml asks for more hosts than max_targets on purpose.
"$HAVOC" validate $(ls "$T"/exp/*.yaml | grep -v /blast-radius.yaml) \
    >"$T/validate.log" 2>&1
check "every lab experiment validates" test $? = 0
"$HAVOC" validate "$T/exp/blast-radius.yaml" >"$T/validate.log" 2>&1
check "validate refuses the blast radius (exit 65)" test $? = 65
check "  ... at safety.max_targets" \
    grep -q "blast-radius.yaml:[0-9]*:[0-9]*: safety: actions may touch 3 hosts, more than max_targets 1" "$T/validate.log"
[ "$(code "$HAVOC_LAB_SITE")" = 200 ]
check "the site answers through the balancer" test $? = 0

# Files the tests change: a config file to tamper with (a mode, owner and
# time of its own), a file to download for the bandwidth tests.
hx web-1 sh -c 'printf "original\nsecond line\n" >/etc/hv-tamper.conf &&
    chown root:adm /etc/hv-tamper.conf && chmod 640 /etc/hv-tamper.conf &&
    touch -d "2020-01-02 03:04:05" /etc/hv-tamper.conf &&
    head -c 262144 /dev/urandom >/var/www/html/hv-256k.bin'
check "test files written on web-1" test $? = 0

# Whether this kernel has netem: a throwaway network namespace tries it.
NETEM=0
unshare -n sh -c 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms' \
    >/dev/null 2>&1 && NETEM=1
NO_NETEM="this kernel has no sch_netem; the latency effect cannot be measured here"

# Addresses from the lab's inventory (HAVOC_LAB_INSTANCE picks another
# lab, on another subnet); the controller is the hosts' gateway.
addr() {
	awk -v h="$1:" '$1 == h { for (i = 2; i < NF; i++) if ($i == "{address:") {
	    a = $(i + 1); sub(/,$/, "", a); print a } }' "$HAVOC_LAB_INVENTORY"
}
A_LB=$(addr lb)
A1=$(addr web-1)
A2=$(addr web-2)
A3=$(addr web-3)
CTRL=$(hx web-1 ip route | awk '$1 == "default" { print $3 }')
check "lab addresses: lb $A_LB, web $A1 $A2 $A3, controller $CTRL" \
    test -n "$A_LB" -a -n "$A1" -a -n "$A2" -a -n "$A3" -a -n "$CTRL"
W1=http://$A1
W2=http://$A2

# --- process.kill ----------------------------------------------------------------

section "process.kill"
fresh
hv_bg kill process-kill
wait_until 100 nginx_down web-1
check "process.kill: nginx is gone on web-1" test $? = 0
check "process.kill: the site still answers 200 through the balancer" site_ok
hv_wait
expect_rc kill 0
check "process.kill: the rollback started nginx again on web-1" nginx_up web-1
check "process.kill: web-1 answers again" test "$(code "$W1/")" = 200
check "process.kill: the rollback step is stored ok" test \
    "$(sql kill "select status from steps where driver = 'service.start'")" = ok
expect_faults kill ""
restored "process.kill: web-1 restored exactly" web-1 "$T/s.web1"

fresh
hv_bg stop process-stop
if active_then stop; then
	st=$(hx web-1 ps -o stat= -C nginx | tr -d ' ' | sort -u | tr '\n' ' ')
	check "process.kill STOP: nginx stopped (state T) while active: $st" \
	    test -n "$st" -a -z "$(echo "$st" | tr ' ' '\n' | grep -v '^T')"
	during stop
fi
hv_wait
expect_rc stop 0
st=$(hx web-1 ps -o stat= -C nginx | tr -d ' ' | sort -u | tr '\n' ' ')
check "process.kill STOP: nginx runs again after (state S: $st)" \
    test -n "$st" -a -z "$(echo "$st" | tr ' ' '\n' | grep '^T')"
expect_faults stop reverted
restored "process.kill STOP: web-1 restored exactly" web-1 "$T/s.web1"

# STOP is reverted with CONT to exactly the processes it stopped: one that
# was stopped before (by someone else) stays stopped, and one that died
# meanwhile is no failure.
decoy() {
	hx web-1 sh -c "setsid bash -c 'exec -a \"hvdecoy: $1\" sleep 300' \
	    </dev/null >/dev/null 2>&1 &"
}
decoy_pid() { hx web-1 pgrep -f "^hvdecoy: $1"; }
decoy_state() { hx web-1 ps -o stat= -p "$1" | cut -c1; }
fresh
decoy a
decoy b
wait_until 50 decoy_pid b >/dev/null
da=$(decoy_pid a)
db=$(decoy_pid b)
hx web-1 kill -STOP "$db"
hv_bg stopexact process-stop --var pattern='^hvdecoy: '
if active_then stopexact; then
	check "process.kill STOP: the running decoy is stopped" \
	    test "$(decoy_state "$da")" = T
	hx web-1 kill -KILL "$da"
	during stopexact
fi
hv_wait
expect_rc stopexact 0
expect_faults stopexact reverted
check "process.kill STOP: one stopped before stays stopped" \
    test "$(decoy_state "$db")" = T
hx web-1 kill -KILL "$db"
restored "process.kill STOP: web-1 as it was (decoys gone)" web-1 "$T/s.web1"

# A pattern that matches the dead-man timer's own "sleep 120": havoc's
# marked processes are never signalled, so nothing matches.
fresh
hv stopself process-stop --var pattern='^sleep 120$'
expect_rc stopself 2
check "process.kill STOP: havoc's own timer is not matched" \
    grep -q 'no running process matched' "$T/stopself.log"
check "process.kill STOP: no process stopped on web-1" \
    test -z "$(hx web-1 ps -eo stat= | grep '^T')"
restored "process.kill STOP: web-1 as it was (timer disarmed)" web-1 "$T/s.web1"

# pkill -f: the pattern is also on the command line of the shell that
# runs pkill, which must not signal itself.
worker() { hx web-1 pgrep -f '^nginx: worker'; }
fresh
w0=$(worker)
hv pattern process-pattern
expect_rc pattern 0
wait_until 50 nginx_up web-1
w1=$(worker)
check "process.kill by pattern: the nginx worker was replaced ($w0 -> $w1)" \
    test -n "$w1" -a "$w0" != "$w1"
restored "process.kill by pattern: web-1 as it was" web-1 "$T/s.web1"

# --- services ------------------------------------------------------------------

section "service.*"
fresh
hv_bg svcstop service-stop
if active_then svcstop; then
	check "service.stop: nginx is stopped on web-1 while active" nginx_down web-1
	check "service.stop: the site answers 200 meanwhile" site_ok
	during svcstop
fi
hv_wait
expect_rc svcstop 0
check "service.stop: nginx runs again after" nginx_up web-1
expect_faults svcstop reverted
restored "service.stop: web-1 restored exactly" web-1 "$T/s.web1"

fresh
hx web-1 service nginx stop >/dev/null 2>&1
wait_until 50 nginx_down web-1
# service.stop on a service that is not running: refused, and its revert
# must not start it (the host would not be as it was).
snap web-1 >"$T/s.stopped"
hv svcstopped service-stop
expect_rc svcstopped 2
check "service.stop: a service that is not running is refused" \
    grep -q 'nginx is not running' "$T/svcstopped.log"
check "service.stop: ... and left stopped" nginx_down web-1
expect_faults svcstopped reverted
restored "service.stop: web-1 as it was (nginx stopped)" web-1 "$T/s.stopped"
hv svcstart service-start
expect_rc svcstart 0
check "service.start: nginx runs on web-1" nginx_up web-1
check "service.start: web-1 answers" test "$(code "$W1/")" = 200
restored "service.start: web-1 as it was before nginx was stopped" web-1 \
    "$T/s.web1"

fresh
pid0=$(hx web-1 cat /run/nginx.pid)
hv svcrestart service-restart
expect_rc svcrestart 0
pid1=$(hx web-1 cat /run/nginx.pid)
check "service.restart: a new nginx master ($pid0 -> $pid1)" \
    test -n "$pid1" -a "$pid0" != "$pid1"
check "service.restart: web-1 answers" test "$(code "$W1/")" = 200
restored "service.restart: web-1 restored exactly" web-1 "$T/s.web1"

# --- network.partition -----------------------------------------------------------

section "network.partition"
fresh
hv_bg part partition
if active_then part; then
	check "partition: two havoc rules on web-1 (in and out)" \
	    test "$(rules web-1)" = 2
	check "partition: the lb still reaches web-2" test "$(lbcode "$W2/")" = 200
	check "partition: the site answers 200 (the lb routes around web-1)" site_ok
	check "partition: the lb cannot reach web-1" test "$(lbcode "$W1/")" = 000
	during part
fi
hv_wait
expect_rc part 0
check "partition: the lb reaches web-1 again" test "$(lbcode "$W1/")" = 200
expect_faults part reverted
restored "partition: web-1 restored exactly" web-1 "$T/s.web1"

fresh
hv_bg partin partition --var direction=in
if active_then partin; then
	r=$(hx web-1 iptables-save | grep -- "--comment havoc-")
	check "partition in: one rule, in INPUT only" \
	    test "$(echo "$r" | grep -c "^-A INPUT -s $A_LB/32 ")" = 1 -a \
	    "$(echo "$r" | wc -l)" = 1
	check "partition in: the lb cannot reach web-1" test "$(lbcode "$W1/")" = 000
	during partin
fi
hv_wait
expect_rc partin 0
check "partition in: the lb reaches web-1 again" test "$(lbcode "$W1/")" = 200
expect_faults partin reverted
restored "partition in: web-1 restored exactly" web-1 "$T/s.web1"

fresh
hv_bg partport partition-ports --var controller="$CTRL"
if active_then partport; then
	check "partition port 80: the rules name port 80" \
	    test "$(hx web-1 iptables-save | grep -c -- '--ports 80 .*--comment havoc-')" = 2
	# shellcheck disable=SC2086 # HAVOC_LAB_SSH is a command line
	check "partition port 80: ssh from the controller to web-1 works" \
	    timeout 15 $HAVOC_LAB_SSH "root@$A1" true
	check "partition port 80: the lb still reaches web-1:80" \
	    test "$(lbcode "$W1/")" = 200
	check "partition port 80: the controller cannot reach web-1:80" \
	    test "$(code "$W1/")" = 000
	during partport
fi
hv_wait
expect_rc partport 0
check "partition port 80: the controller reaches web-1:80 again" \
    test "$(code "$W1/")" = 200
expect_faults partport reverted
restored "partition port 80: web-1 restored exactly" web-1 "$T/s.web1"

# --- network.loss ------------------------------------------------------------------

section "network.loss"
fresh
hv_bg loss100 loss --var percent=100
if active_then loss100; then
	check "loss 100%: the lb still reaches web-2" test "$(lbcode "$W2/")" = 200
	check "loss 100%: the site answers 200" site_ok
	check "loss 100%: the lb cannot reach web-1" test "$(lbcode "$W1/")" = 000
	during loss100
fi
hv_wait
expect_rc loss100 0
check "loss 100%: the lb reaches web-1 again" test "$(lbcode "$W1/")" = 200
expect_faults loss100 reverted
restored "loss 100%: web-1 restored exactly" web-1 "$T/s.web1"

fresh
hv_bg loss50 loss --var percent=50
if active_then loss50; then
	check "loss 50%: statistic rules (probability 0.5) in and out" test \
	    "$(hx web-1 iptables-save | grep -c -- '-m statistic --mode random --probability 0.50* .*--comment havoc-.* -j DROP')" = 2
	during loss50
fi
hv_wait
expect_rc loss50 0
expect_faults loss50 reverted
restored "loss 50%: web-1 restored exactly" web-1 "$T/s.web1"

# --- network.bandwidth -----------------------------------------------------------

section "network.bandwidth"
BIG=$W1/hv-256k.bin
t=$(dltime - "$BIG")
check "bandwidth: 256 KB from web-1 in less than 1 s before ($t s)" lt "$t" 1
fresh
hv_bg bw bandwidth
if active_then bw; then
	check "bandwidth: a tbf qdisc of havoc's on web-1's eth0" qdisc tbf
	t=$(dltime - "$BIG")
	check "bandwidth: 256 KB at 1mbit take 1.5 s or more ($t s)" slow "$t"
	# A second run's fault on the same interface is refused, and its
	# revert leaves the first run's qdisc where it is.
	before=$(hx web-1 tc qdisc show dev eth0)
	hv bw2 bandwidth
	expect_rc bw2 2
	check "bandwidth: a second fault on eth0 is refused" \
	    grep -q 'has a root qdisc of its own' "$T/bw2.log"
	check "bandwidth: the first run's qdisc survives the second's revert" \
	    test "$(hx web-1 tc qdisc show dev eth0)" = "$before"
	during bw
fi
hv_wait
expect_rc bw 0
t=$(dltime - "$BIG")
check "bandwidth: fast again after ($t s)" lt "$t" 1
expect_faults bw reverted
restored "bandwidth: web-1 restored exactly" web-1 "$T/s.web1"

fresh
hv_bg bwd bandwidth-dest
if active_then bwd; then
	check "bandwidth to the lb: an htb tree of havoc's on web-1's eth0" qdisc htb
	t=$(dltime lb "$BIG")
	check "bandwidth to the lb: slow from the lb ($t s)" slow "$t"
	t=$(dltime - "$BIG")
	check "bandwidth to the lb: fast from the controller ($t s)" lt "$t" 1
	during bwd
fi
hv_wait
expect_rc bwd 0
t=$(dltime lb "$BIG")
check "bandwidth to the lb: fast again from the lb ($t s)" lt "$t" 1
expect_faults bwd reverted
restored "bandwidth to the lb: web-1 restored exactly" web-1 "$T/s.web1"

# A root qdisc of the host's own is left alone (and not removed by the
# revert of the refused fault).
hx web-1 tc qdisc add dev eth0 root handle 1: tbf rate 100mbit burst 32kbit \
    latency 400ms
snap web-1 >"$T/s.ownq"
hv bwown bandwidth
expect_rc bwown 2
check "bandwidth: a root qdisc of the host's own is refused" \
    grep -q 'has a root qdisc of its own' "$T/bwown.log"
restored "bandwidth: the host's qdisc is left alone" web-1 "$T/s.ownq"
hx web-1 tc qdisc del dev eth0 root
restored "bandwidth: web-1 clean again" web-1 "$T/s.web1"

# --- network.delay and netem loss ------------------------------------------------

section "network.delay (netem)"
"$HAVOC" plan "$T/exp/delay.yaml" >"$T/delay.plan" 2>&1
check "delay: plan shows the netem command" grep -qE \
    'tc qdisc add dev eth0 root handle [4-7][0-9a-f]{3}: netem delay 200ms 10ms' "$T/delay.plan"
check "delay: plan shows the revert" grep -qE \
    "revert after 4.0s: hv_tc_del eth0 [4-7][0-9a-f]{3}:\$" "$T/delay.plan"
"$HAVOC" plan "$T/exp/delay-dest.yaml" >"$T/delayd.plan" 2>&1
check "delay to the lb: plan shows the htb tree and the netem leaf" grep -qE \
    'parent [4-7][0-9a-f]{3}:2 handle [4-7][0-9a-f]{3}: netem delay 200ms' "$T/delayd.plan"
for d in delay delay-dest loss-netem; do
	if [ "$NETEM" = 0 ]; then
		fresh
		hv "$d" "$d"
		expect_rc "$d" 2
		check "$d: the error says why" \
		    grep -q 'Specified qdisc kind is unknown' "$T/$d.log"
		check "$d: the verdict says aborted" grep -q '^aborted: action' "$T/$d.out"
		expect_faults "$d" reverted
		restored "$d: web-1 exactly as before (no half-made qdisc tree)" \
		    web-1 "$T/s.web1"
		skip "$d: the effect" "skipped: $NO_NETEM"
		continue
	fi
	fresh
	hv_bg "$d" "$d"
	if active_then "$d"; then
		case $d in
		delay)
			t=$(dltime - "$W1/healthz")
			check "$d: web-1 answers 200 ms later ($t s)" \
			    awk -v t="$t" 'BEGIN { exit !(t >= 0.2 && t < 99) }' ;;
		delay-dest)
			t=$(dltime lb "$W1/healthz")
			check "$d: web-1 answers the lb 200 ms later ($t s)" \
			    awk -v t="$t" 'BEGIN { exit !(t >= 0.2 && t < 99) }'
			t=$(dltime - "$W1/healthz")
			check "$d: but not the controller ($t s)" lt "$t" 0.15 ;;
		loss-netem)
			check "$d: the lb cannot reach web-1" test "$(lbcode "$W1/")" = 000 ;;
		esac
		during "$d"
	fi
	hv_wait
	expect_rc "$d" 0
	expect_faults "$d" reverted
	restored "$d: web-1 restored exactly" web-1 "$T/s.web1"
done

# --- stress and disk ---------------------------------------------------------------

section "stress.* and disk.fill"
stress_n() { hx web-1 sh -c 'pgrep -c stress-ng; [ $? -le 1 ]' || echo none; }
for w in cpu memory io; do
	fresh
	hv_bg "st$w" "stress-$w"
	if active_then "st$w"; then
		check "stress.$w: stress-ng runs on web-1 ($(stress_n) processes)" \
		    test "$(stress_n)" -ge 2
		case $w in
		cpu)
			check "stress.cpu: a stress-ng-cpu worker" \
			    quiet hx web-1 pgrep -x stress-ng-cpu ;;
		memory)
			rss=$(hx web-1 ps -o rss= -C stress-ng-vm | sort -n | tail -n 1)
			check "stress.memory: a worker holds 64M (${rss:-0} KB resident)" \
			    test "${rss:-0}" -ge 60000 ;;
		io)
			check "stress.io: a stress-ng-hdd worker" \
			    quiet hx web-1 pgrep -x stress-ng-hdd ;;
		esac
		during "st$w"
	fi
	hv_wait
	expect_rc "st$w" 0
	check "stress.$w: no stress-ng left on web-1" test "$(stress_n)" = 0
	expect_faults "st$w" reverted
	restored "stress.$w: web-1 restored exactly" web-1 "$T/s.web1"
done

used() { hx web-1 df -k --output=used /tmp | tail -n 1 | tr -d ' '; }
u0=$(used)
fresh
hv_bg fill disk-fill
if active_then fill; then
	u1=$(used)
	check "disk.fill: /tmp holds 100 MB more ($u0 -> $u1 KB)" \
	    test $((u1 - u0)) -ge 100000
	check "disk.fill: the file is there, 100 MiB" test \
	    "$(hx web-1 sh -c 'stat -c %s /tmp/havoc-fill-*')" = 104857600
	during fill
fi
hv_wait
expect_rc fill 0
check "disk.fill: /tmp is back to $(used) KB" test $(($(used) - u0)) -lt 1000
expect_faults fill reverted
restored "disk.fill: web-1 restored exactly (the file is gone)" web-1 "$T/s.web1"

# --- security.* --------------------------------------------------------------------

section "security.*"
check "add_user: the image has a sudo group" quiet hx web-1 getent group sudo
in_sudo() { hx web-1 id -nG hvintruder | grep -qw sudo; }
fresh
hv_bg adduser add-user
if active_then adduser; then
	check "add_user: hvintruder exists with uid 0" test \
	    "$(hx web-1 getent passwd hvintruder | cut -d: -f3)" = 0
	check "add_user: hvintruder is in sudo ($(hx web-1 id -nG hvintruder))" \
	    in_sudo
	during adduser
fi
hv_wait
expect_rc adduser 0
check "add_user: hvintruder is gone" \
    inside web-1 '! getent passwd hvintruder >/dev/null'
expect_faults adduser reverted
restored "add_user: web-1 restored exactly (passwd, group, shadow, gshadow)" \
    web-1 "$T/s.web1"

# A user that exists already: refused, and left alone by the revert.
hx web-1 useradd -M hvexisting
snap web-1 >"$T/s.user"
hv userexists add-user --var name=hvexisting
expect_rc userexists 2
check "add_user: an existing user is refused" \
    grep -q 'user hvexisting exists already' "$T/userexists.log"
check "add_user: the existing user is still there" \
    quiet hx web-1 getent passwd hvexisting
restored "add_user: web-1 as it was (the existing user untouched)" web-1 \
    "$T/s.user"
hx web-1 userdel hvexisting
restored "add_user: web-1 clean again" web-1 "$T/s.web1"

fresh
hv_bg port open-port
if active_then port; then
	l=$(tcp_line "$A1" 4444)
	check "open_port: 4444 answers \"$l\"" test "$l" = "havoc open_port"
	during port
fi
hv_wait
expect_rc port 0
check "open_port: 4444 is closed after" test -z "$(tcp_line "$A1" 4444)"
expect_faults port reverted
restored "open_port: web-1 restored exactly" web-1 "$T/s.web1"
hv portbusy open-port --var port=80
expect_rc portbusy 2
check "open_port: a port in use (80) is refused" \
    grep -q 'port 80 is in use already' "$T/portbusy.log"
check "open_port: ... and nginx still answers on it" test "$(code "$W1/")" = 200
restored "open_port: web-1 as it was" web-1 "$T/s.web1"

tamper_check() {
	case $1 in
	append) [ "$(hx web-1 tail -n 1 /etc/hv-tamper.conf)" = "# planted by havoc" ] &&
		[ "$(hx web-1 head -n 1 /etc/hv-tamper.conf)" = original ] ;;
	replace) [ "$(hx web-1 cat /etc/hv-tamper.conf)" = "replaced by havoc" ] ;;
	chmod) [ "$(hx web-1 stat -c %a /etc/hv-tamper.conf)" = 777 ] ;;
	delete) inside web-1 '! test -e /etc/hv-tamper.conf' ;;
	new) [ "$(hx web-1 cat /etc/hv-new.conf)" = "replaced by havoc" ] ;;
	esac
}
for m in append replace chmod delete new; do
	args=(--var mode="$m" --var content=$'replaced by havoc\n')
	[ "$m" = append ] && args=(--var mode=append)
	[ "$m" = new ] && args=(--var mode=replace --var path=/etc/hv-new.conf \
	    --var content=$'replaced by havoc\n')
	fresh
	hv_bg "tamper$m" tamper-file "${args[@]}"
	if active_then "tamper$m"; then
		check "tamper_file $m: the file is changed while active" tamper_check "$m"
		during "tamper$m"
	fi
	hv_wait
	expect_rc "tamper$m" 0
	expect_faults "tamper$m" reverted
	restored "tamper_file $m: content, mode, owner and mtime restored" web-1 \
	    "$T/s.web1"
done

# Two faults on one path: the second is refused (the dead-man timers of
# both would put the older copy back last); the first is reverted.
fresh
hv tampertwice tamper-twice
expect_rc tampertwice 2
check "tamper_file twice: the second change is refused" \
    grep -q 'changed by another havoc fault' "$T/tampertwice.log"
expect_faults tampertwice reverted,reverted
restored "tamper_file twice: restored exactly" web-1 "$T/s.web1"
# A link is not a regular file: refused, and left as it was.
hx web-1 ln -s /etc/hv-tamper.conf /etc/hv-tamper.link
hv tamperlink tamper-file --var path=/etc/hv-tamper.link --var mode=delete
expect_rc tamperlink 2
check "tamper_file: a link is refused" \
    grep -q 'not a regular file' "$T/tamperlink.log"
check "tamper_file: ... and is still there" hx web-1 test -h /etc/hv-tamper.link
hx web-1 rm -f /etc/hv-tamper.link
restored "tamper_file link: web-1 restored exactly" web-1 "$T/s.web1"

# The keep folder is a link (another user's trap in /var/tmp): refused,
# nothing copied there, the file untouched.
hx web-1 mkdir -p /tmp/hv-trap
hx web-1 ln -s /tmp/hv-trap /var/tmp/havoc
hv tampertrap tamper-file
expect_rc tampertrap 2
check "tamper_file: a keep folder that is a link is refused" \
    grep -q '/var/tmp/havoc: a link' "$T/tampertrap.log"
check "tamper_file: ... and nothing was kept there" \
    test -z "$(hx web-1 ls -A /tmp/hv-trap)"
hx web-1 rm -rf /var/tmp/havoc /tmp/hv-trap
restored "tamper_file trap: web-1 restored exactly" web-1 "$T/s.web1"

# --- shell.run ---------------------------------------------------------------------

section "shell.run"
fresh
hv_bg shell shell-run
if active_then shell; then
	check "shell.run: the mark is there while active" \
	    test "$(hx web-1 cat /var/tmp/hv-shell-mark)" = havoc
	during shell
fi
hv_wait
expect_rc shell 0
expect_faults shell reverted
restored "shell.run: the revert removed it" web-1 "$T/s.web1"

# --- the ssh probe -----------------------------------------------------------------

section "ssh probe"
hv probe1 ssh-probe
expect_rc probe1 0
hv probe2 ssh-probe --var status=3
expect_rc probe2 1
check "ssh probe: a wrong exit code is the reason" \
    grep -q 'exit status 3, expected 0' "$T/probe2.log"
hv probe3 ssh-probe --var status=3 --var code=3
expect_rc probe3 0
hv probe4 ssh-probe --var matches='^web-2'
expect_rc probe4 1
check "ssh probe: a wrong output is the reason" \
    grep -q 'output does not match "^web-2"' "$T/probe4.log"
hv probe5 ssh-probe --var status='0; touch /tmp/pwned0'
expect_rc probe5 1
check "ssh probe: a var is one word (exit '0; touch ...' fails)" \
    inside web-1 '! ls /tmp/pwned0 >/dev/null 2>&1'
# ^ and $ match at each line of the output, as with grep.
hv probe6 ssh-probe --var matches='^web-1$'
check "ssh probe: output_matches \"^web-1\$\" matches the output \"web-1\\n\"" \
    test "$RC" = 0

# --- crashes -------------------------------------------------------------------------

section "crash: kill -9, the dead-man timer reverts"
fresh
hv_bg deadman crash-partition --var dead_man=5s
if active_then deadman; then
	kill -9 "$HVPID"
	t0=$(date +%s.%N)
	hv_wait 5
	check "dead-man: the partition is still there right after kill -9" \
	    has_rules web-1
	wait_until 150 no_rules web-1
	gone=$?
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	check "dead-man: web-1 reverted it by itself, ${t} s after the kill" \
	    test $gone = 0
	check "dead-man: ... within 8 s" lt "$t" 8.5
	restored "dead-man: web-1 restored exactly, with no havoc running" \
	    web-1 "$T/s.web1"
	check "dead-man: the store still says active" test "$(faults deadman)" = active
	"$HAVOC" recover --db "$T/deadman.db" >"$T/deadman.rec" 2>&1
	check "dead-man: havoc recover then succeeds (the revert is idempotent)" \
	    test $? = 0
	expect_faults deadman reverted
	check "dead-man: the run is interrupted" \
	    test "$(sql deadman 'select status from runs')" = interrupted
	restored "dead-man: web-1 still exactly as before" web-1 "$T/s.web1"
else
	hv_wait 5
fi

section "crash: kill -9, havoc recover reverts"
fresh
hv_bg recover crash-partition --var dead_man=10m
if active_then recover; then
	kill -9 "$HVPID"
	hv_wait 5
	sleep 3
	check "recover: the partition stays after kill -9 (3 s later)" has_rules web-1
	check "recover: the lb cannot reach web-1" test "$(lbcode "$W1/")" = 000
	check "recover: the dead-man timer waits on web-1" \
	    quiet hx web-1 pgrep -fx 'sleep 600'
	"$HAVOC" recover --db "$T/recover.db" >"$T/recover.rec" 2>&1
	check "recover: havoc recover exits 0" test $? = 0
	check "recover: the partition is gone" no_rules web-1
	check "recover: the lb reaches web-1 again" test "$(lbcode "$W1/")" = 200
	check "recover: no dead-man timer left" \
	    inside web-1 "! pgrep -fx 'sleep 600' >/dev/null"
	if inside web-1 '[ -z "$(ls -A /tmp/havoc | grep -v "\.reverted\$")" ]'; then
		ok "recover: /tmp/havoc holds nothing but marks"
	else
		bad "recover: /tmp/havoc holds nothing but marks" \
		    "$(hx web-1 sh -c 'ls -la /tmp/havoc; ps -eo pid,pgid,stat,args')"
	fi
	expect_faults recover reverted
	check "recover: the run is interrupted" \
	    test "$(sql recover 'select status from runs')" = interrupted
	restored "recover: web-1 restored exactly" web-1 "$T/s.web1"
else
	hv_wait 5
fi

for sig in INT TERM; do
	section "crash: SIG$sig mid-fault"
	fresh
	hv_bg "sig$sig" crash-partition
	if active_then "sig$sig"; then
		kill -"$sig" "$HVPID"
		hv_wait 30
		expect_rc "sig$sig" 2
		expect_faults "sig$sig" reverted
		check "SIG$sig: the lb reaches web-1 again" test "$(lbcode "$W1/")" = 200
		restored "SIG$sig: web-1 restored exactly" web-1 "$T/s.web1"
	else
		hv_wait 5
	fi
done

section "crash: a partition that cuts havoc's own SSH path"
s0=$(date +%s)
fresh
hv_bg selfcut self-cut --var controller="$CTRL"
wait_until 100 has_rules web-1
check "self-cut: web-1 drops the controller" test $? = 0
hv_wait 60
t=$(($(date +%s) - s0))
expect_rc selfcut 3
check "self-cut: havoc gave up within 25 s ($t s)" test "$t" -le 25
check "self-cut: the store says the revert failed" \
    test "$(faults selfcut)" = revert_failed
check "self-cut: the verdict tells to run havoc recover" \
    grep -q 'havoc recover' "$T/selfcut.out"
wait_until 150 no_rules web-1
check "self-cut: the dead-man timer restored web-1 ($(($(date +%s) - s0)) s after the start)" \
    test $? = 0
# The cut-off SSH session on web-1 ends when its TCP retries reach the
# controller again (a few seconds after the rules are gone).
restored "self-cut: web-1 restored exactly" web-1 "$T/s.web1" 100
"$HAVOC" recover --db "$T/selfcut.db" >"$T/selfcut.rec" 2>&1
check "self-cut: havoc recover then succeeds" test $? = 0
expect_faults selfcut reverted
restored "self-cut: web-1 still exactly as before" web-1 "$T/s.web1"

# --- hostile values ------------------------------------------------------------------

section "values with shell metacharacters"
EVIL=$(printf '%s\n%s' \
    '$(touch /tmp/pwned1)`touch /tmp/pwned2`; touch /tmp/pwned3 && touch /tmp/pwned4 | touch /tmp/pwned5' \
    "touch /tmp/pwned6 ' \" \$HOME > /tmp/pwned7")
fresh
hv_bg quote quote-values
if active_then quote; then
	check "quoting: a value written in with: is appended verbatim" test \
	    "$(hx web-1 tail -n 1 /etc/hv-tamper.conf)" = \
	    '; touch /tmp/pwned14 $(touch /tmp/pwned15) `touch /tmp/pwned16`'
fi
if wait_until 100 fault_active quote 2; then
	check "quoting: shell.run wrote the value as one word, byte for byte" \
	    test "$(hx web-1 cat /var/tmp/hv-quoted)" = "$EVIL"
fi
if wait_until 100 fault_active quote 3; then
	check "quoting: tamper_file appended the value verbatim" test \
	    "$(hx web-1 tail -n 2 /etc/hv-tamper.conf)" = "$EVIL"
fi
hv_wait
expect_rc quote 0
expect_faults quote reverted,reverted,reverted
hv quotekill quote-kill --var evil='nginx; touch /tmp/pwned8'
expect_rc quotekill 65
check "quoting: process.kill refuses the name (15 bytes at most)" \
    grep -q 'is not a process name' "$T/quotekill.log"
hv quotekill2 quote-kill --var evil='`>/tmp/pwned12`'
expect_rc quotekill2 2
check "quoting: process.kill matched nothing" grep -q 'no process matched' \
    "$T/quotekill2.log"
hv quotesvc quote-service --var evil='nginx; touch /tmp/pwned9'
expect_rc quotesvc 65
check "quoting: service.stop refuses the name" grep -q 'is not a service name' \
    "$T/quotesvc.log"
hv quoteuser quote-user --var evil='x$(touch /tmp/pwned10); touch /tmp/pwned11'
expect_rc quoteuser 65
check "quoting: add_user refuses the name" grep -q 'is not a user name' \
    "$T/quoteuser.log"
hv quoteuser2 quote-user --var evil=$'x\ntouch /tmp/pwned13'
expect_rc quoteuser2 65
for h in $HAVOC_LAB_HOSTS; do
	check "quoting: nothing ran on $h (no /tmp/pwned*)" \
	    inside "$h" '! ls /tmp/pwned* >/dev/null 2>&1'
done
check "quoting: nothing ran on the controller" \
    test -z "$(ls /tmp/pwned* 2>/dev/null)"
check "quoting: nginx untouched on web-1" nginx_up web-1
restored "quoting: web-1 restored exactly" web-1 "$T/s.web1"

# --- host keys -----------------------------------------------------------------------

section "host keys"
for h in web-1 web-2 web-3; do snap $h >"$T/s.key.$h"; done
ssh-keygen -q -t ed25519 -N '' -C other -f "$T/other" >/dev/null
other=$(cut -d' ' -f1,2 "$T/other.pub")
awk -v k="$other" -v a="$A2" '$1 == a { print $1 " " k; next } { print }' \
    "$HAVOC_LAB_KNOWN_HOSTS" >"$T/kh-bad"
awk -v a="$A2" '$1 != a' "$HAVOC_LAB_KNOWN_HOSTS" >"$T/kh-unknown"
cp "$T/kh-unknown" "$T/kh-tofu"

hv keybad host-keys --var kh="$T/kh-bad"
expect_rc keybad 2
check "host key mismatch: the error names web-2 and its host key" \
    grep -q 'web-2 .*host key does not match' "$T/keybad.out"
expect_faults keybad ""
hv keyunknown host-keys --var kh="$T/kh-unknown"
expect_rc keyunknown 2
check "unknown host: the error names web-2" grep -q 'web-2' "$T/keyunknown.out"
expect_faults keyunknown ""
for h in web-1 web-2 web-3; do
	restored "host keys: nothing injected on $h" $h "$T/s.key.$h" 1
done
hv keytofu host-keys --var kh="$T/kh-tofu" --var tofu=true
expect_rc keytofu 0
expect_faults keytofu reverted,reverted,reverted
check "trust on first use: web-2's real key was recorded" test \
    "$(awk -v a="$A2" '$1 == a { print $2, $3 }' "$T/kh-tofu")" = \
    "$(awk -v a="$A2" '$1 == a { print $2, $3 }' "$HAVOC_LAB_KNOWN_HOSTS")"

# --- blast radius and target selection -----------------------------------------------

section "blast radius and pick"
for h in web-1 web-2 web-3; do snap $h >"$T/s.key.$h"; done
hv blast blast-radius
expect_rc blast 2
check "blast radius: the reason is max_targets" grep -q 'max_targets' \
    "$T/blast.out" "$T/blast.log"
expect_faults blast ""
for h in web-1 web-2 web-3; do
	restored "blast radius: nothing touched on $h" $h "$T/s.key.$h" 1
done

target() { sql "$1" "select group_concat(target, ' ') from (select target from faults order by target)"; }
hv pick1 pick --seed 42
hv pick2 pick --seed 42
a=$(target pick1)
b=$(target pick2)
check "pick 1, seed 42 twice: the same host ($a, $b)" test -n "$a" -a "$a" = "$b"
another=
for s in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	hv "pick-s$s" pick --seed "$s"
	c=$(target "pick-s$s")
	[ -n "$c" ] && [ "$c" != "$a" ] && { another=$c; break; }
done
check "pick 1: another seed picks another host ($another)" test -n "$another"
hv pick50 pick --var pick=50% --seed 7
n=$(sql pick50 "select count(distinct target) from faults")
check "pick 50% of 3: 2 hosts ($(target pick50))" test "$n" = 2
expect_faults pick50 reverted,reverted

# --- host power ----------------------------------------------------------------------

section "host.reboot and host.shutdown"
# web-3's init, as the lab records it: a reboot starts another one
boot() { cat "$HAVOC_LAB_DIR/hosts/web-3/init.pid" 2>/dev/null; }
healthy3() { [ "$(code "http://$A3/healthz")" = 200 ]; }
b0=$(boot)
hv reboot host-reboot
expect_rc reboot 0
rebooted() { local b; b=$(boot); [ -n "$b" ] && [ "$b" != "$b0" ] &&
    [ "$(cat "$HAVOC_LAB_DIR/hosts/web-3/state")" = running ]; }
wait_until 300 rebooted
check "reboot: web-3 went down and booted again (boot $b0 -> $(boot))" test $? = 0
wait_until 300 healthy3
check "reboot: nginx on web-3 answers again" test $? = 0
check "reboot: the site answered 200 throughout (steady state after)" \
    grep -q '^completed' "$T/reboot.out"

# The copy a tamper_file keeps must outlive a reboot of the host.
motd() { hx web-3 sh -c 'md5sum /etc/motd; stat -c "%a %U %G %Y %s" /etc/motd'; }
m0=$(motd)
b0=$(boot)
hv tamperboot tamper-reboot --var web3="$A3"
expect_rc tamperboot 0
check "tamper then reboot: web-3 rebooted meanwhile" rebooted
expect_faults tamperboot reverted
check "tamper then reboot: /etc/motd restored after the reboot" \
    test "$(motd)" = "$m0"
check "tamper then reboot: no copy left on web-3" \
    inside web-3 '[ -z "$(find /var/tmp/havoc /tmp/havoc -mindepth 1 ! -name "*.reverted" 2>/dev/null)" ]'
wait_until 300 healthy3

hv shutdown host-shutdown
expect_rc shutdown 0
stopped3() { [ "$(cat "$HAVOC_LAB_DIR/hosts/web-3/state" 2>/dev/null)" = stopped ]; }
wait_until 300 stopped3
check "shutdown: web-3 is powered off" test $? = 0
check "shutdown: web-3 does not answer" test "$(code "http://$A3/healthz")" = 000
check "shutdown: the site still answers 200" site_ok
timeout -s KILL 120 "$LAB" start web-3 >"$T/start.log" 2>&1
check "shutdown: lab.sh start web-3" test $? = 0
wait_until 300 healthy3
check "shutdown: web-3 is back (nginx answers)" test $? = 0
lab_ok "lab status: every host answers at the end"

section "done"
printf '%d passed, %d failed, %d expected failures, %d skipped (%ds)\n' \
    "$passed" "$failures" "$xfailed" "$skipped" $(($(date +%s) - T0))
[ "$failures" = 0 ]
