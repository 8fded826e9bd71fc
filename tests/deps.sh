#!/bin/sh
# Installs, with apt-get, whatever havoc needs to build and test that is
# missing. Idempotent; asks apt only when something is missing.
set -eu

pkgs="build-essential pkg-config libyaml-dev libssh2-1-dev
libcurl4-openssl-dev libjansson-dev libsqlite3-dev libcmocka-dev
sqlite3 python3 curl cppcheck shellcheck libxml2-dev
chromium libxml2-utils python3-junitparser poppler-utils tzdata"

missing=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "havoc: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "havoc: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
