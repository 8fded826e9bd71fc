#!/usr/bin/env bash
# havoc test lab: real hosts on one Linux machine, built from network,
# PID, mount and UTS namespaces, a bridge, OpenSSH, nginx and golden images.
#
# Usage: tests/lab/lab.sh COMMAND [ARGS]
#
#   deps                      install missing Debian packages (no daemons are
#                             left running in the root namespace)
#   up [--web N] [--bare] [--no-mon]
#                             build the lab from scratch. `up` always runs
#                             `down` first, so it is idempotent and every `up`
#                             gives a fresh lab (new keys, fresh disks).
#                             default: mon + lb + web-1..web-3 (--web 3)
#                             --bare: node-1..node-N running only sshd
#                             --no-mon: without the monitoring host
#   down                      remove everything the lab created (also after a
#                             crash, a partial `up`, or when nothing exists)
#   status                    one line per host; exit 0 iff the lab is fully up
#   destroy HOST              kill the host, delete its namespace and disk;
#                             the host stays defined (inventory, address)
#   create HOST [--image IMG] [--address IP]
#                             fresh host from golden image IMG (default: the
#                             image it had); new ssh host key, known_hosts
#                             rewritten. A new name web-N/node-N adds a host;
#                             --address IP adds one of any short name at a
#                             free address of the lab's subnet (the cloud
#                             bridge's instances)
#   destroy HOST --deregister also takes it out of the lb's upstreams (mon
#                             keeps it); `create` puts it back
#   remove HOST               destroy the host and forget it: inventory, the
#                             lb's upstreams, mon's targets
#   stop HOST                 graceful power-off (like `poweroff` inside); the
#                             disk is kept. (`reboot` inside a host reboots
#                             it with its disk; `poweroff`/`halt` stop it.)
#   start HOST                boot a stopped (or crashed) host from its disk
#   exec HOST CMD...          run CMD inside HOST (net, pid, mount, uts, ipc)
#   ssh HOST [CMD...]         ssh root@HOST with the lab key and known_hosts
#   env                       print `export VAR=...` lines for `eval`
#   images                    list the golden images
#
# Environment: HAVOC_LAB_INSTANCE (empty or 1: the default lab; N in 2..99:
# another lab beside it, prefix hvlN, subnet 10.(100-N).0.0/16, state
# directory /run/havoc-labN), HAVOC_LAB_DIR (state directory, default
# /run/havoc-lab[N]), HAVOC_LAB_DISK_SIZE (each host's disk, a tmpfs;
# default 1g).
# Every name the lab creates starts with its prefix `hvl` (`hvl2`...): netns
# hvl-web-1, veth hvl-web-1, bridge hvl-br0, iptables chain HVL-FWD, process
# marker HVL_MEMBER. See tests/lab/README.md.
set -euo pipefail

LAB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly LAB_SRC
readonly SELF="${LAB_SRC}/lab.sh"
# lab instance: "" (or 1) is the default lab; N in 2..99 is another lab
# beside it with its own names, subnet and state directory (see README)
INSTANCE="${HAVOC_LAB_INSTANCE:-}"
[[ $INSTANCE =~ ^([1-9][0-9]?)?$ ]] || {
  printf 'lab: error: HAVOC_LAB_INSTANCE must be empty or 1..99 (%s)\n' "$INSTANCE" >&2
  exit 64
}
[[ $INSTANCE == 1 ]] && INSTANCE=""
readonly INSTANCE
readonly PFX="hvl${INSTANCE}"       # netns, veths, bridge: hvl2-web-1, hvl2-br0
readonly LAB="${HAVOC_LAB_DIR:-/run/havoc-lab${INSTANCE}}"
readonly NET="10.$((100 - ${INSTANCE:-1}))"   # first two octets: 10.99, 10.98...
readonly BRIDGE="$PFX-br0"
# MACs: 02:68:76:6c:... for the default lab, 6d for instance 2, and so on
MAC_PFX="$(printf '02:68:76:%02x' $((0x6c + ${INSTANCE:-1} - 1)))"
readonly MAC_PFX
readonly BRIDGE_MAC="$MAC_PFX:00:01"
readonly GATEWAY="$NET.0.1"
readonly LB_ADDR="$NET.0.10"
readonly MON_ADDR="$NET.0.5"
readonly FW_CHAIN="${PFX^^}-FWD"    # HVL-FWD, HVL2-FWD
readonly MARK="${PFX^^}_MEMBER"     # env marker carried by lab processes
readonly MAX_JOBS=32                # parallel host preparation
readonly BOOT_TIMEOUT=60            # seconds for all hosts to answer
readonly MON_TIMEOUT=30             # seconds for mon: Prometheus, Alertmanager, targets
# mon's services (the packages `deps` installs for it) and their checks:
# node exporter, Prometheus, Alertmanager, blackbox exporter, the webhook
# receiver, and every scrape target up
readonly MON_BINS=(/usr/bin/prometheus /usr/bin/prometheus-alertmanager
  /usr/bin/prometheus-blackbox-exporter /usr/bin/promtool)
readonly MON_CHECKS="ssh,tcp:9100,http:9090/-/ready,http:9093/-/ready,http:9115/-/healthy,http:9097/-/ready,targets:9090"
readonly DISK_SIZE="${HAVOC_LAB_DISK_SIZE:-1g}"   # each host's disk (tmpfs)
readonly PKGS=(openssh-server openssh-client nginx-light iptables iproute2
  prometheus-node-exporter stress-ng python3 procps psmisc util-linux curl
  prometheus prometheus-alertmanager prometheus-blackbox-exporter)
# directories each host gets its own writable copy of, as overlayfs:
# lowers = instance layer : golden image : real root dir (see bin/hvl-init).
# Everything else of the real root is read-only inside a host; /run, /tmp
# and /dev/shm are per-host tmpfs. FRESH_DIRS hide the real root's contents
# (the controller's /root must not show up in a host).
readonly OVERLAYS=(etc home root opt srv usr/local var/cache var/lib var/log
  var/mail var/spool var/tmp var/www)
readonly FRESH_DIRS=(root home var/tmp)
# systemctl (reboot, poweroff, ... link to it) is replaced by bin/hvl-systemctl
SYSTEMCTL="$(readlink -f /usr/bin/systemctl 2>/dev/null || true)"
[[ -f $SYSTEMCTL ]] || SYSTEMCTL=""
readonly SYSTEMCTL

# log: message on stderr, prefixed with the lab's name
log() { printf 'lab: %s\n' "$*" >&2; }

# die: log and exit 1
die() { log "error: $*"; exit 1; }

# usage: print the header comment of this file
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; }

# need_root: every command that changes the machine runs as root
need_root() { [[ ${EUID} -eq 0 ]] || die "must run as root"; }

# with_lock ARGS: run this script again under flock(1) -o, so the lock is
# held by flock itself and no lab process (supervisor, daemon) inherits it;
# serializes the commands that change the lab, leaves no lock file behind
with_lock() {
  [[ -n ${HVL_LAB_LOCKED:-} ]] && return 0
  local rc=0
  HVL_LAB_LOCKED=1 flock -o -E 75 -w 120 "$SELF" "$SELF" "$@" || rc=$?
  ((rc != 75)) || die "another lab.sh held the lock for 120 s"
  exit "$rc"
}

###########################################################################
# deps
###########################################################################

# cmd_deps: install the missing packages without starting their daemons
# (policy-rc.d exit 101 during the install; the previous one is restored)
cmd_deps() {
  need_root
  local missing=() p
  for p in "${PKGS[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] ||
      missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    log "deps: all ${#PKGS[@]} packages present"
    return 0
  fi
  log "deps: installing ${missing[*]}"
  local before rc=0
  before="$(root_daemon_pids)"
  POLICY_BACKUP=""
  if [[ -e $POLICY ]]; then POLICY_BACKUP="$(mktemp)"; cp -p "$POLICY" "$POLICY_BACKUP"; fi
  trap restore_policy EXIT
  printf '#!/bin/sh\n# havoc lab: no daemons during install\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}"; } || rc=$?
  restore_policy
  trap - EXIT
  ((rc == 0)) || die "apt-get failed (rc=$rc)"
  stop_new_root_daemons "$before"
}

# restore_policy: put back the policy-rc.d that was there before deps
POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
restore_policy() {
  if [[ -n $POLICY_BACKUP ]]; then
    cp -p "$POLICY_BACKUP" "$POLICY"; rm -f "$POLICY_BACKUP"; POLICY_BACKUP=""
  else
    rm -f "$POLICY"
  fi
}

# root_daemon_pids: nginx/sshd/prometheus* daemons of the root namespaces
# that look started by a package (reparented to init, no custom config;
# comm is cut at 15 characters: prometheus-aler(tmanager), -blac(kbox)...)
root_daemon_pids() {
  local f pid comm ppid args rootnet rootpid
  rootnet="$(readlink /proc/self/ns/net)"
  rootpid="$(readlink /proc/self/ns/pid)"
  for f in /proc/[0-9]*/comm; do
    read -r comm 2>/dev/null <"$f" || continue
    case "$comm" in
      nginx | sshd | prometheus | prometheus-node | prometheus-aler | prometheus-blac) ;;
      *) continue ;;
    esac
    pid="${f#/proc/}"; pid="${pid%/comm}"
    [[ $(readlink "/proc/$pid/ns/net" 2>/dev/null) == "$rootnet" ]] || continue
    [[ $(readlink "/proc/$pid/ns/pid" 2>/dev/null) == "$rootpid" ]] || continue
    ppid="$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')"
    [[ $ppid == 1 ]] || continue
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
    [[ $args == *" -f "* || $args == *" -c "* ]] && continue
    echo "$pid"
  done
}

# stop_new_root_daemons BEFORE: stop the package daemons that appeared in
# the root namespaces during our install (policy-rc.d should have prevented
# them; daemons that were running before are never touched)
stop_new_root_daemons() {
  local pid
  for pid in $(root_daemon_pids); do
    grep -qx "$pid" <<<"$1" && continue
    log "deps: stopping $(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid) started by the install"
    kill -TERM "$pid" 2>/dev/null || true
  done
}

###########################################################################
# host definitions: names, addresses, files under $LAB/hosts/NAME
###########################################################################

# host_addr NAME: the fixed address of a host name; fails for other names
host_addr() {
  local n="$1" i
  case "$n" in
    lb) echo "$LB_ADDR" ;;
    mon) echo "$MON_ADDR" ;;
    web-* | node-*)
      i="${n#*-}"
      [[ $i =~ ^[1-9][0-9]{0,2}$ ]] || return 1
      if ((i <= 240)); then echo "$NET.0.$((10 + i))"
      elif ((i <= 494)); then echo "$NET.1.$((i - 240))"
      else return 1; fi ;;
    *) return 1 ;;
  esac
}

# host_mac ADDR: a fixed MAC per address, so that a re-created host is
# reachable at once (no stale ARP entries in the controller or other hosts)
host_mac() {
  local IFS=. a
  read -r -a a <<<"$1"
  printf '%s:%02x:%02x' "$MAC_PFX" "${a[2]}" "${a[3]}"
}

# default_image NAME: the golden image a host gets unless told otherwise
default_image() {
  case "$1" in
    lb) echo lb-v1 ;;
    mon) echo mon-v1 ;;
    node-*) echo bare-v1 ;;
    *) echo web-v1 ;;
  esac
}

# hostdir NAME: the host's state directory on the controller
hostdir() { printf '%s/hosts/%s' "$LAB" "$1"; }

# host_load NAME: set H_NAME H_ADDR H_MAC H_IMAGE H_ROLE from host.env
host_load() {
  local k v
  H_NAME="" H_ADDR="" H_MAC="" H_IMAGE="" H_ROLE=""
  [[ -f $(hostdir "$1")/host.env ]] || return 1
  while IFS='=' read -r k v; do
    case "$k" in
      NAME) H_NAME="$v"; : "$H_NAME" ;; ADDR) H_ADDR="$v" ;; MAC) H_MAC="$v" ;;
      IMAGE) H_IMAGE="$v" ;; ROLE) H_ROLE="$v" ;;
    esac
  done <"$(hostdir "$1")/host.env"
}

# lab_hosts: the defined host names, ordered by address
lab_hosts() {
  compgen -G "$LAB/hosts/*/host.env" >/dev/null || return 0
  grep -H '^ADDR=' "$LAB"/hosts/*/host.env |
    sed -E 's#^.*/hosts/([^/]+)/host\.env:ADDR=(.*)$#\2 \1#' |
    sort -t. -k1,1n -k2,2n -k3,3n -k4,4n | cut -d' ' -f2
}

# pid_marked PID: PID is alive and carries MARK in its environment. The
# environment reads empty while PID is in execve (a python3 through pyenv's
# shims execs several times): an empty read is tried again, 5 times in
# 0.1 s at most, unless PID is gone or a zombie. mapfile reads at once
# (the file holds on to the image it was opened on).
pid_marked() {
  local i st e env=()
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  for ((i = 0; i < 5; i++)); do
    mapfile -d '' -t env 2>/dev/null <"/proc/$1/environ" || return 1
    ((${#env[@]} == 0)) || break
    read -r st 2>/dev/null <"/proc/$1/stat" || return 1
    [[ ${st##*) } != Z* ]] || return 1
    sleep 0.02
  done
  for e in "${env[@]}"; do [[ $e != "$MARK="* ]] || return 0; done
  return 1
}

# pid_is_lab PID: PID is alive and carries the lab's environment marker
# (guards every kill against recycled pids)
pid_is_lab() { pid_marked "$1"; }

# host_pid NAME WHICH: a live recorded pid (supervisor, unshare or init)
host_pid() {
  local f pid
  f="$(hostdir "$1")/$2.pid"
  [[ -f $f ]] || return 1
  pid="$(<"$f")"
  pid_is_lab "$pid" || return 1
  printf '%s' "$pid"
}

# host_state NAME: running | booting | stopped | crashed | lost | destroyed
# | absent. "lost": its supervisor is gone (killed), so are its processes
# and its disk; `start` boots it with a fresh disk, `create` re-creates it.
host_state() {
  local f s
  f="$(hostdir "$1")/state"
  [[ -f $f ]] || { echo absent; return; }
  s="$(<"$f")"
  if [[ $s != destroyed ]] && ! host_pid "$1" supervisor >/dev/null; then
    s=lost
  fi
  printf '%s\n' "$s"
}

# role_checks ROLE: what hvl-probe checks to call a host of that role "up"
role_checks() {
  case "$1" in
    web) echo "ssh,http:/healthz,tcp:9100" ;;
    lb) echo "ssh,http:/healthz,http:/,tcp:9100" ;;
    mon) echo "$MON_CHECKS" ;;
    *) echo "ssh" ;;
  esac
}

# role_wait ROLE: how long `up`/`create`/`start` wait for a host of ROLE
role_wait() { if [[ $1 == mon ]]; then echo "$MON_TIMEOUT"; else echo "$BOOT_TIMEOUT"; fi; }

###########################################################################
# images
###########################################################################

# image_release_get DIR KEY: a value from DIR/etc/image-release
image_release_get() {
  local v
  v="$(sed -n "s/^$2=//p" "$1/etc/image-release" 2>/dev/null | head -n1)"
  v="${v#\"}"; v="${v%\"}"
  printf '%s' "$v"
}

# image_files DIR: the files of an image directory, relative, sorted
image_files() { (cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort); }

# manifest DIR: sha256sum lines of DIR's files as absolute paths in a host
manifest() {
  (cd "$1" && find . -type f ! -path ./etc/havoc-image.sha256 -printf '%P\0' |
    LC_ALL=C sort -z | xargs -0r sha256sum) | sed -E 's#^([0-9a-f]+)  #\1  /#'
}

# snapshot_image NAME: tests/lab/images/base + tests/lab/images/NAME merged
# into $LAB/images/NAME (root-owned, normalized modes), once per lab: hosts
# use the snapshot, so editing the repo never changes a running host's
# lower layer. An image without @HOSTNAME@/@ADDRESS@ templates is shared by
# all its hosts and gets its manifest (/etc/havoc-image.sha256) here; a
# templated one is copied and rendered per host (prepare_host).
snapshot_image() {
  local name="$1" src="$LAB_SRC/images/$1" dst="$LAB/images/$1" f d ok
  [[ -d $dst ]] && return 0
  [[ -d $src && $name != base ]] || die "no golden image '$name' in $LAB_SRC/images"
  [[ $(image_release_get "$src" IMAGE) == "$name" ]] ||
    die "image $name: etc/image-release must say IMAGE=$name"
  # every file must sit in a directory that hosts get as an overlay
  while IFS= read -r f; do
    ok=""
    for d in "${OVERLAYS[@]}"; do [[ $f == "$d"/* ]] && ok=1; done
    [[ -n $ok ]] || die "image $name: $f is outside the overlaid directories (${OVERLAYS[*]})"
  done < <(image_files "$LAB_SRC/images/base"; image_files "$src")
  mkdir -p "$LAB/images"
  rm -rf "$dst.tmp"
  cp -a "$LAB_SRC/images/base" "$dst.tmp"
  cp -a "$src/." "$dst.tmp/"
  chown -R root:root "$dst.tmp"
  find "$dst.tmp" -type d -exec chmod 755 {} +
  find "$dst.tmp" -type f -perm /111 -exec chmod 755 {} +
  find "$dst.tmp" -type f ! -perm /111 -exec chmod 644 {} +
  if grep -rqe '@HOSTNAME@' -e '@ADDRESS@' "$dst.tmp"; then
    touch "$LAB/images/.$name.templated"
  else
    manifest "$dst.tmp" >"$dst.tmp/etc/havoc-image.sha256"
    /usr/bin/python3 "$LAB_SRC/bin/hvl-manifest" "$dst.tmp" || die "image $name: no manifest"
  fi
  mv "$dst.tmp" "$dst"
}

# cmd_images: list the golden images in the repo
cmd_images() {
  local d
  for d in "$LAB_SRC"/images/*/; do
    d="${d%/}"
    [[ ${d##*/} == base ]] && continue
    printf '%-10s version=%s role=%s services="%s"\n' "${d##*/}" \
      "$(image_release_get "$d" VERSION)" "$(image_release_get "$d" ROLE)" \
      "$(image_release_get "$d" SERVICES)"
  done
}

###########################################################################
# network: bridge, firewall, per-host netns and veth
###########################################################################

# check_subnet: nothing outside the lab may already use 10.99.0.0/16
check_subnet() {
  local clash
  clash="$(ip -4 -o route show | grep -E "^${NET//./\\.}\\." | grep -vE "dev $BRIDGE( |\$)" || true)"
  [[ -z $clash ]] || die "$NET.0.0/16 is already routed here: $clash"
}

# net_up: the bridge (controller side 10.99.0.1) and the firewall
net_up() {
  check_subnet
  if ! ip link show dev "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" address "$BRIDGE_MAC" type bridge
  fi
  sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1" >/dev/null
  ip addr replace "$GATEWAY/16" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  fw_up
}

# fw_up: chain HVL-FWD first in FORWARD: bridged host-to-host traffic is
# accepted (br_netfilter may send it through FORWARD, whatever the policy),
# anything routed into or out of the lab is dropped
fw_up() {
  if ! iptables -w -n -L FORWARD >/dev/null 2>&1; then
    [[ $(cat /proc/sys/net/ipv4/ip_forward) == 0 ]] ||
      die "iptables unusable and ip_forward=1: lab traffic could leave the machine"
    log "warning: iptables unusable in the root namespace; relying on ip_forward=0"
    return 0
  fi
  iptables -w -N "$FW_CHAIN" 2>/dev/null || iptables -w -F "$FW_CHAIN"
  iptables -w -A "$FW_CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  iptables -w -A "$FW_CHAIN" -i "$BRIDGE" -j DROP
  iptables -w -A "$FW_CHAIN" -o "$BRIDGE" -j DROP
  iptables -w -C FORWARD -j "$FW_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$FW_CHAIN"
}

# fw_down: remove the lab's chain and its jump
fw_down() {
  iptables -w -n -L "$FW_CHAIN" >/dev/null 2>&1 || return 0
  while iptables -w -D FORWARD -j "$FW_CHAIN" 2>/dev/null; do :; done
  iptables -w -F "$FW_CHAIN" 2>/dev/null || true
  iptables -w -X "$FW_CHAIN" 2>/dev/null || true
}

# net_attach NAME...: netns hvl-NAME with eth0, plugged into the bridge
# (one `ip -batch` for all hosts; addresses are set by the host's init)
net_attach() {
  local n batch=""
  for n in "$@"; do
    host_load "$n"
    batch+="netns add $PFX-$n"$'\n'
    batch+="link add $PFX-$n type veth peer name eth0 address $H_MAC netns $PFX-$n"$'\n'
    batch+="link set $PFX-$n addrgenmode none master $BRIDGE up"$'\n'
  done
  ip -batch - <<<"$batch" || die "creating namespaces/veths failed"
}

# lab_netns: the lab's network namespaces
lab_netns() { ip netns list 2>/dev/null | awk -v p="$PFX-" 'index($1, p) == 1 {print $1}'; }

# lab_links: the lab's interfaces in the root namespace
lab_links() {
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
    awk -v p="$PFX-" 'index($1, p) == 1'
}

# netns_members NETNS...: pids of the processes in these network namespaces
netns_members() {
  local -A want=()
  local ino link path
  (($#)) || return 0
  for ino in $(cd /run/netns && stat -L -c %i "$@" 2>/dev/null); do want["net:[$ino]"]=1; done
  ((${#want[@]})) || return 0
  # "'/proc/123/ns/net' -> 'net:[4026532001]'"
  stat -c '%N' /proc/[0-9]*/ns/net 2>/dev/null | tr -d "'" |
    while read -r path _ link; do
      if [[ -n $link && -n ${want[$link]:-} ]]; then path="${path#/proc/}"; echo "${path%%/*}"; fi
    done
}

###########################################################################
# processes
###########################################################################

# marked_pids: every process carrying the lab's environment marker
# (supervisors, unshare, inits and what they start), except this script
marked_pids() {
  local f pid
  grep -laz "^${MARK}=" /proc/[0-9]*/environ 2>/dev/null |
    while IFS= read -r f; do
      pid="${f#/proc/}"; pid="${pid%/environ}"
      [[ $pid == "$$" ]] || echo "$pid"
    done
}

# alive PID: exists and is not a zombie (no forks: called in loops)
alive() {
  local line st
  read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  st="${line##*) }"
  [[ -n $st && ${st:0:1} != Z ]]
}

# kill_and_wait PID...: SIGKILL and wait (bounded, 10 s) until all are gone
kill_and_wait() {
  local p i left
  (($#)) || return 0
  kill -KILL "$@" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    left=()
    for p in "$@"; do alive "$p" && left+=("$p"); done
    ((${#left[@]})) || return 0
    sleep 0.05
  done
  log "warning: still alive after SIGKILL: ${left[*]}"
  return 1
}

# host_marked_pids NAME: the host's supervisor, unshare and init, found
# without pid files (marked processes with NAME as an argument)
host_marked_pids() {
  local f pid
  local -A marked=()
  for pid in $(marked_pids); do marked[$pid]=1; done
  grep -lzx -- "$1" /proc/[0-9]*/cmdline 2>/dev/null |
    while IFS= read -r f; do
      pid="${f#/proc/}"; pid="${pid%/cmdline}"
      [[ -z ${marked[$pid]:-} ]] || echo "$pid"
    done
}

# host_kill NAME: kill every process of one host (supervisor first)
host_kill() {
  local n="$1" w p pids=()
  for w in supervisor unshare init; do
    p="$(host_pid "$n" "$w")" && pids+=("$p")
  done
  if ((${#pids[@]})); then kill -KILL "${pids[0]}" 2>/dev/null || true; fi
  mapfile -t -O "${#pids[@]}" pids < <(host_marked_pids "$n")
  if [[ -e /run/netns/$PFX-$n ]]; then
    mapfile -t -O "${#pids[@]}" pids < <(netns_members "$PFX-$n")
  fi
  kill_and_wait "${pids[@]}" || true
  # a second look: anything that entered the netns meanwhile
  if [[ -e /run/netns/$PFX-$n ]]; then
    mapfile -t pids < <(netns_members "$PFX-$n")
    kill_and_wait "${pids[@]}" || true
  fi
}

# host_teardown NAME: kill the host, delete its netns/veth and its disk;
# host.env stays, so the host remains defined (address, last image)
host_teardown() {
  local n="$1" hd
  hd="$(hostdir "$n")"
  host_kill "$n"
  ip link del "$PFX-$n" 2>/dev/null || true
  ip netns del "$PFX-$n" 2>/dev/null || true
  if [[ -d $hd ]]; then
    rm -rf --one-file-system "$hd/image" "$hd/layer" "$hd/fs" "$hd"/*.pid "$hd/state.tmp"
    echo destroyed >"$hd/state"
  fi
}

###########################################################################
# building hosts
###########################################################################

# define_host NAME IMAGE [ADDR]: write host.env (name, address, image,
# role); ADDR for a host of any name (`create NAME --address`), else the
# name's fixed address
define_host() {
  local n="$1" img="$2" addr="${3:-}" hd
  [[ -n $addr ]] || addr="$(host_addr "$n")" ||
    die "bad host name '$n' (lb, mon, web-N, node-N; N <= 494)"
  hd="$(hostdir "$n")"
  mkdir -p "$hd"
  {
    printf 'NAME=%s\nADDR=%s\nMAC=%s\nIMAGE=%s\n' "$n" "$addr" "$(host_mac "$addr")" "$img"
    printf 'ROLE=%s\nGATEWAY=%s\nPREFIX=16\nDISK=%s\nPFX=%s\n' \
      "$(image_release_get "$LAB/images/$img" ROLE)" "$GATEWAY" "$DISK_SIZE" "$PFX"
  } >"$hd/host.env"
}

# write_instance_data NAME: role-specific instance data in the host's layer
# (what cloud-init user data would carry): the lb's list of web hosts; the
# mon host's scrape targets (every host's node exporter, the site)
write_instance_data() {
  local hd
  hd="$(hostdir "$1")"
  case "$H_ROLE" in
    lb) write_upstreams >"$hd/layer/etc/nginx/havoc-upstreams.conf" ;;
    mon)
      mkdir -p "$hd/layer/etc/prometheus/targets"
      write_node_targets >"$hd/layer/etc/prometheus/targets/node.yml"
      write_site_targets >"$hd/layer/etc/prometheus/targets/site.yml" ;;
  esac
}

# write_node_targets: Prometheus file_sd targets, every defined host's node
# exporter with labels host and role (ordered by address)
write_node_targets() {
  local n
  echo "# generated by tests/lab/lab.sh: every lab host's node exporter"
  for n in $(lab_hosts); do
    host_load "$n"
    printf -- "- targets: ['%s:9100']\n  labels: {host: %s, role: %s}\n" "$H_ADDR" "$n" "$H_ROLE"
  done
}

# write_site_targets: Prometheus file_sd targets of the blackbox probe
write_site_targets() {
  echo "# generated by tests/lab/lab.sh: the site, through the balancer"
  printf -- "- targets: ['http://%s/']\n" "$LB_ADDR"
}

# write_upstreams: nginx upstream servers for the lb (all web hosts)
write_upstreams() {
  local n any=""
  echo "# generated by tests/lab/lab.sh: the web hosts"
  for n in $(lab_hosts); do
    host_load "$n"
    [[ $H_ROLE == web && ! -f $(hostdir "$n")/deregistered ]] || continue
    printf 'server %s:80 max_fails=1 fail_timeout=2s;\n' "$H_ADDR"
    any=1
  done
  [[ -n $any ]] || echo "server 127.0.0.1:1 down;"
}

# prepare_host NAME: the host's disk before its first boot (few forks:
# 200 hosts are prepared at once):
#   image/  the golden image (lower layer): a link to the shared snapshot, or
#           for a templated image a copy with @HOSTNAME@/@ADDRESS@ rendered
#           and its own /etc/havoc-image.sha256
#   layer/  instance data (top lower layer): ssh host key, authorized_keys,
#           hostname, hosts, the lb's upstreams
#   fs/     mount point of the host's disk (see bin/hvl-host): upper dirs
#           disk/ (the host's writes) and overlay work dirs work/
#   fstab   the mounts its init makes
prepare_host() {
  local n="$1" hd img
  host_load "$n"
  hd="$(hostdir "$n")"
  img="$LAB/images/$H_IMAGE"
  if [[ -e $hd/image || -e $hd/layer || -e $hd/fs ]]; then
    rm -rf --one-file-system "$hd/image" "$hd/layer" "$hd/fs"
  fi
  cp -a "$LAB/skel/layer" "$hd/layer"
  mkdir "$hd/fs"
  if [[ -f $LAB/images/.$H_IMAGE.templated ]]; then
    cp -a "$img" "$hd/image"
    grep -rlZ -e '@HOSTNAME@' -e '@ADDRESS@' "$hd/image" |
      xargs -0r sed -i -e "s/@HOSTNAME@/$n/g" -e "s/@ADDRESS@/$H_ADDR/g"
    manifest "$hd/image" >"$hd/image/etc/havoc-image.sha256"
    /usr/bin/python3 "$LAB/bin/hvl-manifest" "$hd/image" || die "$n: no image manifest"
  else
    ln -s "$img" "$hd/image"
  fi
  ssh-keygen -q -t ed25519 -N '' -C "root@$n" -f "$hd/layer/etc/ssh/ssh_host_ed25519_key"
  echo "$n" >"$hd/layer/etc/hostname"
  printf '127.0.0.1\tlocalhost\n%s\t%s\n' "$H_ADDR" "$n" >"$hd/layer/etc/hosts"
  write_instance_data "$n"
  write_fstab "$n" >"$hd/fstab"
  : >"$hd/console.log"
}

# write_fstab NAME: the mounts bin/hvl-init makes at boot (`mount -a -T`):
# an overlay per directory of OVERLAYS that exists on the real root, with
# lowers instance layer : golden image : real dir (or an empty dir for the
# FRESH_DIRS); the systemctl shim; tmpfs /tmp, /dev/shm and, last (it hides
# the lab directory if that is under /run), /run
write_fstab() {
  local n="$1" hd d f lowers
  hd="$(hostdir "$n")"
  for d in "${OVERLAYS[@]}"; do
    [[ -d /$d ]] || continue
    lowers=""
    [[ -d $hd/layer/$d ]] && lowers+="$hd/layer/$d:"
    [[ -d $hd/image/$d ]] && lowers+="$hd/image/$d:"
    lowers+="/$d"
    for f in "${FRESH_DIRS[@]}"; do [[ $f == "$d" ]] && lowers="${lowers%/"$d"}$LAB/empty"; done
    printf '%s-%s /%s overlay lowerdir=%s,upperdir=%s,workdir=%s 0 0\n' "$PFX" "$n" "$d" \
      "$lowers" "$hd/fs/disk/$d" "$hd/fs/work/${d//\//_}"
  done
  if [[ -n $SYSTEMCTL ]]; then
    printf '%s %s none bind 0 0\n' "$LAB/bin/hvl-systemctl" "$SYSTEMCTL"
  fi
  printf '%s-%s /tmp tmpfs mode=1777,nosuid,nodev,size=512m 0 0\n' "$PFX" "$n"
  printf '%s-%s /dev/shm tmpfs mode=1777,nosuid,nodev,size=64m 0 0\n' "$PFX" "$n"
  printf '%s-%s /run tmpfs mode=755,nosuid,nodev,size=64m 0 0\n' "$PFX" "$n"
}

# make_skel: what every host starts with, made once per `up`: skel/fs, the
# empty upper/work dirs of a fresh disk, with the modes and owners of the
# real directories (an overlay's root takes its upper's); skel/layer, with
# the lab key in root's authorized_keys
make_skel() {
  local d ref sk="$LAB/skel"
  rm -rf "$sk"
  mkdir -p "$sk/fs/disk" "$sk/fs/work" "$sk/layer/etc/ssh" "$sk/layer/etc/nginx" \
    "$sk/layer/root/.ssh" "$LAB/empty"
  for d in "${OVERLAYS[@]}"; do
    mkdir -p "$sk/fs/disk/$d" "$sk/fs/work/${d//\//_}"
    ref="/$d"
    [[ -d $ref ]] || continue
    chmod --reference="$ref" "$sk/fs/disk/$d"
    chown --reference="$ref" "$sk/fs/disk/$d"
  done
  cp "$LAB/keys/id_ed25519.pub" "$sk/layer/root/.ssh/authorized_keys"
  chmod 700 "$sk/layer/root" "$sk/layer/root/.ssh"
  chmod 600 "$sk/layer/root/.ssh/authorized_keys"
}

# prepare_hosts NAME...: prepare_host in parallel (at most MAX_JOBS)
prepare_hosts() {
  local n done_pid failed=() rc
  local -A job=()
  for n in "$@"; do
    while ((${#job[@]} >= MAX_JOBS)); do
      rc=0; wait -n -p done_pid || rc=$?
      ((rc == 0)) || failed+=("${job[$done_pid]}")
      unset "job[$done_pid]"
    done
    prepare_host "$n" &
    job[$!]="$n"
  done
  while ((${#job[@]})); do
    rc=0; wait -n -p done_pid || rc=$?
    ((rc == 0)) || failed+=("${job[$done_pid]}")
    unset "job[$done_pid]"
  done
  ((${#failed[@]} == 0)) || die "preparing hosts failed: ${failed[*]}"
}

# launch_host NAME: start the host's supervisor, detached from this shell
launch_host() {
  local hd
  hd="$(hostdir "$1")"
  env -u HVL_LAB_LOCKED "$MARK=$LAB" setsid -f /bin/bash "$LAB/bin/hvl-host" "$LAB" "$1" \
    </dev/null >>"$hd/console.log" 2>&1
}

# wait_ready NAME...: bounded wait until every host's services answer;
# reports each failing host with its state and the end of its console
wait_ready() {
  local n spec="" out rc=0
  for n in "$@"; do
    host_load "$n"
    spec+="$n $H_ADDR $(role_checks "$H_ROLE") $(role_wait "$H_ROLE")"$'\n'
  done
  out="$(/usr/bin/python3 "$LAB/bin/hvl-probe" --wait "$BOOT_TIMEOUT" <<<"$spec")" || rc=$?
  ((rc == 0)) && return 0
  log "hosts not ready (bounds: ${BOOT_TIMEOUT}s, mon ${MON_TIMEOUT}s):"
  printf '%s\n' "$out" >&2
  awk '{print $1}' <<<"$out" | sort -u | while read -r n; do
    log "--- $n: state $(host_state "$n"); console:"
    tail -n 5 "$(hostdir "$n")/console.log" >&2 || true
  done
  return 1
}

# write_known_hosts: every existing host's key by address (plain)
write_known_hosts() {
  local n pub t k
  [[ -d $LAB ]] || return 0
  for n in $(lab_hosts); do
    pub="$(hostdir "$n")/layer/etc/ssh/ssh_host_ed25519_key.pub"
    [[ -f $pub ]] || continue
    host_load "$n"
    read -r t k _ <"$pub"
    printf '%s %s %s\n' "$H_ADDR" "$t" "$k"
  done >"$LAB/known_hosts.tmp"
  mv -f "$LAB/known_hosts.tmp" "$LAB/known_hosts"
}

# write_inventory: havoc's inventory of every defined host
write_inventory() {
  local n
  {
    echo "# generated by tests/lab/lab.sh"
    echo "hosts:"
    for n in $(lab_hosts); do
      host_load "$n"
      printf '  %-7s {address: %s, tags: [%s]}\n' "$n:" "$H_ADDR" "$H_ROLE"
    done
  } >"$LAB/inventory.yaml.tmp"
  mv -f "$LAB/inventory.yaml.tmp" "$LAB/inventory.yaml"
}

###########################################################################
# commands
###########################################################################

# check_prereqs [web|bare]: tools, overlayfs; for a lab with mon ("web"),
# mon's packages
check_prereqs() {
  local c missing=()
  for c in ip unshare nsenter setsid flock pgrep ssh ssh-keygen /usr/bin/python3 iptables \
    sha256sum /usr/sbin/sshd; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]}: run $SELF deps"
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    die "overlayfs is not available"
  [[ -d /var/www ]] || die "/var/www missing: run $SELF deps (nginx-light)"
  if [[ ${1:-} == web && -d $LAB_SRC/images/mon-v1 ]]; then
    for c in "${MON_BINS[@]}"; do
      [[ -x $c ]] || missing+=("$c")
    done
    ((${#missing[@]} == 0)) || die "missing ${missing[*]} (for mon): run $SELF deps"
  fi
}

# check_lab_dir: HAVOC_LAB_DIR is usable for overlay options and removal
check_lab_dir() {
  local d
  [[ $LAB =~ ^/[A-Za-z0-9._/-]+$ && $LAB != / ]] ||
    die "HAVOC_LAB_DIR must be an absolute path of [A-Za-z0-9._/-] ($LAB)"
  [[ $DISK_SIZE =~ ^[1-9][0-9]*[kmgKMG]?$ ]] ||
    die "HAVOC_LAB_DISK_SIZE must look like 512m or 2g ($DISK_SIZE)"
  for d in "${OVERLAYS[@]}"; do
    [[ $LAB/ == "/$d/"* ]] && die "HAVOC_LAB_DIR must not be inside /$d (hosts overlay it)"
  done
  return 0
}

# lab_is_ours DIR: DIR was created by this lab (safe to delete)
lab_is_ours() { [[ -f $1/.havoc-lab ]]; }

# cmd_down: remove everything the lab created; works after crashes
cmd_down() {
  need_root
  local pids links ns t0="$EPOCHREALTIME"
  # up to three rounds: a host may be mid-reboot while we look
  for _ in 1 2 3; do
    mapfile -t pids < <({ marked_pids; mapfile -t ns < <(lab_netns); netns_members "${ns[@]}"; } | sort -un)
    ((${#pids[@]})) || break
    kill_and_wait "${pids[@]}" || true
  done
  # deleting the namespaces destroys their veths too, in one kernel batch
  # (much faster than deleting 200 veths one by one); then the stragglers
  mapfile -t ns < <(lab_netns)
  if ((${#ns[@]})); then printf 'netns del %s\n' "${ns[@]}" | ip -force -batch - 2>/dev/null || true; fi
  local i rest
  for ((i = 0; i < 100; i++)); do
    rest="$(lab_links | grep -vx "$BRIDGE" || true)"
    [[ -n $rest ]] || break
    sleep 0.05
  done
  mapfile -t links < <(lab_links | grep -vx "$BRIDGE" || true)
  if ((${#links[@]})); then printf 'link del %s\n' "${links[@]}" | ip -force -batch - 2>/dev/null || true; fi
  ip link del "$BRIDGE" 2>/dev/null || true
  fw_down
  if [[ -d $LAB ]]; then
    if lab_is_ours "$LAB"; then
      awk -v p="$LAB/" 'index($5 "/", p) == 1 {print $5}' /proc/self/mountinfo |
        sort -r | xargs -r -n1 umount -l 2>/dev/null || true
      rm -rf --one-file-system "$LAB"
    else
      log "warning: $LAB is not a lab directory (no .havoc-lab); left in place"
    fi
  fi
  # what is left, if anything, is worth a loud message
  local left
  left="$(lab_netns; lab_links)"
  [[ -z $left ]] || log "warning: left behind: ${left//$'\n'/ }"
  log "down in $(elapsed "$t0")"
}

# elapsed T0 [T1]: seconds from EPOCHREALTIME value T0 to T1 (default: now)
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN {printf "%.2fs", b - a}'; }

# lab_layout MODE N [MON]: "NAME IMAGE" for each host of a lab. This is
# where hosts are added: the monitoring host `mon` (.0.5, image mon-v1)
# joins the web lab when MON is "mon" and tests/lab/images/mon-v1 exists
# (see also role_checks, write_instance_data and cmd_env). mon comes first,
# so it boots first: Prometheus needs the longest to be useful.
lab_layout() {
  local i
  if [[ $1 == bare ]]; then
    for ((i = 1; i <= $2; i++)); do echo "node-$i bare-v1"; done
    return 0
  fi
  if [[ ${3:-} == mon && -d $LAB_SRC/images/mon-v1 ]]; then echo "mon mon-v1"; fi
  echo "lb lb-v1"
  for ((i = 1; i <= $2; i++)); do echo "web-$i web-v1"; done
}

# cmd_up [--web N] [--bare] [--no-mon]: build a fresh lab (always `down`
# first)
cmd_up() {
  need_root
  local n=3 bare="" mon=mon names=() i t0="$EPOCHREALTIME"
  while (($#)); do
    case "$1" in
      --web) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--web needs a number"; n="$2"; shift 2 ;;
      --web=*) n="${1#--web=}"; [[ $n =~ ^[1-9][0-9]*$ ]] || die "--web needs a number"; shift ;;
      --bare) bare=1; shift ;;
      --no-mon) mon=""; shift ;;
      *) die "up: unknown option $1" ;;
    esac
  done
  ((n <= 494)) || die "at most 494 hosts"
  check_lab_dir
  check_prereqs "$([[ -n $bare || -z $mon ]] && echo bare || echo web)"
  cmd_down 2>/dev/null
  mkdir -p "$LAB/keys" "$LAB/bin" "$LAB/hosts"
  touch "$LAB/.havoc-lab"
  printf 'MODE=%s\nSIZE=%s\n' "$([[ -n $bare ]] && echo bare || echo web)" "$n" >"$LAB/lab.env"
  cp "$LAB_SRC"/bin/hvl-* "$LAB/bin/"
  chmod 755 "$LAB"/bin/*
  ssh-keygen -q -t ed25519 -N '' -C "havoc-lab" -f "$LAB/keys/id_ed25519"
  make_skel
  for i in "$LAB_SRC"/images/*/; do
    i="${i%/}"; i="${i##*/}"
    [[ $i == base ]] || snapshot_image "$i"
  done
  local name img
  while read -r name img; do
    names+=("$name")
    define_host "$name" "$img"
  done < <(lab_layout "$([[ -n $bare ]] && echo bare || echo web)" "$n" "$mon")
  net_up
  local t1="$EPOCHREALTIME"
  prepare_hosts "${names[@]}"
  net_attach "${names[@]}"
  write_known_hosts
  write_inventory
  local t2="$EPOCHREALTIME"
  for i in "${names[@]}"; do launch_host "$i"; done
  local t3="$EPOCHREALTIME"
  wait_ready "${names[@]}" || die "up failed (see above; \`$SELF down\` cleans up)"
  log "up: ${#names[@]} hosts in $(elapsed "$t0") (prepare $(elapsed "$t1" "$t2"), launch $(elapsed "$t2" "$t3"), boot $(elapsed "$t3"))"
}

# need_lab: the lab exists
need_lab() { [[ -f $LAB/lab.env ]] || die "the lab is not up ($LAB)"; }

# need_host NAME: NAME is a defined host
need_host() { [[ -f $(hostdir "$1")/host.env ]] || die "no host '$1' in the lab"; }

# cmd_destroy HOST [--deregister]: the host is gone (processes, netns,
# disk); still defined. --deregister also takes it out of the lb's
# upstreams (as a load balancer deregisters a terminated instance), while
# mon keeps scraping it (NodeDown fires); `create` registers it again.
cmd_destroy() {
  need_root; need_lab
  (($# == 1 || $# == 2)) || die "usage: destroy HOST [--deregister]"
  [[ $# == 1 || $2 == --deregister ]] || die "destroy: unknown option $2"
  need_host "$1"
  host_teardown "$1"
  write_known_hosts
  if [[ ${2:-} == --deregister ]]; then
    touch "$(hostdir "$1")/deregistered"
    host_load "$1"
    [[ $H_ROLE == web ]] && refresh_lb
  fi
  log "destroyed $1"
}

# check_address ADDR: ADDR is a host address of the lab's subnet
check_address() {
  local IFS=. a
  read -r -a a <<<"$1"
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ && "${a[0]}.${a[1]}" == "$NET" ]] ||
    die "--address $1 is not in the lab's subnet $NET.0.0/16"
  ((a[2] <= 255 && a[3] <= 255)) || die "--address $1 is not an address"
  [[ $1 != "$GATEWAY" && $1 != "$NET.0.0" && $1 != "$NET.255.255" ]] ||
    die "--address $1 is reserved"
}

# cmd_create HOST [--image IMG] [--address IP]: a fresh host from a golden
# image
cmd_create() {
  need_root; need_lab
  local n="${1:-}" img="" old="" new_web="" new_host="" addr="" want=""
  [[ -n $n ]] || die "usage: create HOST [--image NAME] [--address IP]"
  shift
  while (($#)); do
    case "$1" in
      --image) img="${2:-}"; [[ -n $img ]] || die "--image needs a name"; shift 2 ;;
      --image=*) img="${1#--image=}"; shift ;;
      --address) want="${2:-}"; [[ -n $want ]] || die "--address needs an address"; shift 2 ;;
      --address=*) want="${1#--address=}"; shift ;;
      *) die "create: unknown option $1" ;;
    esac
  done
  local other
  if [[ -n $want ]]; then
    # the netns and veth are PFX-NAME: at most 15 characters
    [[ $n =~ ^[a-z][a-z0-9-]*$ && ${#n} -le $((14 - ${#PFX})) ]] ||
      die "bad host name '$n' (a-z, 0-9, -; at most $((14 - ${#PFX})) characters)"
    check_address "$want"
    addr="$want"
  elif host_load "$n"; then
    addr="$H_ADDR"
  else
    addr="$(host_addr "$n")" || die "bad host name '$n' (lb, mon, web-N, node-N; N <= 494; or give --address)"
  fi
  if host_load "$n"; then
    old="$H_IMAGE"
    [[ $H_ADDR == "$addr" ]] || die "$n has address $H_ADDR (remove it first)"
  else
    for other in $(lab_hosts); do
      host_load "$other"
      [[ $H_ADDR != "$addr" ]] || die "$n would take $addr from $other"
    done
  fi
  if [[ -z $img && -z $old && -n $want ]]; then img=web-v1; fi
  img="${img:-${old:-$(default_image "$n")}}"
  snapshot_image "$img"
  host_teardown "$n"
  define_host "$n" "$img" "$addr"
  host_load "$n"
  [[ -z $old && $H_ROLE == web ]] && new_web=1
  if [[ -f $(hostdir "$n")/deregistered ]]; then
    rm -f "$(hostdir "$n")/deregistered"
    [[ $H_ROLE == web ]] && new_web=1
  fi
  [[ -z $old && $n != mon ]] && new_host=1
  prepare_host "$n"
  net_attach "$n"
  write_known_hosts
  write_inventory
  launch_host "$n"
  wait_ready "$n" || die "create $n failed"
  [[ -n $new_web ]] && refresh_lb
  [[ -n $new_host ]] && refresh_mon
  wait_monitored "$n"
  log "created $n from $img"
}

# cmd_remove HOST: destroy the host and forget it (inventory, known_hosts,
# the lb's upstreams, mon's targets), as a cloud deregisters a terminated
# instance
cmd_remove() {
  need_root; need_lab
  (($# == 1)) || die "usage: remove HOST"
  need_host "$1"
  local role
  host_load "$1"
  role="$H_ROLE"
  host_teardown "$1"
  rm -rf --one-file-system "$(hostdir "$1")"
  write_known_hosts
  write_inventory
  [[ $role == web ]] && refresh_lb
  [[ $1 != mon ]] && refresh_mon
  log "removed $1"
}

# wait_monitored NAME: when mon runs a ready Prometheus, wait (bounded)
# until it scrapes NAME, so that `status` agrees as soon as `start` or
# `create` returns; only a warning otherwise (a broken mon may be the
# experiment)
wait_monitored() {
  [[ $1 != mon && $(host_state mon) == running ]] || return 0
  if ! /usr/bin/python3 "$LAB/bin/hvl-probe" --once --timeout 1 \
    <<<"mon $MON_ADDR http:9090/-/ready" >/dev/null; then
    log "warning: mon's Prometheus is not ready; not waiting until it scrapes $1"
    return 0
  fi
  /usr/bin/python3 "$LAB/bin/hvl-probe" --wait "$MON_TIMEOUT" \
    <<<"mon $MON_ADDR target@$1" >/dev/null ||
    log "warning: mon's Prometheus does not see $1 up after ${MON_TIMEOUT}s"
}

# refresh_mon: rewrite mon's node targets (after adding a host); Prometheus
# (file_sd) picks the file up by itself
refresh_mon() {
  [[ $(host_state mon) == running ]] || return 0
  write_node_targets | host_exec mon sh -c \
    'cat >/etc/prometheus/targets/node.yml.tmp && mv -f /etc/prometheus/targets/node.yml.tmp /etc/prometheus/targets/node.yml' ||
    log "warning: could not refresh mon's scrape targets"
}

# refresh_lb: rewrite the lb's upstream list (after adding a web host)
refresh_lb() {
  [[ $(host_state lb) == running ]] || return 0
  write_upstreams | host_exec lb sh -c \
    'cat >/etc/nginx/havoc-upstreams.conf && nginx -t -q && nginx -s reload' ||
    log "warning: could not refresh the lb's upstreams"
}

# cmd_stop HOST: graceful power-off (services stopped; the disk is kept)
cmd_stop() {
  need_root; need_lab
  (($# == 1)) || die "usage: stop HOST"
  need_host "$1"
  local init i
  init="$(host_pid "$1" init)" || { log "$1 is $(host_state "$1")"; return 0; }
  kill -USR2 "$init"
  for ((i = 0; i < 300; i++)); do
    alive "$init" || break
    sleep 0.1
  done
  if alive "$init"; then
    log "$1 did not power off in 30 s; killing its init"
    kill -KILL "$init" 2>/dev/null || true
  fi
  for ((i = 0; i < 50; i++)); do
    [[ $(host_state "$1") == stopped || $(host_state "$1") == crashed ]] && break
    sleep 0.1
  done
  log "$1 is $(host_state "$1")"
}

# cmd_start HOST: boot a stopped or crashed host from its disk (a lost
# host, whose supervisor was killed, boots with a fresh disk)
cmd_start() {
  need_root; need_lab
  (($# == 1)) || die "usage: start HOST"
  need_host "$1"
  local st sup
  st="$(host_state "$1")"
  case "$st" in
    running | booting) log "$1 is already $st"; return 0 ;;
    destroyed | absent) die "$1 is $st: use create" ;;
    stopped | crashed)
      sup="$(host_pid "$1" supervisor)" || die "$1 has no supervisor"
      kill -USR1 "$sup" ;;
    lost)
      log "warning: $1 was lost (supervisor killed): booting it with a fresh disk"
      host_kill "$1"
      [[ -e /run/netns/$PFX-$1 ]] || net_attach "$1"
      launch_host "$1" ;;
  esac
  wait_ready "$1" || die "start $1 failed"
  wait_monitored "$1"
  log "started $1"
}

# host_exec NAME CMD...: run CMD in all the host's namespaces, clean env
host_exec() {
  local n="$1" pid
  shift
  pid="$(host_pid "$n" init)" || die "$n is not running"
  (($#)) || set -- /bin/bash
  exec nsenter -t "$pid" -a --wd=/ -- env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 \
    TERM="${TERM:-dumb}" HOSTNAME="$n" "$@"
}

# cmd_exec HOST CMD...: see host_exec
cmd_exec() {
  need_root; need_lab
  (($# >= 1)) || die "usage: exec HOST CMD..."
  need_host "$1"
  host_exec "$@"
}

# ssh_opts: the ssh options tests use (strict host key checking)
ssh_opts() {
  printf '%s\n' -i "$LAB/keys/id_ed25519" -o "UserKnownHostsFile=$LAB/known_hosts" \
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR
}

# cmd_ssh HOST [CMD...]: ssh root@HOST like a test would
cmd_ssh() {
  need_lab
  (($# >= 1)) || die "usage: ssh HOST [CMD...]"
  need_host "$1"
  host_load "$1"
  shift
  local opts
  mapfile -t opts < <(ssh_opts)
  exec ssh "${opts[@]}" "root@$H_ADDR" "$@"
}

# cmd_env: shell assignments for tests: eval "$(tests/lab/lab.sh env)"
cmd_env() {
  local hosts site="" mode="" prom="" am=""
  hosts="$(lab_hosts | tr '\n' ' ')"
  hosts="${hosts% }"
  [[ -f $LAB/lab.env ]] && mode="$(sed -n 's/^MODE=//p' "$LAB/lab.env")"
  [[ $mode == web ]] && site="http://$LB_ADDR/"
  if [[ -f $(hostdir mon)/host.env ]]; then
    prom="http://$MON_ADDR:9090" am="http://$MON_ADDR:9093"
  fi
  printf "export %s='%s'\\n" \
    HAVOC_LAB_INSTANCE "$INSTANCE" \
    HAVOC_LAB_SUBNET "$NET.0.0/16" \
    HAVOC_LAB_DIR "$LAB" \
    HAVOC_LAB_INVENTORY "$LAB/inventory.yaml" \
    HAVOC_LAB_KNOWN_HOSTS "$LAB/known_hosts" \
    HAVOC_LAB_KEY "$LAB/keys/id_ed25519" \
    HAVOC_LAB_HOSTS "$hosts" \
    HAVOC_LAB_SITE "$site" \
    HAVOC_LAB_PROMETHEUS "$prom" \
    HAVOC_LAB_ALERTMANAGER "$am" \
    HAVOC_LAB_SSH "ssh $(ssh_opts | tr '\n' ' ' | sed 's/ $//')"
  [[ -n $mode ]]
}

# cmd_status: one line per host; exit 0 iff every host is up and answers
cmd_status() {
  local n spec="" ok=1 st checks
  local -A res=()
  if [[ ! -f $LAB/lab.env ]]; then
    echo "lab: not up ($LAB)"
    [[ -z $(lab_netns) ]] || echo "lab: leftover namespaces: $(lab_netns | tr '\n' ' ')"
    return 1
  fi
  for n in $(lab_hosts); do
    host_load "$n"
    [[ $(host_state "$n") == running ]] && spec+="$n $H_ADDR $(role_checks "$H_ROLE")"$'\n'
  done
  while read -r n checks; do
    [[ -n $n ]] && res[$n]="$checks"
  done < <(/usr/bin/python3 "$LAB/bin/hvl-probe" --once --timeout 2 <<<"$spec" || true)
  printf '%-8s %-12s %-8s %-9s %s\n' HOST ADDRESS IMAGE STATE CHECKS
  for n in $(lab_hosts); do
    host_load "$n"
    st="$(host_state "$n")"
    checks="${res[$n]:--}"
    [[ $st == running && $checks != *fail* && $checks != - ]] || ok=""
    printf '%-8s %-12s %-8s %-9s %s\n' "$n" "$H_ADDR" "$H_IMAGE" "$st" "$checks"
  done
  [[ -n $ok ]]
}

main() {
  local cmd="${1:-help}"
  shift || true
  case "$cmd" in
    deps | up | down | destroy | create | remove | stop | start) with_lock "$cmd" "$@" ;;
  esac
  case "$cmd" in
    deps) cmd_deps "$@" ;;
    up) cmd_up "$@" ;;
    down) check_lab_dir; cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    destroy) cmd_destroy "$@" ;;
    create) cmd_create "$@" ;;
    remove) cmd_remove "$@" ;;
    stop) cmd_stop "$@" ;;
    start) cmd_start "$@" ;;
    exec) cmd_exec "$@" ;;
    ssh) cmd_ssh "$@" ;;
    env) cmd_env "$@" ;;
    images) cmd_images "$@" ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 64 ;;
  esac
}

main "$@"; exit $?
