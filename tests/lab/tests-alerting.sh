#!/usr/bin/env bash
# Lab tests of "does anyone notice?": the examples in experiments/examples
# run against real hosts, real Prometheus and real Alertmanager. Times to
# detect are checked against what Prometheus itself recorded; the
# monitoring gap, the abort path, the pre-flight refusal and silences are
# exercised for real.
# Usage: tests/lab/tests-alerting.sh BUILD/havoc   (root)
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LAB="$HERE/lab.sh"
EX="$ROOT/experiments/examples"
T=$(mktemp -d /tmp/havoc-alerting-XXXXXX)
DB=$T/havoc.db
# The examples use the default lab's fixed addresses.
unset HAVOC_LAB_INSTANCE
failures=0
passed=0

cleanup() {
	"$LAB" down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
sql() { sqlite3 "$DB" "$@"; }
last_run() { sql "select max(id) from runs"; }
# Waits (at most $1 tenths of a second) until a command succeeds.
wait_for() {
	local n=$1 i
	shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# When Prometheus first saw an alert firing since a time (ms), in ms; "".
prom_first_firing() {
	local name=$1 since=$2 now
	now=$(date +%s)
	curl -sf --max-time 5 "$HAVOC_LAB_PROMETHEUS/api/v1/query_range" \
	    --data-urlencode "query=ALERTS{alertname=\"$name\",alertstate=\"firing\"}" \
	    --data-urlencode "start=$((since / 1000 - 5))" \
	    --data-urlencode "end=$now" --data-urlencode "step=1" |
	    python3 -c '
import json, sys
since = int(sys.argv[1]) / 1000
first = None
for s in json.load(sys.stdin)["data"]["result"]:
    for t, v in s["values"]:
        if float(t) >= since - 1 and (first is None or float(t) < first):
            first = float(t)
print("" if first is None else int(first * 1000))' "$since"
}

# Every web host's firewall holds nothing of havoc's.
no_havoc_rules() {
	local h
	for h in web-1 web-2 web-3; do
		"$LAB" exec "$h" iptables-save | grep -q havoc && return 1
	done
	return 0
}

site_up() { curl -sf --max-time 2 -o /dev/null "$HAVOC_LAB_SITE"; }
alert_active() {
	curl -sf --max-time 2 "$HAVOC_LAB_ALERTMANAGER/api/v2/alerts" |
	    python3 -c 'import json,sys; sys.exit(0 if any(a["labels"]["alertname"] == sys.argv[1] for a in json.load(sys.stdin)) else 1)' "$1"
}
no_alert() { ! alert_active "$1"; }

echo "lab: bringing the lab up (with monitoring)"
if ! "$LAB" up >"$T/up.log" 2>&1; then
	tail -20 "$T/up.log"
	echo "lab: cannot bring the lab up"
	exit 1
fi
eval "$("$LAB" env)"
check "the lab is up, monitoring included" "$LAB" status

# --- the prometheus probe against the real Prometheus -------------------------

cat >"$T/prom.yaml" <<EOF
version: 1
title: every node is up, says Prometheus
steady_state:
  - name: nodes up
    probe: prometheus
    with: {url: "$HAVOC_LAB_PROMETHEUS", query: 'up{job="node"}'}
    expect: {value: "== 1", all: true}
  - name: the site is probed fast
    probe: prometheus
    with: {url: "$HAVOC_LAB_PROMETHEUS", query: 'probe_duration_seconds{job="site"}'}
    expect: {value: "< 0.5"}
method:
  - {action: local.run, with: {command: ["true"]}}
EOF
"$HAVOC" run "$T/prom.yaml" --db "$DB" >"$T/out" 2>"$T/log"
check "prometheus probe: every node up, the site fast (exit 0)" test $? = 0 ||
    cat "$T/out" "$T/log"
sed 's/"== 1", all: true/"== 0"/' "$T/prom.yaml" >"$T/prom-bad.yaml"
"$HAVOC" run "$T/prom-bad.yaml" --db "$DB" >"$T/out" 2>"$T/log"
check "prometheus probe: a bound that does not hold aborts (exit 2)" test $? = 2
grep -q 'not == 0' "$T/log"
check "prometheus probe: the reason names the bound" test $? = 0 ||
    cat "$T/log"

# --- node loss: the balancer absorbs it, NodeDown fires --------------------

"$HAVOC" run "$EX/lab-node-loss.yaml" --db "$DB" --seed 1 >"$T/out" 2>"$T/log"
rc=$?
check "node loss: the hypothesis held (exit 0)" test $rc = 0 || cat "$T/out" "$T/log"
run=$(last_run)
check "node loss: the site never failed" \
    test "$(sql "select state from figures where run_id=$run")" = steady
state=$(sql "select state from alerts where run_id=$run")
ttd=$(sql "select ttd_ms from alerts where run_id=$run")
check "node loss: NodeDown fired ($state, ${ttd:-?} ms)" test "$state" = fired
check "node loss: within 30 s" test "${ttd:-999999}" -le 30000
injected=$(sql "select injected_at from alerts where run_id=$run")
first=$(prom_first_firing NodeDown "$injected")
if [ -n "$first" ] && [ -n "$ttd" ]; then
	prom=$((first - injected))
	diff=$((ttd - prom))
	echo "      havoc's time to detect ${ttd} ms; Prometheus had it firing after ${prom} ms"
	check "node loss: time to detect within 3 s of Prometheus' own ($diff ms)" \
	    test "${diff#-}" -le 3000
else
	bad "node loss: Prometheus has no firing NodeDown on record"
fi
check "node loss: the partition is gone" no_havoc_rules
check "node loss: NodeDown clears" wait_for 150 no_alert NodeDown

# --- a partition of the web tier raises SiteDown ----------------------------

"$HAVOC" run "$EX/lab-site-partition.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "site partition: exit 0 (SiteDown fired, the site came back)" test $rc = 0 || cat "$T/out" "$T/log"
run=$(last_run)
check "site partition: SiteDown fired" \
    test "$(sql "select state from alerts where run_id=$run")" = fired
check "site partition: the site recovered, with a time to recover" \
    test "$(sql "select state from figures where run_id=$run")" = recovered
check "site partition: no rule left" no_havoc_rules
wait_for 150 no_alert SiteDown

# --- security chaos: a new admin account is caught --------------------------

"$HAVOC" run "$EX/lab-admin-user.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "admin user: exit 0" test $rc = 0 || cat "$T/out" "$T/log"
run=$(last_run)
ttd=$(sql "select ttd_ms from alerts where run_id=$run")
check "admin user: AdminUserAdded caught within 30 s (${ttd:-?} ms)" \
    test "$(sql "select state from alerts where run_id=$run")" = fired -a "${ttd:-999999}" -le 30000
host=$(sql "select target from faults where run_id=$run")
check "admin user: the account is gone from $host" \
    sh -c "! '$LAB' exec '$host' getent passwd havocadmin >/dev/null"
wait_for 150 no_alert AdminUserAdded

# --- a missing alert rule is a monitoring gap --------------------------------

"$HAVOC" run "$EX/lab-monitoring-gap.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "monitoring gap: the run deviates (exit 1)" test $rc = 1
grep -q '^deviated: alert "HighCPU reaches Alertmanager" did not fire within 10.0s (monitoring gap)' "$T/out"
check "monitoring gap: the verdict names the gap" test $? = 0 || cat "$T/out"
run=$(last_run)
check "monitoring gap: the alert is stored as missed" \
    test "$(sql "select state from alerts where run_id=$run")" = missed
check "monitoring gap: no stress-ng left" \
    sh -c "! '$LAB' exec '$(sql "select target from faults where run_id=$run")' pgrep stress-ng >/dev/null"

# --- the abort path: safety.abort_when trips, rollbacks run -----------------

cat >"$T/abort.yaml" <<EOF
version: 1
title: a partition that trips the safety stop
inventory: $ROOT/experiments/inventory/lab.yaml
targets: {all_web: {tags: [web]}, balancer: {hosts: [lb]}}
steady_state:
  - {name: site, probe: http, with: {url: "$HAVOC_LAB_SITE", timeout: 1s}}
method:
  - {name: cut everything, action: network.partition, on: all_web,
     with: {peers: balancer}, duration: 60s}
  - pause: 30s
watch: {every: 500ms, probes: [site]}
rollbacks:
  - {name: say so, action: local.run, with: {command: [touch, $T/rolled-back]}}
safety: {abort_when: {probe: site, failing_for: 3s}, dead_man: 2m}
EOF
start=$(date +%s)
"$HAVOC" run "$T/abort.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
took=$(($(date +%s) - start))
check "abort: exit 2" test $rc = 2
check "abort: it stopped early (${took} s, not 60)" test "$took" -lt 30
grep -q '^aborted: safety: site failing for' "$T/out"
check "abort: the reason is the safety stop" test $? = 0 || cat "$T/out"
check "abort: the rollback steps ran" test -e "$T/rolled-back"
check "abort: the partition was reverted" no_havoc_rules
check "abort: the site answers again" wait_for 100 site_up

# --- pre-flight: no chaos during an incident ----------------------------------

"$LAB" exec lb service prometheus-node-exporter stop >/dev/null 2>&1
check "an unrelated incident: NodeDown for lb fires" wait_for 200 alert_active NodeDown
cat >"$T/preflight.yaml" <<EOF
version: 1
title: refused while an incident is open
inventory: $ROOT/experiments/inventory/lab.yaml
targets: {one_web: {tags: [web], pick: 1}}
method:
  - {name: kill nginx, action: process.kill, on: one_web, with: {name: nginx}}
rollbacks:
  - {name: start nginx, action: service.start, on: one_web, with: {name: nginx}}
safety:
  preflight:
    - name: no node is down
      probe: alertmanager
      with: {url: "$HAVOC_LAB_ALERTMANAGER", labels: {job: node}}
      expect: {active: false}
EOF
"$HAVOC" run "$T/preflight.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "pre-flight: refused (exit 2)" test $rc = 2
grep -q '^aborted: pre-flight: no node is down did not pass' "$T/out"
check "pre-flight: the reason says so" test $? = 0 || cat "$T/out" "$T/log"
run=$(last_run)
check "pre-flight: nothing was injected" \
    test "$(sql "select count(*) from faults where run_id=$run")" = 0
check "pre-flight: nginx runs everywhere" sh -c \
    "for h in web-1 web-2 web-3; do '$LAB' exec \$h pgrep -x nginx >/dev/null || exit 1; done"
"$LAB" exec lb service prometheus-node-exporter start >/dev/null 2>&1
wait_for 150 no_alert NodeDown
"$HAVOC" run "$T/preflight.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "pre-flight: passes once the incident is over (exit 0 or 1)" test $rc -le 1

# --- a silence keeps on-call from being paged --------------------------------

since=$(($(date +%s) * 1000))
cat >"$T/silence.yaml" <<EOF
version: 1
title: NodeDown is verified while on-call is not paged
inventory: $ROOT/experiments/inventory/lab.yaml
targets: {one_web: {tags: [web], pick: 1}, monitoring: {hosts: [mon]}}
method:
  - {name: hide a node, action: network.partition, on: one_web,
     with: {peers: monitoring}}
alerts:
  - name: NodeDown, silenced
    probe: alertmanager
    with: {url: "$HAVOC_LAB_ALERTMANAGER", alertname: NodeDown}
    within: 30s
    silence: {duration: 10m, comment: "havoc lab test"}
safety: {dead_man: 2m}
EOF
"$HAVOC" run "$T/silence.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "silence: exit 0" test $rc = 0 || cat "$T/out" "$T/log"
run=$(last_run)
check "silence: the alert is seen, as silenced" \
    test "$(sql "select state from alerts where run_id=$run")" = silenced
check "silence: journaled and expired" \
    test "$(sql "select count(*) from faults where run_id=$run and driver='alertmanager.silence' and state='reverted'")" = 1
left=$(curl -sf "$HAVOC_LAB_ALERTMANAGER/api/v2/silences" | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)
    if "havoc lab test" in s.get("comment", "") and s["status"]["state"] != "expired"))')
check "silence: none of havoc's silences is left active" test "$left" = 0
# Notifications about the host that was cut off, since the run began
# (earlier tests page about other hosts; those are not this one's).
receiver=${HAVOC_LAB_ALERTMANAGER%:*}:9097
host=$(sql "select target from faults where run_id=$run and driver='network.partition'")
paged=$(curl -sf --max-time 5 "$receiver/alerts" | python3 -c '
import json, sys
since, host = int(sys.argv[1]) / 1000, sys.argv[2]
n = 0
for x in json.load(sys.stdin):
    if x.get("received", 0) < since:
        continue
    for a in x.get("notification", {}).get("alerts", []):
        l = a.get("labels", {})
        if l.get("alertname") == "NodeDown" and a.get("status") == \
            "firing" and (l.get("host") == host or
            l.get("instance", "").startswith(host + ":")):
            n += 1
print(n)' "$since" "$host" 2>/dev/null || echo "?")
check "silence: on-call was not paged for NodeDown ($paged)" test "$paged" = 0

# --- no false pass: an unrevertible change is watched as well --------------

nginx_everywhere() {
	local h
	for h in web-1 web-2 web-3; do
		"$LAB" exec "$h" pgrep -x nginx >/dev/null || return 1
	done
}
cat >"$T/kill-gap.yaml" <<EOF
version: 1
title: a kill that nobody notices
inventory: $ROOT/experiments/inventory/lab.yaml
targets:
  one_web: {tags: [web], pick: 1}
method:
  - name: kill nginx
    action: process.kill
    on: one_web
    with: {name: nginx, signal: KILL}
  - pause: 2s
alerts:
  - name: NoSuchAlert reaches Alertmanager
    probe: alertmanager
    with: {url: "$HAVOC_LAB_ALERTMANAGER", alertname: NoSuchAlert}
    within: 8s
rollbacks:
  - name: start nginx
    action: service.start
    on: one_web
    with: {name: nginx}
EOF
t0=$(date +%s)
"$HAVOC" run "$T/kill-gap.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
took=$(($(date +%s) - t0))
check "kill, then an alert that never fires: exit 1, not 0" test $rc = 1 || cat "$T/out" "$T/log"
check "  ... the alert was awaited its whole within (${took} s)" test "$took" -ge 8
run=$(last_run)
check "  ... and stored as missed" \
    test "$(sql "select state from alerts where run_id=$run")" = missed
check "  ... nginx runs again everywhere" wait_for 50 nginx_everywhere

cat >"$T/kill-then-cut.yaml" <<EOF
version: 1
title: time to detect counts from the first change
inventory: $ROOT/experiments/inventory/lab.yaml
targets:
  one_web: {tags: [web], pick: 1}
  monitoring: {hosts: [mon]}
method:
  - name: kill nginx
    action: process.kill
    on: one_web
    with: {name: nginx, signal: KILL}
  - pause: 5s
  - name: hide the node
    action: network.partition
    on: one_web
    with: {peers: monitoring}
alerts:
  - name: NodeDown reaches Alertmanager
    probe: alertmanager
    with: {url: "$HAVOC_LAB_ALERTMANAGER", alertname: NodeDown}
    within: 60s
rollbacks:
  - name: start nginx
    action: service.start
    on: one_web
    with: {name: nginx}
safety: {dead_man: 2m}
EOF
wait_for 150 no_alert NodeDown
"$HAVOC" run "$T/kill-then-cut.yaml" --db "$DB" --seed 3 >"$T/out" 2>"$T/log"
rc=$?
run=$(last_run)
ttd=$(sql "select ttd_ms from alerts where run_id=$run")
check "kill, then a fault: NodeDown fired (exit $rc)" test $rc = 0 || cat "$T/out" "$T/log"
check "  ... time to detect counts from the kill (${ttd:-?} ms >= 5000)" \
    test "${ttd:-0}" -ge 5000
check "  ... no rule left" no_havoc_rules
check "  ... nginx runs again everywhere" wait_for 50 nginx_everywhere
wait_for 150 no_alert NodeDown

sed "s|$HAVOC_LAB_ALERTMANAGER|$HAVOC_LAB_PROMETHEUS|" "$T/kill-gap.yaml" >"$T/not-am.yaml"
"$HAVOC" run "$T/not-am.yaml" --db "$DB" >"$T/out" 2>"$T/log"
rc=$?
check "an alertmanager URL that is Prometheus: exit 2" test $rc = 2 || cat "$T/out" "$T/log"
check "  ... nothing was killed" \
    test "$(sql "select count(*) from steps where run_id=$(last_run) and phase='method'")" = 0
check "  ... nginx runs everywhere" nginx_everywhere

echo
echo "lab alerting: $passed passed, $failures failed"
[ "$failures" = 0 ]
