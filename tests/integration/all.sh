#!/bin/sh
# Runs every integration suite (tests/integration/*.sh but this one), the
# core's run.sh first; each suite takes BUILD/havoc and exits non-zero on
# a failure. Usage: tests/integration/all.sh BUILD/havoc
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$here"/run.sh "$here"/*.sh; do
	case $t in
	*/all.sh) continue ;;
	"$here"/run.sh) [ -n "${ran_core:-}" ] && continue; ran_core=1 ;;
	esac
	echo "== ${t##*/}"
	bash "$t" "$1" || status=1
done
exit $status
