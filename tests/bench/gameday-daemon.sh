#!/usr/bin/env bash
# The daemon's figures, side by side with Debian's cron as the peer:
#   - idle CPU over IDLE_SECS (default 600) and resident memory, with a
#     game day whose next slot is a year away;
#   - how late a slot starts against its time, median and worst of SLOTS
#     (default 20) slots of "* * * * *": havoc's start of the game day
#     (fork) and of its first run, cron's start of its job.
# Usage: tests/bench/gameday-daemon.sh BUILD/havoc
# cron is used when it is installed (apt-get install cron) and we are
# root; its job goes into /etc/cron.d for the run and is removed after.
set -u
HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
IDLE_SECS=${IDLE_SECS:-600}
SLOTS=${SLOTS:-20}
T=$(mktemp -d /tmp/havoc-bench-gd-XXXXXX)
CRONFILE=/etc/cron.d/havoc-bench-$$
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	sleep 1
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -f "$CRONFILE"
	rm -rf "$T"
}
trap cleanup EXIT

cd "$T" || exit 1
cat >noop.yaml <<'EOF'
version: 1
title: nothing at all, to time the start
method:
  - name: true
    action: local.run
    with: {command: ["true"]}
EOF
cat >idle.yaml <<'EOF'
gameday: idle
schedule: "0 0 1 1 *"
experiments: [noop.yaml]
EOF
cat >minute.yaml <<'EOF'
gameday: minute
schedule: "* * * * *"
experiments: [noop.yaml]
EOF

# ticks: utime + stime of a process, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

"$HAVOC" daemon --db idle.db idle.yaml 2>idle.log &
idle=$!
pids+=("$idle")
"$HAVOC" daemon --db minute.db minute.yaml 2>minute.log &
minute=$!
pids+=("$minute")

cron_pid=
if [ "$(id -u)" = 0 ] && command -v cron >/dev/null; then
	echo "* * * * * root date +\%s.\%N >>$T/cron.times" >"$CRONFILE"
	if ! pgrep -x cron >/dev/null; then
		cron -f -L 0 &
		cron_pid=$!
		pids+=("$cron_pid")
	else
		cron_pid=$(pgrep -xo cron)
	fi
fi

sleep 2
t0=$(ticks "$idle")
c0=
[ -n "$cron_pid" ] && c0=$(ticks "$cron_pid")
echo "idle: measuring for $IDLE_SECS s ..."
sleep "$IDLE_SECS"
t1=$(ticks "$idle")
printf '%-28s %12s %12s %12s\n' "" "CPU s/${IDLE_SECS}s" "RSS KiB" "peak KiB"
printf '%-28s %12s %12s %12s\n' "havoc daemon (idle)" \
    "$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')" "$(rss "$idle")" \
    "$(hwm "$idle")"
if [ -n "$cron_pid" ] && [ -n "$c0" ]; then
	c1=$(ticks "$cron_pid")
	printf '%-28s %12s %12s %12s\n' "cron (one job a minute)" \
	    "$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
	    "$(rss "$cron_pid")" "$(hwm "$cron_pid")"
else
	echo "cron: not measured (needs root and Debian's cron installed)"
fi

# Lateness: wait (bounded) for SLOTS game days of the minute daemon.
deadline=$(( $(date +%s) + SLOTS * 60 + 120 ))
while :; do
	n=$(sqlite3 minute.db "SELECT count(*) FROM gamedays WHERE ended_at
	    IS NOT NULL" 2>/dev/null || echo 0)
	[ "$n" -ge "$SLOTS" ] && break
	[ "$(date +%s)" -ge "$deadline" ] && break
	sleep 10
done
stats() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
	m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	printf "%d slots: median %.1f ms, worst %.1f ms\n", NR, m, a[NR] }'; }
echo "lateness (start against the slot's time):"
printf '  %-26s ' "havoc: game day started"
sqlite3 minute.db "SELECT started_at - scheduled_at - coalesce(jitter_ms,
    0) FROM gamedays ORDER BY id LIMIT $SLOTS" | stats
printf '  %-26s ' "havoc: first run started"
sqlite3 minute.db "SELECT min(r.started_at) - g.scheduled_at FROM
    gamedays g JOIN runs r ON r.gameday_id = g.id GROUP BY g.id
    ORDER BY g.id LIMIT $SLOTS" | stats
if [ -f cron.times ]; then
	printf '  %-26s ' "cron: job started"
	head -n "$SLOTS" cron.times | awk '{ s = $1; printf "%.1f\n",
	    (s - int(s / 60) * 60) * 1000 }' | stats
fi
