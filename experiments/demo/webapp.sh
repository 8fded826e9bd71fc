#!/bin/sh
# webapp.sh start|stop|status PORT - the demo web service, as a daemon
# with a pid file, the way an init script would run it.
set -u
cmd=${1:-status}
port=${2:-8089}
here=$(cd "$(dirname "$0")" && pwd)
pidfile=${HAVOC_DEMO_RUN:-/tmp}/havoc-demo-$port.pid

running() {
	[ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# Waits until the port answers (up) or stops answering (down); 5 s at most.
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
		if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
			[ "$1" = up ] && return 0
		else
			[ "$1" = down ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "webapp: port $port did not go $1" >&2
	return 1
}

case $cmd in
start)
	running && { echo "already running"; exit 0; }
	setsid python3 "$here/webapp.py" "$port" </dev/null >/dev/null 2>&1 &
	echo $! >"$pidfile"
	wait_for up && echo "started on 127.0.0.1:$port"
	;;
stop)
	running || { echo "not running"; rm -f "$pidfile"; exit 0; }
	kill "$(cat "$pidfile")"
	rm -f "$pidfile"
	wait_for down && echo "stopped"
	;;
status)
	running && echo "running" || { echo "stopped"; exit 1; }
	;;
*)
	echo "usage: webapp.sh start|stop|status PORT" >&2
	exit 64
	;;
esac
