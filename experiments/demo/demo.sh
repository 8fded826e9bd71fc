#!/bin/sh
# The demo: a web service on 127.0.0.1 is stopped by an experiment; havoc
# watches the homepage fail and recover, and keeps the run in SQLite.
# Usage: experiments/demo/demo.sh BUILD/havoc
set -u
havoc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../.." && pwd)/build/demo
port=${HAVOC_DEMO_PORT:-8089}
mkdir -p "$out"
export HAVOC_DB="$out/havoc.db"
export HAVOC_DEMO_RUN="$out"

"$here/webapp.sh" start "$port" || exit 1
trap '"$here/webapp.sh" stop "$port" >/dev/null' EXIT INT TERM

echo "== havoc plan"
"$havoc" plan "$here/../examples/local-web-restart.yaml" --var port="$port"
echo
echo "== havoc run"
"$havoc" run "$here/../examples/local-web-restart.yaml" --var port="$port" \
    --journal "$out/journal.json"
rc=$?
echo
echo "== havoc runs"
"$havoc" runs --limit 5
echo
echo "== havoc show (the last run)"
"$havoc" show "$("$havoc" runs --json --limit 1 | python3 -c \
    'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
echo
echo "database: $HAVOC_DB; journal: $out/journal.json"
exit $rc
