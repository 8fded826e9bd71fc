#!/usr/bin/env bash
# The SSH fan-out benchmark: one fault command on N lab hosts, side by side
# in one run with parallel-ssh (Debian's pssh) and Ansible's ad-hoc raw
# module, at the same parallelism, GSSAPI off for OpenSSH (havoc does not
# use it). Prints wall time, the controller's CPU (user + sys of the
# tool's process tree, waited-for children included; not the hosts' sshd)
# and peak memory, then havoc's second step on the same hosts.
#
# Usage: tests/bench/ssh-fanout.sh BUILD/havoc [N...]   (root; default 50 200)
# With HAVOC_BASE=OTHER/havoc (an older build, say), a row "havoc(base)"
# runs that binary on the same hosts in the same run, for a ratio of the
# two that the machine's noise does not blur.
set -euo pipefail

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
SIZES=("${@:-50}")
[ $# -gt 0 ] || SIZES=(50 200)
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/../lab/lab.sh"
# A lab of its own, so that the benchmark never disturbs the test lab.
export HAVOC_LAB_INSTANCE=${HAVOC_LAB_INSTANCE:-3}
T=$(mktemp -d /tmp/havoc-bench-XXXXXX)
REPEAT=${HAVOC_BENCH_REPEAT:-3}
# Connections set up at once, the same for the three tools: havoc's
# default (ssh.max_parallel), parallel-ssh -p, ansible -f. A last havoc
# row opens all N at once, for comparison.
PAR=${HAVOC_BENCH_PARALLEL:-64}

cleanup() {
	"$LAB" down >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (the lab is network namespaces)" >&2
	exit 1
fi

# Tools: pssh, ansible, GNU time.
missing=""
for p in pssh ansible time; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench: installing$missing" >&2
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
"$LAB" deps >/dev/null

# The fault: a firewall rule, the kind of command a partition sends.
FAULT='iptables -w -I INPUT -p tcp --dport 9 -m comment --comment havoc-bench -j DROP'
CLEAN='while iptables -w -D INPUT -p tcp --dport 9 -m comment --comment havoc-bench -j DROP 2>/dev/null; do :; done'

# measure NAME CMD...: runs CMD under GNU time; prints "wall user sys maxrss_kb".
measure() {
	local out=$T/time.$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >"$T/out.log" 2>&1 || {
		echo "bench: command failed: $*" >&2
		tail -20 "$T/out.log" >&2
		return 1
	}
	cat "$out"
}

# best NAME CMD...: the run with the least wall time out of REPEAT, as the
# machine is shared and noisy; the cleanup runs (untimed) between them.
best() {
	local name=$1 i line bestline="" bestwall=""
	shift
	for i in $(seq 1 "$REPEAT"); do
		line=$(measure "$name" "$@")
		clean_hosts
		if [ -z "$bestwall" ] || awk -v a="${line%% *}" -v b="$bestwall" \
		    'BEGIN { exit !(a < b) }'; then
			bestwall=${line%% *}
			bestline=$line
		fi
	done
	echo "$bestline"
}

clean_hosts() {
	parallel-ssh -h "$T/hosts" -l root -p 200 -t 60 -x "$SSHOPTS" "$CLEAN" \
	    >/dev/null 2>&1 || true
}

report() {
	# tool hosts "wall user sys maxrss"
	awk -v tool="$1" -v n="$2" -v l="$3" 'BEGIN {
		split(l, f, " ");
		cpu = f[2] + f[3];
		printf "%-14s %5d %9.2f %9.2f %12.2f %9.1f\n", tool, n, f[1],
		    cpu, cpu * 1000 / n, f[4] / 1024;
	}'
}

results=$T/results
: >"$results"
for n in "${SIZES[@]}"; do
	echo "== $n hosts: bringing the lab up" >&2
	"$LAB" up --web "$n" --bare >&2
	eval "$("$LAB" env)"
	SSHOPTS="-i $HAVOC_LAB_KEY -o UserKnownHostsFile=$HAVOC_LAB_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o GSSAPIAuthentication=no -o BatchMode=yes -o ControlMaster=no"
	sed -n 's/^ *\(node-[0-9]*\): *{address: \([0-9.]*\),.*/\2/p' \
	    "$HAVOC_LAB_INVENTORY" >"$T/hosts"
	{
		echo "[lab]"
		sed -n 's/^ *\(node-[0-9]*\): *{address: \([0-9.]*\),.*/\1 ansible_host=\2/p' \
		    "$HAVOC_LAB_INVENTORY"
		echo "[lab:vars]"
		echo "ansible_user=root"
		echo "ansible_ssh_private_key_file=$HAVOC_LAB_KEY"
		echo "ansible_ssh_common_args='-o UserKnownHostsFile=$HAVOC_LAB_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o GSSAPIAuthentication=no -o ControlMaster=no'"
	} >"$T/ansible.ini"
	cat >"$T/one.yaml" <<EOF
version: 1
title: one fault command on $n hosts
inventory: $HAVOC_LAB_INVENTORY
ssh: {identity: $HAVOC_LAB_KEY, known_hosts: $HAVOC_LAB_KNOWN_HOSTS, max_parallel: "\${par}"}
vars: {par: "$PAR"}
targets: {all: {tags: [bare]}}
method:
  - {name: fault, action: shell.run, on: all, with: {command: "$FAULT"}}
EOF
	cat >"$T/two.yaml" <<EOF
version: 1
title: two steps on $n hosts
inventory: $HAVOC_LAB_INVENTORY
ssh: {identity: $HAVOC_LAB_KEY, known_hosts: $HAVOC_LAB_KNOWN_HOSTS, max_parallel: $PAR}
targets: {all: {tags: [bare]}}
method:
  - {name: first, action: shell.run, on: all, with: {command: "$FAULT"}}
  - {name: second, action: shell.run, on: all, with: {command: "$CLEAN"}}
EOF
	count=$(wc -l <"$T/hosts")
	[ "$count" = "$n" ] || { echo "bench: $count hosts, not $n" >&2; exit 1; }

	clean_hosts
	line=$(best havoc "$HAVOC" run "$T/one.yaml" --db "$T/h.db" --quiet)
	report havoc "$n" "$line" >>"$results"
	if [ -n "${HAVOC_BASE:-}" ]; then
		line=$(best havoc-base "$HAVOC_BASE" run "$T/one.yaml" \
		    --db "$T/base.db" --quiet)
		report "havoc(base)" "$n" "$line" >>"$results"
	fi
	line=$(best pssh parallel-ssh -h "$T/hosts" -l root -p "$PAR" -t 120 \
	    -x "$SSHOPTS" "$FAULT")
	report parallel-ssh "$n" "$line" >>"$results"
	line=$(best ansible env ANSIBLE_HOST_KEY_CHECKING=True \
	    ANSIBLE_SSH_ARGS="-o ControlMaster=no" ANSIBLE_NOCOLOR=1 \
	    ANSIBLE_PYTHON_INTERPRETER=auto_silent \
	    ansible lab -i "$T/ansible.ini" -m raw -a "$FAULT" -f "$PAR" \
	    --timeout 60)
	report ansible "$n" "$line" >>"$results"
	line=$(best havoc-all "$HAVOC" run "$T/one.yaml" --db "$T/h.db" \
	    --quiet --var par="$n")
	report "havoc(p=$n)" "$n" "$line" >>"$results"

	# Two steps in one run: the second reuses the sessions of the first.
	"$HAVOC" run "$T/two.yaml" --db "$T/two.db" --verbose \
	    >"$T/two.out" 2>"$T/two.log" || true
	run=$(sqlite3 "$T/two.db" "select max(id) from runs")
	sqlite3 -separator ' ' "$T/two.db" "select name,
	    (max(ended_at) - min(started_at)) from steps
	    where run_id = $run and phase = 'method' group by name
	    order by min(id)" >"$T/steps.$n"
	{
		sed -n 's/.*\(connected to [0-9]* hosts in [0-9]* ms\).*/\1 (the handshakes)/p' \
		    "$T/two.log"
		grep -o 'ssh: [0-9]* handshakes, [0-9]* commands' "$T/two.log" ||
		    echo "ssh: ? handshakes"
	} >"$T/stats.$n"
	clean_hosts
	"$LAB" down >&2
done

echo
echo "One fault command on N lab hosts, $PAR connections at once (best of"
echo "$REPEAT; CPU is user+sys of the tool's process tree on the controller;"
echo "memory is peak RSS):"
echo
printf "%-14s %5s %9s %9s %12s %9s\n" tool hosts "wall s" "cpu s" \
    "cpu ms/host" "peak MB"
cat "$results"
echo
awk '
	$1 == "havoc" || $1 == "parallel-ssh" || $1 == "ansible" ||
	    $1 == "havoc(base)" {
		wall[$1 "/" $2] = $3; cpu[$1 "/" $2] = $5; sizes[$2] = 1 }
	END {
		for (n in sizes) {
			h = "havoc/" n; p = "parallel-ssh/" n; a = "ansible/" n;
			printf "%s hosts: havoc wall %.2fx parallel-ssh, %.2fx ansible;", \
			    n, wall[h] / wall[p], wall[h] / wall[a];
			printf " CPU per host: parallel-ssh %.1fx havoc, ansible %.1fx havoc\n", \
			    cpu[p] / cpu[h], cpu[a] / cpu[h];
			b = "havoc(base)/" n;
			if (b in cpu)
				printf "%s hosts: havoc wall %.2fx havoc(base), CPU per host %.2fx havoc(base)\n", \
				    n, wall[h] / wall[b], cpu[h] / cpu[b];
		}
	}' "$results"
echo
for n in "${SIZES[@]}"; do
	echo "$n hosts, two steps in one havoc run: sessions opened once"
	sed 's/^/  /' "$T/stats.$n"
	echo "  each step, ms from its first start to its last end:"
	sed 's/^/    /' "$T/steps.$n"
done
