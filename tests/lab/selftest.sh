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
FAILS=0
CHECKS=0

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

# no_lab_left: nothing named hvl in netns, links, processes or iptables
no_lab_left() {
  [[ -z $(ip netns list | grep '^hvl-' || true) ]] &&
    [[ -z $(ip -o link show | grep ': hvl-' || true) ]] &&
    [[ -z $(grep -laz '^HVL_MEMBER=' /proc/[0-9]*/environ 2>/dev/null || true) ]] &&
    [[ -z $(pgrep -f '/hvl-(init|host) ' || true) ]] &&
    ! iptables -w -n -L HVL-FWD >/dev/null 2>&1 &&
    [[ ! -e ${HAVOC_LAB_DIR:-/run/havoc-lab} ]]
}

# known_key ADDR: the key known_hosts holds for ADDR
known_key() { awk -v a="$1" '$1 == a {print $3}' "$HAVOC_LAB_KNOWN_HOSTS"; }

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
  check_eq "env: hosts" "lb web-1 web-2 web-3" echo "$HAVOC_LAB_HOSTS"
  check_eq "env: site" "http://10.99.0.10/" echo "$HAVOC_LAB_SITE"
  check_eq "inventory: web-2 address" "10.99.0.12" addr_of web-2
  check_match "inventory: lb tagged lb" 'lb: +\{address: 10\.99\.0\.10, tags: \[lb\]\}' cat "$HAVOC_LAB_INVENTORY"
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
    "! ssh -i '$HAVOC_LAB_KEY' -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes root@10.99.0.11 true"

  say "network"
  check_eq "web-1 reaches web-2" 200 lab exec web-1 curl -s -o /dev/null -m 3 -w '%{http_code}' http://10.99.0.12/healthz
  check_eq "web-1 reaches lb" 200 lab exec web-1 curl -s -o /dev/null -m 3 -w '%{http_code}' http://10.99.0.10/healthz
  check_eq "web-1 reaches the controller (port 1: refused, not timed out)" 7 \
    lab exec web-1 bash -c 'curl -s -m 3 http://10.99.0.1:1/; echo $?'
  check_not "web-1 cannot leave the lab (192.0.2.1)" lab exec web-1 curl -s -m 2 http://192.0.2.1/
  check "root ns: HVL-FWD chain drops routed lab traffic" bash -c "iptables -w -S HVL-FWD | grep -q -- '-i hvl-br0 -j DROP'"
  check_match "web-1: eth0 has 10.99.0.11/16" 'inet 10\.99\.0\.11/16' lab exec web-1 ip -4 addr show eth0
  check_match "web-1: default route via 10.99.0.1" 'default via 10\.99\.0\.1 dev eth0' lab exec web-1 ip route

  say "isolation"
  check "pkill nginx in web-1" lab exec web-1 pkill nginx
  check "web-1: nginx gone" retry 20 0.1 bash -c "! '$LABSH' exec web-1 pgrep -x nginx"
  check "web-2: nginx alive" lab exec web-2 pgrep -x nginx
  check_eq "web-1: http down" 000 http_code http://10.99.0.11/
  check "lb still answers 200 (10 in a row, bounded retries)" retry 10 0.5 site_ok 10
  check_eq "web-1: service nginx status fails" 3 lab exec web-1 bash -c 'service nginx status >/dev/null; echo $?'
  check "web-1: service nginx start" lab exec web-1 service nginx start
  check_eq "web-1: http back" 200 http_code http://10.99.0.11/
  check "web-1: service nginx stop/start over ssh" lssh 10.99.0.11 'service nginx stop && service nginx start'
  check "web-1: systemctl restart nginx (shim)" lssh 10.99.0.11 'systemctl restart nginx'
  check_eq "web-1: http after restart" 200 http_code http://10.99.0.11/
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
  check "reboot web-2 over ssh" lssh 10.99.0.12 reboot
  check "web-2 reboots (new init)" retry 50 0.1 bash -c "[[ -f '$HAVOC_LAB_DIR/hosts/web-2/init.pid' && \$(cat '$HAVOC_LAB_DIR/hosts/web-2/init.pid') != '$oldinit' ]]"
  check "web-2 answers ssh again" retry 50 0.2 lssh 10.99.0.12 true
  check "web-2 nginx up again" retry 50 0.2 bash -c "[[ \$(curl -s -o /dev/null -m 1 -w '%{http_code}' http://10.99.0.12/) == 200 ]]"
  check_eq "web-2 kept its disk" kept lab exec web-2 cat /root/marker
  check_not "web-2 lost its runtime firewall rule" bash -c "'$LABSH' exec web-2 iptables -w -S INPUT | grep -q 'dport 7 '"
  check "stop web-3 (power off)" lab stop web-3
  check_match "web-3 is stopped" 'web-3 +10\.99\.0\.13 +web-v1 +stopped' lab status
  check "lb still 200 without web-3" retry 10 0.5 site_ok 5
  check "start web-3" lab start web-3
  check "status 0 after start" lab status
  check "poweroff inside web-3" lssh 10.99.0.13 poweroff
  check "web-3 goes down" retry 50 0.1 bash -c "'$LABSH' status | grep -q 'web-3 .* stopped'"
  check "start web-3 again" lab start web-3

  say "destroy + create (rotate onto a fresh golden image)"
  local oldkey newkey
  oldkey="$(known_key 10.99.0.11)"
  check "old key known" test -n "$oldkey"
  check "destroy web-1" lab destroy web-1
  check_not "web-1 netns gone" test -e /run/netns/hvl-web-1
  check_eq "known_hosts: web-1 entry gone" "" known_key 10.99.0.11
  check_not "status 1 with web-1 destroyed" lab status
  check "lb still 200 without web-1" retry 10 0.5 site_ok 5
  check "create web-1 --image web-v2" lab create web-1 --image web-v2
  newkey="$(known_key 10.99.0.11)"
  check "new key known" test -n "$newkey"
  check "new key differs" test "$newkey" != "$oldkey"
  check_not "old key is gone from known_hosts" grep -qF "$oldkey" "$HAVOC_LAB_KNOWN_HOSTS"
  check_eq "ssh web-1 (strict) works" web-1 lssh 10.99.0.11 hostname
  check_match "web-1 page shows v2" 'Welcome to web-1 \(web-v2\)' curl -s -m 3 http://10.99.0.11/
  check_match "web-1 image-release VERSION=2" 'VERSION=2' lssh 10.99.0.11 cat /etc/image-release
  check "web-1: no drift from web-v2" lssh 10.99.0.11 sha256sum -c --quiet /etc/havoc-image.sha256
  check_not "web-1: fresh disk (user gone)" lab exec web-1 id chaosmonkey
  check_match "status shows web-1 on web-v2" 'web-1 +10\.99\.0\.11 +web-v2 +running' lab status
  check "status 0" lab status
  check "create web-1 (default: keeps web-v2)" lab create web-1
  check_match "still web-v2" 'Welcome to web-1 \(web-v2\)' curl -s -m 3 http://10.99.0.11/
  check "create web-4 (new host)" lab create web-4
  check_match "inventory has web-4" 'web-4: +\{address: 10\.99\.0\.14, tags: \[web\]\}' cat "$HAVOC_LAB_INVENTORY"
  check_eq "ssh web-4" web-4 lssh 10.99.0.14 hostname
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
  setsid "$LABSH" up --web 30 >/dev/null 2>&1 &
  local upid=$!
  sleep 1.5
  kill -9 -- "-$upid" 2>/dev/null || true
  wait "$upid" 2>/dev/null || true
  check "the killed up left a partial lab" test -e /run/netns/hvl-lb
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
