#!/usr/bin/env bash
# Lab tests of the cloud: havoc's AWS client (through tests/tools/
# aws-tool until havoc's own cloud drivers exist) against moto_server with
# IAM authentication on, and the bridge that makes moto's instances lab
# hosts; and the image probe through the real havoc binary.
# Usage: tests/lab/tests-cloud.sh BUILD/havoc   (root; HAVOC_LAB_INSTANCE
# is honoured, the default lab otherwise)
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOOL=$(dirname "$HAVOC")/tools/aws-tool
HERE=$(cd "$(dirname "$0")" && pwd)
LAB="$HERE/lab.sh"
CLOUD="$HERE/cloud.sh"
T=$(mktemp -d /tmp/havoc-cloud-XXXXXX)
DB=$T/havoc.db
failures=0
passed=0

cleanup() {
	"$CLOUD" down >/dev/null 2>&1
	"$LAB" down >/dev/null 2>&1
	rm -rf "$T"
}

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
# Waits (at most $1 tenths of a second) until a command succeeds.
wait_for() {
	local n=$1 i
	shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
finish() {
	echo
	echo "lab cloud: $passed passed, $failures failed"
	[ "$failures" = 0 ]
	exit $?
}

for c in moto_server aws; do
	if ! command -v "$c" >/dev/null; then
		echo "lab cloud: skipped: $c is missing (the machine image ships moto 5.2.1 and the AWS CLI)"
		exit 0
	fi
done
[ -x "$TOOL" ] || { echo "lab cloud: $TOOL is missing (make)"; exit 1; }
trap cleanup EXIT

echo "lab cloud: bringing the lab up (with monitoring)"
if ! "$LAB" up >"$T/up.log" 2>&1; then
	bad "lab up" "$(tail -n 5 "$T/up.log")"
	finish
fi
eval "$("$LAB" env)"

# ---- the image probe, through havoc ------------------------------------

sed -e "s|@INVENTORY@|$HAVOC_LAB_INVENTORY|" -e "s|@KEY@|$HAVOC_LAB_KEY|" \
    -e "s|@KNOWN_HOSTS@|$HAVOC_LAB_KNOWN_HOSTS|" \
    "$HERE/experiments/image-probe.yaml" >"$T/image.yaml"
# image_run NAME VERSION: havoc's exit code; its output in $T/image.out
image_run() {
	local rc=0
	"$HAVOC" run "$T/image.yaml" --db "$DB" --var host="$1" \
	    --var version="$2" --var drift="${3:-false}" --verbose \
	    >"$T/image.out" 2>&1 || rc=$?
	return $rc
}
out_has() { grep -qF -- "$1" "$T/image.out"; }

image_run web-1 1
check "image: a fresh host runs golden-web 1 without drift" test $? = 0
check "image: the probe says so" out_has "runs golden-web 1 (web-v1), no drift in"
image_run web-1 2
check "image: a host on v1 fails a v2 expectation (exit 2)" test $? = 2
check "image: ... saying which version it runs" out_has "runs golden-web 1, expected golden-web 2"
"$LAB" exec web-1 sh -c 'echo "# tampered" >>/etc/nginx/nginx.conf'
image_run web-1 1
check "image: a tampered file fails the probe" test $? = 2
check "image: ... with the file named" out_has "changed /etc/nginx/nginx.conf"
"$LAB" exec web-1 sh -c 'echo x >/etc/havoc/planted; rm /var/www/html/index.html'
image_run web-1 1
check "image: an added file is named" out_has "added /etc/havoc/planted"
check "image: a removed file is named" out_has "removed /var/www/html/index.html"
check "image: all three drifts are counted" out_has "drift in 3:"
image_run web-1 1 true
check "image: expect drift: true passes on the tampered host" test $? = 0
image_run web-2 1 true
check "image: expect drift: true fails on a clean host" test $? = 2
# Tampering with the host's own lists does not hide a file.
"$LAB" exec web-1 sh -c 'grep -v nginx.conf /etc/havoc-image/files >/tmp/f; cat /tmp/f >/etc/havoc-image/files'
image_run web-1 1
check "image: a file left out of the host's list is still checked" out_has "removed /etc/nginx/nginx.conf"
"$LAB" exec web-1 rm -f /etc/havoc-image/manifest.json
image_run web-1 1
check "image: no manifest fails clearly" out_has "no golden-image manifest on the host"
"$LAB" create web-2 --image web-v2 >"$T/create.log" 2>&1
image_run web-2 2
check "image: a host created from web-v2 runs golden-web 2" test $? = 0
"$LAB" create web-1 >"$T/create.log" 2>&1
image_run web-1 1
check "image: a re-created host has no drift again" test $? = 0

# ---- the cloud ----------------------------------------------------------

echo "lab cloud: moto_server and the bridge"
rc=0
"$CLOUD" up >"$T/cloud.log" 2>&1 || rc=$?
if [ $rc = 77 ]; then
	echo "lab cloud: skipped: $(tail -n 1 "$T/cloud.log")"
	finish
elif [ $rc != 0 ]; then
	bad "cloud up" "$(tail -n 5 "$T/cloud.log")"
	finish
fi
ok "cloud up: moto with IAM authentication, fixtures, 3 instances booted"
eval "$("$CLOUD" env)"
export AWS_SHARED_CREDENTIALS_FILE=$HAVOC_CLOUD_CREDENTIALS
export AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
tool() { "$TOOL" --endpoint "$HAVOC_CLOUD_ENDPOINT" --region "$HAVOC_CLOUD_REGION" "$@"; }
as_havoc() { tool --profile "$HAVOC_CLOUD_PROFILE" "$@"; }
group() { as_havoc --running resolve asg "$HAVOC_CLOUD_ASG"; }
host_of() { awk -v i="$1" '$1 == i {print $2}' "$HAVOC_CLOUD_DIR/bridge/hosts"; }
state_of() { awk -v i="$1" '$1 == i {print $5}' "$HAVOC_CLOUD_DIR/bridge/hosts"; }
serves() { curl -sf --max-time 2 "http://$1/" | grep -q "Welcome to $2"; }
down_at() { ! curl -sf --max-time 1 -o /dev/null "http://$1/healthz"; }

group >"$T/group" 2>"$T/err"
check "resolve asg: 3 running instances" test "$(wc -l <"$T/group")" = 3
check "resolve asg: in service and healthy, in the group" \
    test "$(grep -c ' running .* web InService Healthy$' "$T/group")" = 3
all_real=1
while read -r id _ ip _; do
	h=$(host_of "$id")
	case $ip in "${HAVOC_LAB_SUBNET%%.0.0/16}".32.*) ;; *) all_real=0 ;; esac
	serves "$ip" "$h" || all_real=0
done <"$T/group"
check "bridge: each instance is a lab host serving at its private IP" test $all_real = 1
as_havoc --running resolve tags "aws:autoscaling:groupName=web" >"$T/bytag"
check "resolve tags: the same instances" cmp -s "$T/group" "$T/bytag"
victim=$(head -n 1 "$T/group" | cut -d' ' -f1)
vip=$(head -n 1 "$T/group" | cut -d' ' -f3)
vhost=$(host_of "$victim")

# A wrong secret: moto's signature check refuses it; nothing is done.
sed 's/^\(aws_secret_access_key = \).*/\1wrongwrongwrongwrongwrongwrongwrong0000/' \
    "$HAVOC_CLOUD_CREDENTIALS" >"$T/badcreds"
rc=0
AWS_SHARED_CREDENTIALS_FILE=$T/badcreds tool --profile havoc terminate "$victim" >/dev/null 2>"$T/err" || rc=$?
check "wrong secret: refused (exit 1)" test $rc = 1
check "wrong secret: with AWS's error (EC2 says AuthFailure)" \
    grep -qE "aws ec2 TerminateInstances: (AuthFailure|SignatureDoesNotMatch): " "$T/err"
check "wrong secret: the secret is not shown" sh -c "! grep -q wrongwrong '$T/err'"
# An IAM policy that denies ec2:TerminateInstances.
rc=0
tool --profile "$HAVOC_CLOUD_PROFILE_NOTERM" terminate "$victim" >/dev/null 2>"$T/err" || rc=$?
check "deny policy: refused (exit 1)" test $rc = 1
check "deny policy: AccessDenied for ec2:TerminateInstances" \
    grep -q "aws ec2 TerminateInstances: AccessDenied: .*ec2:TerminateInstances" "$T/err"
sleep 1
group >"$T/group2"
check "refusals: nothing was done (the same 3 instances run)" cmp -s "$T/group" "$T/group2"
check "refusals: the victim's host still serves" serves "$vip" "$vhost"

# Terminate through the client: the host goes down, the site holds.
since=$(date +%s%3N)
as_havoc terminate "$victim" >"$T/term" 2>"$T/err"
check "terminate: running -> shutting-down" grep -q "^$victim running shutting-down$" "$T/term"
fails=0 samples=0
for i in $(seq 1 40); do
	samples=$((samples + 1))
	curl -sf --max-time 1 -o /dev/null "$HAVOC_LAB_SITE" || fails=$((fails + 1))
	sleep 0.25
done
check "terminate: the lab host went down" down_at "$vip"
check "terminate: the bridge says terminated" test "$(state_of "$victim")" = terminated
check "terminate: the site held through the lb ($fails of $samples samples failed)" test "$fails" -le 1
nodedown() {
	curl -sf --max-time 2 "$HAVOC_LAB_ALERTMANAGER/api/v2/alerts" |
	    python3 -c 'import json,sys; sys.exit(0 if any(a["labels"].get("alertname") == "NodeDown" and a["labels"].get("host") == sys.argv[1] for a in json.load(sys.stdin)) else 1)' "$1"
}
check "terminate: NodeDown fires for the instance's host" wait_for 300 nodedown "$vhost"
replacement() {
	group >"$T/group3" 2>/dev/null
	[ "$(wc -l <"$T/group3")" = 3 ] && ! grep -q "^$victim " "$T/group3" &&
	    new=$(grep -vxFf "$T/group" "$T/group3" | head -n 1 | cut -d' ' -f1) &&
	    [ -n "$new" ] && [ "$(state_of "$new")" = running ]
}
check "terminate: the group heals, a new instance is a new lab host" wait_for 900 replacement
new=$(grep -vxFf "$T/group" "$T/group3" | head -n 1)
nip=$(echo "$new" | cut -d' ' -f3)
check "terminate: the replacement serves at its own address" serves "$nip" "$(host_of "${new%% *}")"

# Terminate in the group without decrementing: capacity is kept.
cp "$T/group3" "$T/before"
v2=$(head -n 1 "$T/before" | cut -d' ' -f1)
as_havoc terminate-in-asg "$v2" >/dev/null 2>"$T/err"
check "terminate-in-asg: accepted" test $? = 0
healed() {
	group >"$T/after" 2>/dev/null
	[ "$(wc -l <"$T/after")" = 3 ] && ! grep -q "^$v2 " "$T/after"
}
check "terminate-in-asg: desired capacity kept, a replacement runs" wait_for 300 healed

# Stop and start: the host powers off with its disk, and boots again.
group_hosts() {
	local id
	group >"$T/after" 2>/dev/null
	[ "$(wc -l <"$T/after")" = 3 ] || return 1
	for id in $(cut -d' ' -f1 "$T/after"); do
		[ "$(state_of "$id")" = running ] || return 1
	done
}
check "bridge: the group's 3 instances are running hosts" wait_for 600 group_hosts
v3=$(head -n 1 "$T/after" | cut -d' ' -f1)
as_havoc stop "$v3" >/dev/null 2>&1
stopped() { [ "$(state_of "$v3")" = stopped ]; }
check "stop: the instance's host is powered off" wait_for 300 stopped ||
    tail -n 5 "$HAVOC_CLOUD_DIR/bridge.log"
as_havoc start "$v3" >/dev/null 2>&1
running() { [ "$(state_of "$v3")" = running ]; }
check "start: the instance's host runs again" wait_for 600 running

# None of the requests was a GET with a query string; all were signed.
check "moto saw no GET with a query string" sh -c "! grep -E '\"GET /\\?' '$HAVOC_CLOUD_DIR/moto.log'"

"$CLOUD" down >/dev/null 2>&1
left=$("$LAB" status 2>/dev/null | grep -c '^i-')
check "cloud down: the bridge removed its hosts" test "$left" = 0
finish
