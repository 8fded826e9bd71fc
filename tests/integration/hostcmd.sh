#!/usr/bin/env bash
# Integration tests of host commands (issue 7, items 6 and 16), with the
# real binary and no host: values that would become a tool's options or
# reach another file are refused when the file is loaded (exit 65, every
# problem as FILE:LINE:COLUMN), and plans show commands of the shell
# function library, short and readable.
# Usage: tests/integration/hostcmd.sh BUILD/havoc
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d /tmp/havoc-hostcmd-XXXXXX)
failures=0
passed=0

cleanup() { rm -rf "$T"; }
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }

cd "$T" || exit 1

# exp FILE STEP...: an experiment on one host (nothing listens there)
# whose method is the given steps (YAML lines, indented by 2).
exp() {
	local f=$1
	shift
	{
		printf '%s\n' 'version: 1' 'title: host commands' 'hosts:' \
		    '  web-1: {address: 127.0.0.1, port: 1, tags: [web]}' \
		    '  lb: {address: 127.0.0.2, port: 1, tags: [lb]}' \
		    'targets:' '  web: {tags: [web]}' '  lb: {tags: [lb]}' \
		    'method:'
		printf '%s\n' "$@"
	} >"$f"
}

# refused NAME MESSAGE STEP...: havoc validate refuses the step with
# MESSAGE at the step's line (10) and column (5), exit 65.
refused() {
	local n=$1 msg=$2
	shift 2
	exp bad.yaml "$@"
	"$HAVOC" validate bad.yaml >out.txt 2>err.txt
	check "$n: exit 65" test $? = 65
	check "$n: bad.yaml:10:5: $msg" grep -qF "bad.yaml:10:5: $msg" err.txt
}

# --- values checked for what they are ----------------------------------------

refused "process.kill name -u0 (pgrep -x -u0 matched every root process)" \
    'process.kill: name: "-u0" is not a process name: it begins with "-"' \
    '  - {name: k, action: process.kill, on: web, with: {name: "-u0"}}'
refused "process.kill name longer than a process name can be" \
    'process.kill: name: "nginx-worker-process" is not a process name (at most 15 characters)' \
    '  - {name: k, action: process.kill, on: web, with: {name: nginx-worker-process}}'
refused "process.kill pattern that is no regular expression" \
    'process.kill: pattern: "(" is not an extended regular expression' \
    '  - {name: k, action: process.kill, on: web, with: {pattern: "("}}'
refused "service.stop --help" \
    'service.stop: name: "--help" is not a service name' \
    '  - {name: s, action: service.stop, on: web, with: {name: --help}}'
refused "service.start with a space" \
    'service.start: name: "a b" is not a service name' \
    '  - {name: s, action: service.start, on: web, with: {name: a b}}'
refused "disk.fill path -x" \
    'disk.fill: path: "-x" is not an absolute path' \
    '  - {name: f, action: disk.fill, on: web, with: {path: "-x", size: 1M}}'
refused "disk.fill relative path" \
    'disk.fill: path: "var/tmp" is not an absolute path' \
    '  - {name: f, action: disk.fill, on: web, with: {path: var/tmp, size: 1M}}'
refused "disk.fill path with .." \
    'disk.fill: path: "/tmp/../etc" is not a path: no "." or ".." in it' \
    '  - {name: f, action: disk.fill, on: web, with: {path: /tmp/../etc, size: 1M}}'
refused "stress.io relative path" \
    'stress.io: path: "tmp" is not an absolute path' \
    '  - {name: f, action: stress.io, on: web, with: {path: tmp}}'
refused "tamper_file relative path" \
    'security.tamper_file: path: "etc/motd" is not an absolute path' \
    '  - {name: t, action: security.tamper_file, on: web, with: {path: etc/motd}}'
refused "add_user group -x" \
    'security.add_user: groups: "-x" is not a group name' \
    '  - {name: u, action: security.add_user, on: web, with: {name: hv, groups: [sudo, "-x"]}}'
refused "add_user relative shell" \
    'security.add_user: shell: "sh" is not an absolute path' \
    '  - {name: u, action: security.add_user, on: web, with: {name: hv, shell: sh}}'
refused "network.delay interface -x" \
    'network.delay: interface: "-x" is not an interface name' \
    '  - {name: d, action: network.delay, on: web, with: {interface: "-x", delay: 1ms}}'
refused "network.partition peer that is no address" \
    'network.partition: peers: "10.0.0.1; x" is not an address or a CIDR' \
    '  - {name: p, action: network.partition, on: web, with: {peers: ["10.0.0.1; x"]}}'
refused "open_port address that is no address" \
    'security.open_port: address: "-h" is not an address' \
    '  - {name: o, action: security.open_port, on: web, with: {port: 4444, address: "-h"}}'

# Every problem of a file, each at its step.
exp bad.yaml \
    '  - {name: k, action: process.kill, on: web, with: {name: "-u0"}}' \
    '  - {name: s, action: service.stop, on: web, with: {name: --help}}' \
    '  - {name: f, action: disk.fill, on: web, with: {path: "-x", size: 1M}}'
"$HAVOC" validate bad.yaml >out.txt 2>err.txt
check "three bad steps: exit 65" test $? = 65
check "three bad steps: three problems, at lines 10, 11, 12" test \
    "$(grep -c '^bad.yaml:1[012]:5: ' err.txt)" = 3
# Values a tool takes as text, after "--", are fine.
exp good.yaml \
    '  - {name: k, action: process.kill, on: web, with: {pattern: "-u0 x", signal: STOP}, duration: 1s}' \
    '  - {name: f, action: disk.fill, on: web, with: {path: "/srv/a b/$(x)", size: 1M}, duration: 1s}'
"$HAVOC" validate good.yaml >out.txt 2>err.txt
check "values that are text to their tool are accepted" test $? = 0

# --- plans show the library's functions ------------------------------------

exp plan.yaml \
    '  - {name: cut, action: network.partition, on: web, with: {peers: lb, ports: [80]}, duration: 5s}' \
    '  - {name: freeze, action: process.kill, on: web, with: {name: nginx, signal: STOP}, duration: 5s}' \
    '  - {name: stop, action: service.stop, on: web, with: {name: nginx}, duration: 5s}'
"$HAVOC" plan plan.yaml >plan.txt 2>&1
check "plan: exit 0" test $? = 0
check "plan: the partition reads hv_rule_add INPUT -s 127.0.0.2 ..." grep -qF \
    'web-1: hv_rule_add INPUT -s 127.0.0.2 -p tcp -m multiport --ports 80 -j DROP && hv_rule_add OUTPUT -d 127.0.0.2' plan.txt
check "plan: its revert reads hv_rule_del ...; hv_rules_gone" grep -qF \
    'revert after 5.0s: hv_rule_del INPUT -s 127.0.0.2 -p tcp -m multiport --ports 80 -j DROP; hv_rule_del OUTPUT -d 127.0.0.2 -p tcp -m multiport --ports 80 -j DROP; hv_rules_gone' plan.txt
check "plan: SIGSTOP reads hv_signal STOP name nginx, reverted by hv_cont" \
    grep -qE 'hv_signal STOP name nginx$' plan.txt
check "plan: ... reverted by hv_cont" grep -qE 'revert after 5.0s: hv_cont$' plan.txt
check "plan: service.stop reads hv_service_stop nginx" \
    grep -qE 'revert after 5.0s: hv_service_restore nginx$' plan.txt
longest=$(awk '{ if (length($0) > n) n = length($0) } END { print n }' plan.txt)
check "plan: no line longer than 200 characters (longest $longest)" \
    test "$longest" -le 200

printf 'hostcmd: %d passed, %d failed\n' "$passed" "$failures"
[ "$failures" = 0 ]
