#!/bin/sh
# The demo. As root it runs on the lab (tests/lab): real hosts in network
# namespaces with sshd, nginx behind a balancer, Prometheus and
# Alertmanager; one web node is cut off, the site must stay up and
# NodeDown must fire. Otherwise (or with HAVOC_DEMO_LOCAL=1) a web service
# on 127.0.0.1 is stopped and must come back.
# Usage: experiments/demo/demo.sh BUILD/havoc
set -u
havoc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$top/build/demo
mkdir -p "$out"
export HAVOC_DB="$out/havoc.db"
export HAVOC_DEMO_RUN="$out"

# show_last: the runs so far and the last one in full.
show_last() {
	echo
	echo "== havoc runs"
	"$havoc" runs --limit 5
	echo
	echo "== havoc show (the last run)"
	"$havoc" show "$("$havoc" runs --json --limit 1 | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
	echo
	echo "database: $HAVOC_DB; journal: $out/journal.json"
}

# The lab demo: a node loss against real hosts and real monitoring.
lab_demo() {
	lab=$top/tests/lab/lab.sh
	example=$top/experiments/examples/lab-node-loss.yaml
	"$lab" deps || return 1
	echo "== bringing the lab up (tests/lab/lab.sh up)"
	"$lab" up || return 1
	trap '"$lab" down >/dev/null 2>&1' EXIT INT TERM
	"$lab" status || return 1
	echo
	echo "== havoc plan"
	"$havoc" plan "$example" || return 1
	echo
	echo "== havoc run"
	"$havoc" run "$example" --journal "$out/journal.json"
	rc=$?
	show_last
	return $rc
}

# The local demo: a web service on 127.0.0.1 is stopped for 3 s.
local_demo() {
	port=${HAVOC_DEMO_PORT:-8089}
	example=$top/experiments/examples/local-web-restart.yaml
	"$here/webapp.sh" start "$port" || return 1
	trap '"$here/webapp.sh" stop "$port" >/dev/null' EXIT INT TERM
	echo "== havoc plan"
	"$havoc" plan "$example" --var port="$port"
	echo
	echo "== havoc run"
	"$havoc" run "$example" --var port="$port" \
	    --journal "$out/journal.json"
	rc=$?
	show_last
	return $rc
}

if [ "$(id -u)" = 0 ] && [ "${HAVOC_DEMO_LOCAL:-0}" != 1 ]; then
	lab_demo
else
	echo "(not root: the local demo; as root, make demo runs on the lab)"
	local_demo
fi
