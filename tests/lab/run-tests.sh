#!/bin/sh
# Lab tests: havoc against real hosts in network namespaces (root only).
# Usage: tests/lab/run-tests.sh BUILD/havoc
set -u
havoc=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "lab: skipped: the lab needs root (network namespaces, sshd)"
	exit 0
fi
if [ ! -x "$here/lab.sh" ] || [ ! -f "$here/tests.sh" ]; then
	echo "lab: skipped: tests/lab/lab.sh or tests/lab/tests.sh is missing"
	exit 0
fi
# The lab's packages (sshd, nginx, iptables, Prometheus, ...): installed
# when missing, without leaving their daemons running on this machine.
"$here/lab.sh" deps || exit 1
status=0
for t in "$here"/tests*.sh; do
	bash "$t" "$havoc" || status=1
done
exit $status
