#!/usr/bin/env bash
# selftest.sh: prove that the havoc lab (tests/lab/lab.sh) does what tests
# rely on. Runs as root; builds and removes the lab itself.
#
# Usage: tests/lab/selftest.sh [--loops N] [--bench N] [--no-crash]
#   --loops N    run the functional suite N times in a row (default 1)
#   --bench N    afterwards: `up --web N --bare`, timed, ssh to every node
#                at once, `down`, timed
#   --no-crash   skip the crash-recovery checks (kill -9, partial up)
# Exit status: 0 iff every check passed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LABSH="$HERE/lab.sh"
# the lab instance under test (HAVOC_LAB_INSTANCE, as lab.sh reads it):
# names, subnet and state directory derived independently of lab.sh
INSTANCE="${HAVOC_LAB_INSTANCE:-}"
[[ $INSTANCE == 1 ]] && INSTANCE=""
PFX="hvl$INSTANCE"                    # hvl, hvl2, ...
NET="10.$((100 - ${INSTANCE:-1}))"    # 10.99, 10.98, ...
NRE="${NET//./\\.}"                   # the same as a regex
LABDIR="${HAVOC_LAB_DIR:-/run/havoc-lab$INSTANCE}"
FAILS=0
CHECKS=0
ALERT_SECS=""
ALERT_TIMES=()

# say: progress line
say() { printf '\n== %s\n' "$*"; }

# pass/fail bookkeeping for one check
ok() { CHECKS=$((CHECKS + 1)); printf '  ok   %s\n' "$1"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); printf '  FAIL %s\n' "$1"; }

# check DESC CMD...: CMD must succeed
check() {
  local d="$1"
  shift
  if "$@" >/dev/null 2>&1; then ok "$d"; else bad "$d"; fi
}

# check_not DESC CMD...: CMD must fail
check_not() {
  local d="$1"
  shift
  if "$@" >/dev/null 2>&1; then bad "$d"; else ok "$d"; fi
}

# check_eq DESC WANT CMD...: CMD's output (trimmed) must equal WANT
check_eq() {
  local d="$1" want="$2" got
  shift 2
  got="$("$@" 2>&1)" || true
  if [[ $got == "$want" ]]; then ok "$d"; else bad "$d (want '$want', got '${got:0:200}')"; fi
}

# check_match DESC REGEX CMD...: CMD's output must match REGEX
check_match() {
  local d="$1" re="$2" got
  shift 2
  got="$("$@" 2>&1)" || true
  if [[ $got =~ $re ]]; then ok "$d"; else bad "$d (no /$re/ in '${got:0:200}')"; fi
}

# retry TRIES SLEEP CMD...: bounded retry until CMD succeeds
retry() {
  local n="$1" s="$2" i
  shift 2
  for ((i = 0; i < n; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep "$s"
  done
  return 1
}

# secs T0: seconds since EPOCHREALTIME value T0
secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}'; }

# lab CMD...: lab.sh
lab() { "$LABSH" "$@"; }

# lssh ADDR CMD...: strict ssh as a test would
lssh() {
  local a="$1"
  shift
  ssh -i "$HAVOC_LAB_KEY" -o "UserKnownHostsFile=$HAVOC_LAB_KNOWN_HOSTS" \
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 "root@$a" "$@"
}

# http_code URL: the status code (000 when unreachable)
http_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" || true; }

# site_ok N: N consecutive 200s from the load balancer
site_ok() {
  local i
  for ((i = 0; i < $1; i++)); do
    [[ $(http_code "$HAVOC_LAB_SITE") == 200 ]] || return 1
  done
}

# addr_of NAME: address from the generated inventory
addr_of() { awk -v n="$1:" '$1 == n {gsub(/,/, "", $3); print $3}' "$HAVOC_LAB_INVENTORY"; }

# no_lab_left: nothing of this lab instance (named PFX-, marked PFX_MEMBER)
# in netns, links, processes or iptables; other instances may be up
no_lab_left() {
  [[ -z $(ip netns list | grep "^$PFX-" || true) ]] &&
    [[ -z $(ip -o link show | grep ": $PFX-" || true) ]] &&
    [[ -z $(grep -laz "^${PFX^^}_MEMBER=" /proc/[0-9]*/environ 2>/dev/null || true) ]] &&
    [[ -z $(pgrep -f "$LABDIR/bin/hvl-(init|host) " || true) ]] &&
    ! iptables -w -n -L "${PFX^^}-FWD" >/dev/null 2>&1 &&
    [[ ! -e $LABDIR ]]
}

# am_alerts [MATCHER...]: Alertmanager's active alerts (JSON), filtered
# by label matchers such as 'alertname="NodeDown"'
am_alerts() {
  local m f=()
  for m in "$@"; do f+=(--data-urlencode "filter=$m"); done
  curl -s -m 2 -G "${f[@]}" "$HAVOC_LAB_ALERTMANAGER/api/v2/alerts"
}

# am_active NAME [HOST]: alert NAME (on HOST) is active in Alertmanager
am_active() {
  local m=("alertname=\"$1\"")
  [[ -n ${2:-} ]] && m+=("host=\"$2\"")
  [[ $(am_alerts "${m[@]}") == *"\"alertname\":\"$1\""* ]]
}

# alert_within SECS on|off NAME HOST T0: bounded wait (0.2 s steps) until
# alert NAME on HOST (empty: any) is active (on) or gone (off); sets
# ALERT_SECS to the time since T0 (EPOCHREALTIME just before the change)
alert_within() {
  local limit="$1" want="$2" name="$3" host="$4" t0="$5" i
  for ((i = 0; i < limit * 5; i++)); do
    if am_active "$name" "$host"; then
      [[ $want == on ]] && { ALERT_SECS="$(secs "$t0")"; return 0; }
    else
      [[ $want == off ]] && { ALERT_SECS="$(secs "$t0")"; return 0; }
    fi
    sleep 0.2
  done
  return 1
}

# check_alert SECS on|off NAME HOST T0: alert_within as a check; the time
# is shown and kept for the summary (ALERT_TIMES)
check_alert() {
  local verb=clears d
  [[ $2 == on ]] && verb=fires
  d="$3${4:+ on $4} $verb within $1 s"
  ALERT_SECS=""
  if alert_within "$@"; then
    ok "$d (${ALERT_SECS} s)"
    ALERT_TIMES+=("$(printf '%-24s %-7s %-6s %6s s' "$3" "${4:--}" "$2" "$ALERT_SECS")")
  else
    bad "$d"
  fi
}

# prom_query EXPR: the first value of a PromQL instant query ("" if none)
prom_query() {
  curl -s -m 3 -G --data-urlencode "query=$1" "$HAVOC_LAB_PROMETHEUS/api/v1/query" |
    python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

# rules_ok: Prometheus loaded the lab's rules and every one evaluates
rules_ok() {
  curl -s -m 3 "$HAVOC_LAB_PROMETHEUS/api/v1/rules" | python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
names = {r["name"] for r in rules}
want = {"NodeDown", "SiteDown", "HighLatency", "AdminUserAdded",
        "UnexpectedListeningPort", "FirewallChanged", "FileDrift"}
sys.exit(0 if want <= names and all(r["health"] == "ok" for r in rules) else 1)'
}

# no_gap_rule: the deliberate monitoring gap: no rule on CPU, memory or disk
no_gap_rule() {
  ! curl -s -m 3 "$HAVOC_LAB_PROMETHEUS/api/v1/rules" | grep -qE 'node_(cpu|load|memory|filesystem)'
}

# promtool_rules: the rules, unit-tested with promtool on synthetic series
# (HighLatency cannot be produced for real here: no netem)
promtool_rules() {
  local t rc=0
  t="$(mktemp -d)"
  cat >"$t/test.yml" <<EOF2
rule_files: [$HERE/images/mon-v1/etc/prometheus/rules/havoc-lab.yml]
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'up{job="node",host="web-1",instance="a:9100"}'
        values: '1 0 0 0 0 0 0'
      - series: 'probe_success{job="site",instance="http://lb/"}'
        values: '1 0 0 0 0 0 0'
      - series: 'probe_duration_seconds{job="site",instance="http://lb/"}'
        values: '0.1 0.7 0.7 0.7 0.7 0.7 0.7'
      - series: 'havoc_lab_admin_users{job="node",host="web-2"}'
        values: '0 1 1'
      - series: 'havoc_lab_firewall_changed{job="node",host="web-2"}'
        values: '0 0 1'
      - series: 'node_cpu_seconds_total{job="node",host="web-3",cpu="0",mode="idle"}'
        values: '0 0 0 0 0 0 0'
    alert_rule_test:
      - {eval_time: 1s, alertname: NodeDown}
      - eval_time: 4s
        alertname: NodeDown
        exp_alerts:
          - exp_labels: {severity: critical, job: node, host: web-1, instance: "a:9100"}
            exp_annotations: {summary: "web-1 (a:9100) does not answer scrapes"}
      - eval_time: 4s
        alertname: SiteDown
        exp_alerts:
          - exp_labels: {severity: critical, job: site, instance: "http://lb/"}
            exp_annotations: {summary: "the site http://lb/ fails its HTTP probe"}
      - {eval_time: 3s, alertname: HighLatency}
      - eval_time: 5s
        alertname: HighLatency
        exp_alerts:
          - exp_labels: {severity: warning, job: site, instance: "http://lb/"}
            exp_annotations: {summary: "the site http://lb/ answers in 700ms (> 500ms)"}
      - eval_time: 1s
        alertname: AdminUserAdded
        exp_alerts:
          - exp_labels: {severity: critical, job: node, host: web-2}
            exp_annotations: {summary: "1 account(s) with uid 0 or in an admin group beyond the image on web-2"}
      - eval_time: 2s
        alertname: FirewallChanged
        exp_alerts:
          - exp_labels: {severity: warning, job: node, host: web-2}
            exp_annotations: {summary: "the iptables rule set of web-2 differs from its boot baseline"}
EOF2
  promtool test rules "$t/test.yml" || rc=$?
  rm -rf "$t"
  return "$rc"
}

# known_key ADDR: the key known_hosts holds for ADDR
known_key() { awk -v a="$1" '$1 == a {print $3}' "$HAVOC_LAB_KNOWN_HOSTS"; }

# monitoring: mon's Prometheus, Alertmanager and blackbox exporter answer,
# every target is up, and each alert reaches Alertmanager (bounded waits;
# the time to fire is printed) and clears after the revert. Runs on a
# pristine lab (no alert may be active before).
monitoring() {
  say "monitoring (mon: Prometheus, Alertmanager, blackbox, security exporters)"
  check_eq "prometheus /-/ready" 200 http_code "$HAVOC_LAB_PROMETHEUS/-/ready"
  check_eq "alertmanager /-/ready" 200 http_code "$HAVOC_LAB_ALERTMANAGER/-/ready"
  check_eq "blackbox /-/healthy" 200 http_code "http://$NET.0.5:9115/-/healthy"
  check_eq "webhook receiver /-/ready" 200 http_code "http://$NET.0.5:9097/-/ready"
  check_eq "9 scrape targets (5 hosts, the site, 3 of mon's own)" 9 prom_query 'count(up)'
  check_eq "every scrape target up" 9 prom_query 'sum(up)'
  check_eq "the site probe succeeds" 1 prom_query 'probe_success{job="site"}'
  check "rules loaded, all healthy" rules_ok
  check "no rule on CPU, memory or disk (the deliberate gap)" no_gap_rule
  check "rules unit test (promtool, synthetic series)" promtool_rules
  check_eq "security metrics from 4 hosts" 4 prom_query 'count(havoc_lab_admin_users)'
  check "no alert active on the pristine lab" retry 10 0.5 bash -c "[[ \$(curl -s -m 2 '$HAVOC_LAB_ALERTMANAGER/api/v2/alerts') == '[]' ]]"
  check_match "mon runs no security exporter" '^$' \
    prom_query 'havoc_lab_admin_users{host="mon"}'

  local t
  t="$EPOCHREALTIME"
  check "stop web-1's node exporter" lab exec web-1 service prometheus-node-exporter stop
  check_alert 15 on NodeDown web-1 "$t"
  check_not "no NodeDown on web-2" am_active NodeDown web-2
  t="$EPOCHREALTIME"
  check "start web-1's node exporter" lab exec web-1 service prometheus-node-exporter start
  check_alert 15 off NodeDown web-1 "$t"
  check_match "the webhook receiver logged NodeDown" '"alertname": "NodeDown"' \
    curl -s -m 3 "http://$NET.0.5:9097/alerts"

  t="$EPOCHREALTIME"
  check "stop nginx on every web host" bash -c "for h in web-1 web-2 web-3; do '$LABSH' exec \$h service nginx stop || exit 1; done"
  check_alert 15 on SiteDown "" "$t"
  t="$EPOCHREALTIME"
  check "start nginx on every web host" bash -c "for h in web-1 web-2 web-3; do '$LABSH' exec \$h service nginx start || exit 1; done"
  check_alert 15 off SiteDown "" "$t"

  t="$EPOCHREALTIME"
  check "useradd -o -u 0 evil on web-1" lab exec web-1 useradd -M -o -u 0 evil
  check_alert 30 on AdminUserAdded web-1 "$t"
  check_eq "havoc_lab_admin_user names evil (uid0)" 1 prom_query 'havoc_lab_admin_user{host="web-1",user="evil",via="uid0"}'
  t="$EPOCHREALTIME"
  check "userdel evil" lab exec web-1 userdel -f evil
  check_alert 15 off AdminUserAdded web-1 "$t"
  t="$EPOCHREALTIME"
  check "useradd -G sudo mallory on web-2" lab exec web-2 useradd -M -G sudo mallory
  check_alert 30 on AdminUserAdded web-2 "$t"
  t="$EPOCHREALTIME"
  check "userdel mallory" lab exec web-2 userdel mallory
  check_alert 15 off AdminUserAdded web-2 "$t"

  t="$EPOCHREALTIME"
  check "a listener on :4444 in web-3" lab exec web-3 bash -c \
    'setsid python3 -c "import socket, time; s = socket.socket(); s.bind((\"0.0.0.0\", 4444)); s.listen(); time.sleep(120)" </dev/null >/dev/null 2>&1 & sleep 0.2'
  check_alert 15 on UnexpectedListeningPort web-3 "$t"
  check_eq "havoc_lab_unexpected_listener names 4444" 1 prom_query 'havoc_lab_unexpected_listener{host="web-3",port="4444"}'
  t="$EPOCHREALTIME"
  check "stop the listener" lab exec web-3 pkill -f 'socket.*4444'
  check_alert 15 off UnexpectedListeningPort web-3 "$t"

  t="$EPOCHREALTIME"
  check "iptables rule on web-2" lab exec web-2 iptables -w -A INPUT -p tcp --dport 9998 -j DROP
  check_alert 15 on FirewallChanged web-2 "$t"
  t="$EPOCHREALTIME"
  check "delete the rule" lab exec web-2 iptables -w -D INPUT -p tcp --dport 9998 -j DROP
  check_alert 15 off FirewallChanged web-2 "$t"

  t="$EPOCHREALTIME"
  check "append to lb's nginx site (in the manifest)" lab exec lb sh -c 'cp /etc/nginx/sites-available/default /tmp/site.orig && echo "# tampered" >>/etc/nginx/sites-available/default'
  check_alert 15 on FileDrift lb "$t"
  check_eq "havoc_lab_file_drift names the file" 1 prom_query 'havoc_lab_file_drift{host="lb",path="/etc/nginx/sites-available/default"}'
  t="$EPOCHREALTIME"
  check "restore it" lab exec lb sh -c 'cat /tmp/site.orig >/etc/nginx/sites-available/default'
  check_alert 15 off FileDrift lb "$t"
  check "no alert active after the reverts" retry 20 0.5 bash -c "[[ \$(curl -s -m 2 '$HAVOC_LAB_ALERTMANAGER/api/v2/alerts') == '[]' ]]"
  if ((${#ALERT_TIMES[@]})); then
    echo "  time from the change to Alertmanager's API (alert, host, fires/clears):"
    printf '    %s\n' "${ALERT_TIMES[@]}"
    ALERT_TIMES=()
  fi
}

# suite: one full functional pass
suite() {
  say "down (also when nothing is up), then up"
  check "down" lab down
  check "status exits 1 when down" bash -c "! '$LABSH' status"
  local t0="$EPOCHREALTIME"
  check "up (3 web hosts + lb)" lab up
  printf '  (up took %ss)\n' "$(secs "$t0")"
  eval "$(lab env)"
  check "env: inventory exists" test -s "$HAVOC_LAB_INVENTORY"
  check "env: known_hosts exists" test -s "$HAVOC_LAB_KNOWN_HOSTS"
  check "env: key exists" test -s "$HAVOC_LAB_KEY"
  check_eq "env: hosts" "mon lb web-1 web-2 web-3" echo "$HAVOC_LAB_HOSTS"
  check_eq "env: prometheus" "http://$NET.0.5:9090" echo "$HAVOC_LAB_PROMETHEUS"
  check_eq "env: alertmanager" "http://$NET.0.5:9093" echo "$HAVOC_LAB_ALERTMANAGER"
  check_eq "env: site" "http://$NET.0.10/" echo "$HAVOC_LAB_SITE"
  check_eq "inventory: web-2 address" "$NET.0.12" addr_of web-2
  check_match "inventory: lb tagged lb" "lb: +\{address: $NRE\.0\.10, tags: \[lb\]\}" cat "$HAVOC_LAB_INVENTORY"
  check_match "inventory: mon tagged mon" "mon: +\{address: $NRE\.0\.5, tags: \[mon\]\}" cat "$HAVOC_LAB_INVENTORY"
  check "status exits 0 when up" lab status

  say "ssh (strict host keys), pages, exporters"
  local h a
  for h in lb web-1 web-2 web-3; do
    a="$(addr_of "$h")"
    check_eq "ssh $h: hostname" "$h" lssh "$a" hostname
    check_eq "exec $h: hostname" "$h" lab exec "$h" hostname
    check_match "$h: node exporter on :9100" 'havoc_image_info\{image="[a-z]+-v1"' curl -s -m 3 "http://$a:9100/metrics"
  done
  for h in web-1 web-2 web-3; do
    a="$(addr_of "$h")"
    check_match "curl $h: page names the host" "Welcome to $h \\(web-v1\\)" curl -s -m 3 "http://$a/"
    check_eq "curl $h: /healthz" 200 http_code "http://$a/healthz"
    check "$h: no drift from its image" lab exec "$h" sha256sum -c --quiet /etc/havoc-image.sha256
  done
  check_eq "curl lb: 200" 200 http_code "$HAVOC_LAB_SITE"
  check_match "lb balances (3 distinct backends in 12 requests)" '^3$' \
    bash -c "for i in \$(seq 12); do curl -s -m 3 '$HAVOC_LAB_SITE'; done | grep -o 'Welcome to web-[0-9]*' | sort -u | wc -l"
  check "ssh with a wrong known_hosts is refused" bash -c \
    "! ssh -i '$HAVOC_LAB_KEY' -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes root@$NET.0.11 true"

  monitoring

  say "network"
  check_eq "web-1 reaches web-2" 200 lab exec web-1 curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$NET.0.12/healthz"
  check_eq "web-1 reaches lb" 200 lab exec web-1 curl -s -o /dev/null -m 3 -w '%{http_code}' "http://$NET.0.10/healthz"
  check_eq "web-1 reaches the controller (port 1: refused, not timed out)" 7 \
    lab exec web-1 bash -c "curl -s -m 3 http://$NET.0.1:1/; echo \$?"
  check_not "web-1 cannot leave the lab (192.0.2.1)" lab exec web-1 curl -s -m 2 http://192.0.2.1/
  check "root ns: ${PFX^^}-FWD chain drops routed lab traffic" bash -c "iptables -w -S ${PFX^^}-FWD | grep -q -- '-i $PFX-br0 -j DROP'"
  check_match "web-1: eth0 has $NET.0.11/16" "inet $NRE\.0\.11/16" lab exec web-1 ip -4 addr show eth0
  check_match "web-1: default route via $NET.0.1" "default via $NRE\.0\.1 dev eth0" lab exec web-1 ip route

  say "isolation"
  check "pkill nginx in web-1" lab exec web-1 pkill nginx
  check "web-1: nginx gone" retry 20 0.1 bash -c "! '$LABSH' exec web-1 pgrep -x nginx"
  check "web-2: nginx alive" lab exec web-2 pgrep -x nginx
  check_eq "web-1: http down" 000 http_code "http://$NET.0.11/"
  check "lb still answers 200 (10 in a row, bounded retries)" retry 10 0.5 site_ok 10
  check_eq "web-1: service nginx status fails" 3 lab exec web-1 bash -c 'service nginx status >/dev/null; echo $?'
  check "web-1: service nginx start" lab exec web-1 service nginx start
  check_eq "web-1: http back" 200 http_code "http://$NET.0.11/"
  check "web-1: service nginx stop/start over ssh" lssh "$NET.0.11" 'service nginx stop && service nginx start'
  check "web-1: systemctl restart nginx (shim)" lssh "$NET.0.11" 'systemctl restart nginx'
  check_eq "web-1: http after restart" 200 http_code "http://$NET.0.11/"
  check "useradd on web-1" lab exec web-1 useradd -m chaosmonkey
  check "web-1 has the user" lab exec web-1 id chaosmonkey
  check "web-1 has its home" lab exec web-1 test -d /home/chaosmonkey
  check_not "web-2 does not" lab exec web-2 id chaosmonkey
  check_not "the controller does not" id chaosmonkey
  check_not "the controller has no such home" test -e /home/chaosmonkey
  check "iptables rule inside web-1" lab exec web-1 iptables -w -A INPUT -p tcp --dport 9999 -j DROP
  check "web-1 shows it" bash -c "'$LABSH' exec web-1 iptables -w -S INPUT | grep -q 'dport 9999'"
  check_not "root ns does not" bash -c "iptables -w -S INPUT | grep -q 'dport 9999'"
  check_not "web-2 does not" bash -c "'$LABSH' exec web-2 iptables -w -S INPUT | grep -q 'dport 9999'"
  check_not "web-1 sees no other host's processes" bash -c "'$LABSH' exec web-1 ps -e -o args | grep -q 'web-2'"
  check_not "real root is read-only in a host" lab exec web-1 touch /usr/bin/hvl-should-not-exist
  check_not "lab dir is invisible in a host" lab exec web-1 test -e "$HAVOC_LAB_DIR/keys"
  check_not "controller's /root is invisible in a host" lab exec web-1 test -e /root/.bashrc -o -e /root/.pyenv
  check_eq "web-1: its disk is 1 GiB" 1048576 lab exec web-1 sh -c 'df -k --output=size /var/tmp | tail -n1 | tr -d " "'
  check_not "fill web-1's disk (write 1100 MiB)" lab exec web-1 sh -c 'head -c 1100M /dev/zero > /var/tmp/fill'
  check_not "web-1's disk is full" lab exec web-1 sh -c 'head -c 1M /dev/zero > /root/more'
  check "web-2 can still write" lab exec web-2 sh -c 'head -c 1M /dev/zero > /root/more'
  check "web-1 free again" lab exec web-1 sh -c 'rm -f /var/tmp/fill /root/more && echo x > /root/more'
  check "tamper web-1's page" lab exec web-1 sh -c 'echo defaced > /var/www/html/index.html'
  check_not "drift detected on web-1" lab exec web-1 sha256sum -c --quiet /etc/havoc-image.sha256
  check "no drift on web-2" lab exec web-2 sha256sum -c --quiet /etc/havoc-image.sha256

  say "status exit codes"
  check "status 0" lab status
  check "stop nginx on web-2" lab exec web-2 service nginx stop
  check_not "status 1 while web-2's nginx is down" lab status
  check "start nginx on web-2" lab exec web-2 service nginx start
  check "status 0 again" lab status

  say "reboot, stop, start"
  check "marker on web-2's disk" lab exec web-2 sh -c 'echo kept > /root/marker'
  check "firewall rule on web-2" lab exec web-2 iptables -w -A INPUT -p tcp --dport 7 -j DROP
  local oldinit
  oldinit="$(cat "$HAVOC_LAB_DIR/hosts/web-2/init.pid")"
  check "reboot web-2 over ssh" lssh "$NET.0.12" reboot
  check "web-2 reboots (new init)" retry 50 0.1 bash -c "[[ -f '$HAVOC_LAB_DIR/hosts/web-2/init.pid' && \$(cat '$HAVOC_LAB_DIR/hosts/web-2/init.pid') != '$oldinit' ]]"
  check "web-2 answers ssh again" retry 50 0.2 lssh "$NET.0.12" true
  check "web-2 nginx up again" retry 50 0.2 bash -c "[[ \$(curl -s -o /dev/null -m 1 -w '%{http_code}' http://$NET.0.12/) == 200 ]]"
  check_eq "web-2 kept its disk" kept lab exec web-2 cat /root/marker
  check_not "web-2 lost its runtime firewall rule" bash -c "'$LABSH' exec web-2 iptables -w -S INPUT | grep -q 'dport 7 '"
  check "stop web-3 (power off)" lab stop web-3
  check_match "web-3 is stopped" "web-3 +$NRE\.0\.13 +web-v1 +stopped" lab status
  check "lb still 200 without web-3" retry 10 0.5 site_ok 5
  check "start web-3" lab start web-3
  check "status 0 after start" lab status
  check "poweroff inside web-3" lssh "$NET.0.13" poweroff
  check "web-3 goes down" retry 50 0.1 bash -c "'$LABSH' status | grep -q 'web-3 .* stopped'"
  check "start web-3 again" lab start web-3

  say "destroy + create (rotate onto a fresh golden image)"
  local oldkey newkey
  oldkey="$(known_key "$NET.0.11")"
  check "old key known" test -n "$oldkey"
  check "destroy web-1" lab destroy web-1
  check_not "web-1 netns gone" test -e "/run/netns/$PFX-web-1"
  check_eq "known_hosts: web-1 entry gone" "" known_key "$NET.0.11"
  check_not "status 1 with web-1 destroyed" lab status
  check "lb still 200 without web-1" retry 10 0.5 site_ok 5
  check "create web-1 --image web-v2" lab create web-1 --image web-v2
  newkey="$(known_key "$NET.0.11")"
  check "new key known" test -n "$newkey"
  check "new key differs" test "$newkey" != "$oldkey"
  check_not "old key is gone from known_hosts" grep -qF "$oldkey" "$HAVOC_LAB_KNOWN_HOSTS"
  check_eq "ssh web-1 (strict) works" web-1 lssh "$NET.0.11" hostname
  check_match "web-1 page shows v2" 'Welcome to web-1 \(web-v2\)' curl -s -m 3 "http://$NET.0.11/"
  check_match "web-1 image-release VERSION=2" 'VERSION=2' lssh "$NET.0.11" cat /etc/image-release
  check "web-1: no drift from web-v2" lssh "$NET.0.11" sha256sum -c --quiet /etc/havoc-image.sha256
  check_not "web-1: fresh disk (user gone)" lab exec web-1 id chaosmonkey
  check_match "status shows web-1 on web-v2" "web-1 +$NRE\.0\.11 +web-v2 +running" lab status
  check "status 0" lab status
  check "create web-1 (default: keeps web-v2)" lab create web-1
  check_match "still web-v2" 'Welcome to web-1 \(web-v2\)' curl -s -m 3 "http://$NET.0.11/"
  check "create web-4 (new host)" lab create web-4
  check_match "inventory has web-4" "web-4: +\{address: $NRE\.0\.14, tags: \[web\]\}" cat "$HAVOC_LAB_INVENTORY"
  check_eq "ssh web-4" web-4 lssh "$NET.0.14" hostname
  check "lb balances onto web-4" retry 30 0.1 bash -c "curl -s -m 2 '$HAVOC_LAB_SITE' | grep -q 'Welcome to web-4'"

  say "down"
  local t1="$EPOCHREALTIME"
  check "down" lab down
  printf '  (down took %ss)\n' "$(secs "$t1")"
  check "nothing of the lab is left" no_lab_left
  check "down again (no-op)" lab down
}

# crash: down after kill -9 of lab processes and after a killed `up`
crash() {
  say "crash recovery"
  check "up --web 5" lab up --web 5
  local p
  for p in "$HAVOC_LAB_DIR"/hosts/*/supervisor.pid "$HAVOC_LAB_DIR"/hosts/web-[13]/init.pid; do
    kill -9 "$(cat "$p")" 2>/dev/null || true
  done
  check_not "status 1 after kill -9" lab status
  check "down after kill -9" lab down
  check "nothing left" no_lab_left
  check "up --web 5 again" lab up --web 5
  rm -rf --one-file-system "$HAVOC_LAB_DIR"
  check "down after the state dir vanished" lab down
  check "nothing left" no_lab_left
  # an `up` killed half-way (its whole process group, as a crash would)
  # (killed once its namespaces exist, at most 10 s in: mid-way, whatever
  # the machine's speed)
  setsid "$LABSH" up --web 30 >/dev/null 2>&1 &
  local upid=$! i
  for ((i = 0; i < 200; i++)); do
    [[ -e /run/netns/$PFX-lb ]] && break
    sleep 0.05
  done
  sleep 0.2
  kill -9 -- "-$upid" 2>/dev/null || true
  wait "$upid" 2>/dev/null || true
  check "the killed up left a partial lab" test -e "/run/netns/$PFX-lb"
  check "down after a killed up" lab down
  check "nothing left" no_lab_left
}

# bench N: up --web N --bare, ssh to every node at once, down
bench() {
  local n="$1" t0 a i okc
  say "bench: $n bare hosts"
  t0="$EPOCHREALTIME"
  check "up --web $n --bare" lab up --web "$n" --bare
  printf '  (up took %ss)\n' "$(secs "$t0")"
  eval "$(lab env)"
  check "status 0" lab status
  t0="$EPOCHREALTIME"
  okc="$(for ((i = 1; i <= n; i++)); do
    a="$(addr_of "node-$i")"
    lssh "$a" hostname &
  done | sort -u | wc -l)"
  wait
  printf '  (%s concurrent ssh sessions took %ss)\n' "$n" "$(secs "$t0")"
  check_eq "ssh to all $n nodes at once" "$n" echo "$okc"
  t0="$EPOCHREALTIME"
  check "down" lab down
  printf '  (down took %ss)\n' "$(secs "$t0")"
  check "nothing left" no_lab_left
}

main() {
  local loops=1 benchn=0 crashes=1 i
  while (($#)); do
    case "$1" in
      --loops) loops="$2"; shift 2 ;;
      --bench) benchn="$2"; shift 2 ;;
      --no-crash) crashes=0; shift ;;
      -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; return 0 ;;
      *) echo "unknown option $1" >&2; return 64 ;;
    esac
  done
  [[ $EUID -eq 0 ]] || { echo "selftest: run as root" >&2; return 1; }
  "$LABSH" deps
  for ((i = 1; i <= loops; i++)); do
    say "suite, pass $i of $loops"
    suite
  done
  ((crashes)) && crash
  ((benchn > 0)) && bench "$benchn"
  printf '\nselftest: %d checks, %d failed\n' "$CHECKS" "$FAILS"
  ((FAILS == 0))
}

main "$@"
