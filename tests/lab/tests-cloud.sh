#!/usr/bin/env bash
# Lab tests of the cloud, through the real havoc binary: cloud targets,
# every AWS action and probe, and the rotation, against moto_server with
# IAM authentication on (every request havoc sends is signed and checked
# by an implementation that is not ours) and the bridge that makes moto's
# instances real lab hosts (tests/lab/cloud.sh). Effects are checked on
# the lab hosts themselves, and what AWS holds with the AWS CLI; the
# image probe (SSH) on the lab's own hosts too.
# Usage: tests/lab/tests-cloud.sh BUILD/havoc   (root; HAVOC_LAB_INSTANCE
# is honoured, the default lab otherwise)
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LAB="$HERE/lab.sh"
CLOUD="$HERE/cloud.sh"
X="$HERE/experiments"
EX="$ROOT/experiments/examples"
T=$(mktemp -d /tmp/havoc-cloud-XXXXXX)
DB=$T/havoc.db
BG=""
failures=0
passed=0

cleanup() {
	if [ -n "$BG" ]; then
		kill -KILL "$BG" 2>/dev/null
		wait "$BG" 2>/dev/null
	fi
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
sql() { sqlite3 "$DB" "$@"; }
last_run() { sql "select max(id) from runs"; }
out_has() { grep -qF -- "$1" "$T/out"; }
out_lacks() { ! grep -qF -- "$1" "$T/out"; }

for c in moto_server aws sqlite3; do
	if ! command -v "$c" >/dev/null; then
		echo "lab cloud: skipped: $c is missing (the machine image ships moto 5.2.1 and the AWS CLI)"
		exit 0
	fi
done
trap cleanup EXIT

echo "lab cloud: bringing the lab up (with monitoring)"
if ! "$LAB" up >"$T/up.log" 2>&1; then
	bad "lab up" "$(tail -n 5 "$T/up.log")"
	finish
fi
eval "$("$LAB" env)"

# ---- the image probe on the lab's own hosts, through havoc ---------------

sed -e "s|@INVENTORY@|$HAVOC_LAB_INVENTORY|" -e "s|@KEY@|$HAVOC_LAB_KEY|" \
    -e "s|@KNOWN_HOSTS@|$HAVOC_LAB_KNOWN_HOSTS|" \
    "$X/image-probe.yaml" >"$T/image.yaml"
# image_run HOST VERSION [DRIFT]: havoc's exit code; its output in $T/out
image_run() {
	local rc=0
	"$HAVOC" run "$T/image.yaml" --db "$DB" --var host="$1" \
	    --var version="$2" --var drift="${3:-false}" --verbose \
	    >"$T/out" 2>&1 || rc=$?
	return $rc
}

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
"$LAB" create web-2 --image web-v1 >"$T/create.log" 2>&1

# ---- the cloud ------------------------------------------------------------

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
export AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
BRIDGE=$HAVOC_CLOUD_DIR/bridge/hosts

# What AWS holds, seen with the AWS CLI (not havoc's own client).
awsc() {
	aws --endpoint-url "$HAVOC_CLOUD_ENDPOINT" --region "$HAVOC_CLOUD_REGION" \
	    --profile "$HAVOC_CLOUD_PROFILE" --output text "$@"
}
# The group's members, sorted, one a line.
members() {
	awsc autoscaling describe-auto-scaling-groups --auto-scaling-group-names \
	    "$HAVOC_CLOUD_ASG" --query 'AutoScalingGroups[0].Instances[].InstanceId' |
	    tr '\t' '\n' | sort
}
state_of_instance() {
	awsc ec2 describe-instances --instance-ids "$1" \
	    --query 'Reservations[0].Instances[0].State.Name'
}
host_of() { awk -v i="$1" '$1 == i {print $2}' "$BRIDGE"; }
ip_of() { awk -v i="$1" '$1 == i {print $3}' "$BRIDGE"; }
image_of() { awk -v i="$1" '$1 == i {print $4}' "$BRIDGE"; }
bridge_state() { awk -v i="$1" '$1 == i {print $5}' "$BRIDGE"; }
boots_of() { awk -v i="$1" '$1 == i {print $6}' "$BRIDGE"; }
serves() { curl -sf --max-time 2 "http://$1/" | grep -q "Welcome to $2"; }
serves_v() { curl -sf --max-time 2 "http://$1/" | grep -q "golden image web-v$2"; }
down_at() { ! curl -sf --max-time 1 -o /dev/null "http://$1/healthz"; }
# Every member of the group is a running lab host that serves.
group_up() {
	local id n=0
	members >"$T/members.now" 2>/dev/null || return 1
	for id in $(cat "$T/members.now"); do
		[ "$(bridge_state "$id")" = running ] || return 1
		serves "$(ip_of "$id")" "$(host_of "$id")" || return 1
		n=$((n + 1))
	done
	[ "$n" = 3 ]
}
# The settings every experiment here takes, for this lab instance.
V=(--var region="$HAVOC_CLOUD_REGION" --var profile="$HAVOC_CLOUD_PROFILE"
    --var endpoint="$HAVOC_CLOUD_ENDPOINT" --var asg="$HAVOC_CLOUD_ASG"
    --var site="$HAVOC_LAB_SITE" --var alertmanager="$HAVOC_LAB_ALERTMANAGER"
    --var key="$HAVOC_LAB_KEY" --var known_hosts="$HAVOC_LAB_KNOWN_HOSTS")
# hv EXPERIMENT ARGS...: havoc run; its exit code, its output in $T/out
hv() {
	local f=$1 rc=0
	shift
	"$HAVOC" run "$f" --db "$DB" "${V[@]}" "$@" --verbose >"$T/out" 2>&1 || rc=$?
	return $rc
}

check "bridge: the group's 3 instances are lab hosts that serve" wait_for 600 group_up
members >"$T/g0"

# ---- plan: instances are hosts, picked by the seed --------------------------

"$HAVOC" plan "$X/cloud-terminate.yaml" "${V[@]}" --seed 7 >"$T/plan1" 2>&1
check "plan: resolves the group (exit 0)" test $? = 0
check "plan: every running instance of the group is a candidate" grep -q "from AWS: 3 running instances" "$T/plan1"
picked=$(sed -n 's/^target group: \(i-[0-9a-f]*\) (\([0-9.]*\), group .*/\1 \2/p' "$T/plan1")
pid1=${picked%% *}
check "plan: one instance is picked, by id, at its private IP" \
    test "$(ip_of "$pid1")" = "${picked##* }"
"$HAVOC" plan "$X/cloud-terminate.yaml" "${V[@]}" --seed 7 >"$T/plan2" 2>&1
check "plan: the same seed picks the same instance" cmp -s "$T/plan1" "$T/plan2"
check "plan: the action is shown on the instance" grep -q "terminate instance $pid1 (Auto Scaling group $HAVOC_CLOUD_ASG replaces it)" "$T/plan1"
"$HAVOC" run "$X/cloud-terminate.yaml" "${V[@]}" --seed 7 --dry-run >"$T/dry" 2>&1
check "run --dry-run: resolves and prints the same plan" grep -q "^target group: $pid1 " "$T/dry"
members >"$T/g1"
check "plan and dry run: nothing was done" cmp -s "$T/g0" "$T/g1"

# ---- refusals: nothing is done ------------------------------------------------

# A wrong secret: moto's signature check refuses it at plan time.
sed 's/^\(aws_secret_access_key = \).*/\1wrongwrongwrongwrongwrongwrongwrong0000/' \
    "$HAVOC_CLOUD_CREDENTIALS" >"$T/badcreds"
rc=0
AWS_SHARED_CREDENTIALS_FILE=$T/badcreds hv "$X/cloud-terminate.yaml" || rc=$?
check "wrong secret: the run stops before anything (exit 2)" test $rc = 2
check "wrong secret: with AWS's error (Auto Scaling: SignatureDoesNotMatch)" \
    grep -qE "target group group: aws autoscaling DescribeAutoScalingGroups: (SignatureDoesNotMatch|AuthFailure|InvalidClientTokenId): " "$T/out"
check "wrong secret: the secret is not shown" out_lacks wrongwrong
# An IAM policy that denies ec2:TerminateInstances: resolving works (it
# may describe), terminating is refused.
rc=0
hv "$X/cloud-terminate.yaml" --var profile="$HAVOC_CLOUD_PROFILE_NOTERM" || rc=$?
check "deny policy: refused (exit 2)" test $rc = 2
check "deny policy: AccessDenied for ec2:TerminateInstances, AWS's words" \
    out_has "aws ec2 TerminateInstances: AccessDenied: User: "
check "deny policy: ... naming the action" grep -q "not authorized to perform: ec2:TerminateInstances" "$T/out"
check "deny policy: the step in the store has AWS's error" \
    test "$(sql "select count(*) from steps where run_id = $(last_run) and driver = 'aws.ec2.terminate' and status = 'failed' and error like '%AccessDenied%'")" = 1
# max_targets: three picked, two allowed.
rc=0
hv "$X/cloud-terminate.yaml" --var pick=all --var max=2 || rc=$?
check "max_targets: 3 instances refused when 2 are allowed (exit 2)" test $rc = 2
check "max_targets: ... with the reason" out_has "safety: actions would touch 3 hosts, more than max_targets 2"
# A lone instance, in no Auto Scaling group, booted by the bridge.
lone=$(awsc ec2 run-instances --image-id "$HAVOC_CLOUD_AMI_V1" --subnet-id "$HAVOC_CLOUD_SUBNET" \
    --tag-specifications 'ResourceType=instance,Tags=[{Key=Role,Value=lone},{Key=aws:autoscaling:groupName,Value=web}]' \
    --query 'Instances[0].InstanceId')
lone_up() { [ "$(bridge_state "$lone")" = running ] && serves "$(ip_of "$lone")" "$(host_of "$lone")"; }
check "lone instance: the bridge boots it as a host" wait_for 600 lone_up
rc=0
hv "$X/cloud-terminate-lone.yaml" || rc=$?
check "outside any group: terminate is refused (exit 2)" test $rc = 2
check "outside any group: ... because nothing would bring it back (a forged group tag does not count)" \
    out_has "$lone is in no Auto Scaling group: nothing would bring it back (outside_asg: true terminates it anyway)"
sleep 1
members >"$T/g1"
check "refusals: the group is untouched" cmp -s "$T/g0" "$T/g1"
check "refusals: the lone instance still runs" test "$(state_of_instance "$lone")" = running
check "refusals: ... and its host serves" lone_up
for id in $(cat "$T/g0"); do serves "$(ip_of "$id")" "$(host_of "$id")" || bad "refusals: $id still serves"; done
hv "$X/cloud-terminate-lone.yaml" --var outside=true
check "outside_asg: true terminates it (exit 0)" test $? = 0
check "outside_asg: ... running -> shutting-down" out_has "$lone: running -> shutting-down"
lone_gone() { [ "$(bridge_state "$lone")" = terminated ] && down_at "$(ip_of "$lone")"; }
check "outside_asg: its lab host went down" wait_for 300 lone_gone

# ---- the AWS probes and an SSH probe on cloud targets -------------------------

hv "$X/cloud-probes.yaml" --var ami="$HAVOC_CLOUD_AMI_V1"
check "probes: v1 instances pass image_id v1, launch_template current, capacity, ssh (exit 0)" test $? = 0
check "probes: aws.ec2.image says what it saw" \
    test "$(sql "select count(*) from steps where run_id = $(last_run) and driver = 'aws.ec2.image' and output like '% runs $HAVOC_CLOUD_AMI_V1 (web-v1); expected $HAVOC_CLOUD_AMI_V1 (web-v1)'")" = 3
check "probes: aws.asg.capacity says what it saw" out_has "$HAVOC_CLOUD_ASG: 3 of 3 desired InService and Healthy"
check "probes: the ssh probe ran on each instance's own host" \
    test "$(sql "select count(*) from steps where run_id = $(last_run) and driver = 'ssh' and status = 'ok' and output like 'i-%'")" = 3
rc=0
hv "$X/cloud-probes.yaml" --var ami="$HAVOC_CLOUD_AMI_V2" || rc=$?
check "probes: image_id v2 fails on v1 instances (deviated, exit 1)" test $rc = 1
check "probes: ... naming both images" out_has "another image: $(head -n 1 "$T/g0") runs $HAVOC_CLOUD_AMI_V1 (web-v1); expected $HAVOC_CLOUD_AMI_V2 (web-v2)"
sick=$(head -n 1 "$T/g0")
awsc autoscaling set-instance-health --instance-id "$sick" --health-status Unhealthy >/dev/null
rc=0
hv "$X/cloud-probes.yaml" --var ami="$HAVOC_CLOUD_AMI_V1" || rc=$?
check "probes: an Unhealthy member fails aws.asg.capacity (exit 1)" test $rc = 1
check "probes: ... 2 of 3" out_has "$HAVOC_CLOUD_ASG: 2 of 3 desired InService and Healthy"
awsc autoscaling set-instance-health --instance-id "$sick" --health-status Healthy >/dev/null

# ---- aws.ec2.reboot: the host boots again ------------------------------------

boots0=$(for id in $(cat "$T/g0"); do echo "$id $(boots_of "$id")"; done)
hv "$X/cloud-reboot.yaml" --seed 11
check "reboot: done (exit 0)" test $? = 0
rb=$(sed -n 's/.*\(i-[0-9a-f]\{17\}\): reboot ok.*/\1/p' "$T/out" | head -n 1)
check "reboot: one instance was asked to reboot" test -n "$rb"
b0=$(echo "$boots0" | awk -v i="$rb" '$1 == i {print $2}')
rebooted() { [ "$(boots_of "$rb")" -gt "$b0" ] && serves "$(ip_of "$rb")" "$(host_of "$rb")"; }
check "reboot: its lab host booted again and serves" wait_for 600 rebooted
others_same=1
for id in $(cat "$T/g0"); do
	[ "$id" = "$rb" ] && continue
	[ "$(boots_of "$id")" = "$(echo "$boots0" | awk -v i="$id" '$1 == i {print $2}')" ] || others_same=0
done
check "reboot: the others did not" test $others_same = 1

# ---- aws.ec2.stop: stopped for a while, started by its revert -----------------

hv "$X/cloud-stop.yaml" --var hold=12s --seed 5 &
BG=$!
sleep 1
st=""
for i in $(seq 1 100); do
	st=$(sed -n 's/.*\(i-[0-9a-f]\{17\}\): stop ok.*/\1/p' "$T/out" | head -n 1)
	[ -n "$st" ] && break
	sleep 0.1
done
check "stop: the instance is stopped (EC2 says so)" test -n "$st" -a "$(state_of_instance "$st")" = stopped
stopped_host() { [ "$(bridge_state "$st")" = stopped ] && down_at "$(ip_of "$st")"; }
check "stop: its lab host is powered off" wait_for 100 stopped_host
wait "$BG"
rc=$?
BG=""
check "stop: the run held (exit 0)" test $rc = 0
check "stop: the revert started it" out_has "$st: stopped -> pending; running"
running_host() { [ "$(bridge_state "$st")" = running ] && serves "$(ip_of "$st")" "$(host_of "$st")"; }
check "stop: its lab host runs and serves again" wait_for 600 running_host
check "stop: the journal's revert names the instance and its cloud" \
    test "$(sql "select count(*) from faults where run_id = $(last_run) and state = 'reverted' and revert_spec like '%\"instance\":{\"id\":\"$st\",\"asg\":\"$HAVOC_CLOUD_ASG\",\"region\":\"$HAVOC_CLOUD_REGION\",\"profile\":\"$HAVOC_CLOUD_PROFILE\",\"endpoint\":\"$HAVOC_CLOUD_ENDPOINT\"}%'")" = 1
sql "select revert_spec from faults" >"$T/specs"
check "stop: no credential in the journal" sh -c "! grep -qiE 'aws_secret|$(awk '/aws_secret_access_key/{print $3; exit}' "$HAVOC_CLOUD_CREDENTIALS")' '$T/specs'"

# SIGKILL in the middle of a stop: havoc recover starts the instance.
"$HAVOC" run "$X/cloud-stop.yaml" --db "$DB" "${V[@]}" --var hold=5m --seed 5 --verbose >"$T/out" 2>&1 &
BG=$!
st=""
for i in $(seq 1 100); do
	st=$(sed -n 's/.*\(i-[0-9a-f]\{17\}\): stop ok.*/\1/p' "$T/out" | head -n 1)
	[ -n "$st" ] && break
	sleep 0.1
done
kill -KILL "$BG"
wait "$BG" 2>/dev/null
BG=""
check "SIGKILL during aws.ec2.stop: the instance stays stopped" test -n "$st" -a "$(state_of_instance "$st")" = stopped
check "SIGKILL during aws.ec2.stop: its host is off" wait_for 100 stopped_host
"$HAVOC" recover --db "$DB" >"$T/out" 2>&1
check "recover: the fault is reverted (exit 0)" test $? = 0
check "recover: ... by StartInstances" out_has "$st: stopped -> pending; running"
check "recover: the instance runs again (EC2 says so)" test "$(state_of_instance "$st")" = running
check "recover: its lab host runs and serves again" wait_for 600 running_host

# ---- the kill example: an instance dies, the site holds, NodeDown, heal -------

# No NodeDown may be active before (an alert that already fires stops the
# run): the hosts stopped and terminated above must have been forgotten.
nodedown_quiet() {
	curl -sf --max-time 2 "$HAVOC_LAB_ALERTMANAGER/api/v2/alerts?active=true" |
	    python3 -c 'import json,sys; sys.exit(1 if any(a["labels"].get("alertname") == "NodeDown" for a in json.load(sys.stdin)) else 0)'
}
check "the group is whole again before the kill" wait_for 600 group_up
check "no NodeDown is active before the kill" wait_for 1800 nodedown_quiet
members >"$T/g0"
rc=0
hv "$EX/cloud-instance-kill.yaml" --seed 3 || rc=$?
check "kill example: the hypothesis held (exit 0)" test $rc = 0
victim=$(sed -n 's/.*\(i-[0-9a-f]\{17\}\): lose one instance ok.*/\1/p' "$T/out" | head -n 1)
check "kill example: one instance was terminated" test -n "$victim"
gone() { case "$(state_of_instance "$victim")" in shutting-down|terminated) return 0 ;; esac; return 1; }
check "kill example: EC2 says so" gone
check "kill example: its lab host is down" sh -c "[ -n '$(ip_of "$victim")' ]" && check "kill example: ... (not serving)" down_at "$(ip_of "$victim")"
run=$(last_run)
check "kill example: NodeDown was seen, with a time to detect" \
    test "$(sql "select count(*) from alerts where run_id = $run and state = 'fired' and ttd_ms > 0")" = 1
fails=$(sql "select failures from figures where run_id = $run and probe = 'site'")
check "kill example: the site held ($fails failing samples)" test "${fails:-99}" -le 2
healed() { group_up && ! grep -q "^$victim$" "$T/members.now"; }
check "kill example: the group heals: a new instance is a new lab host that serves" wait_for 900 healed

# ---- the rotation: v1 to v2 across the group ----------------------------------

members >"$T/g0"
awsc ec2 create-launch-template-version --launch-template-name "$HAVOC_CLOUD_LT" \
    --launch-template-data "{\"ImageId\":\"$HAVOC_CLOUD_AMI_V2\",\"InstanceType\":\"t3.micro\"}" >/dev/null
"$HAVOC" plan "$EX/cloud-golden-image-rotation.yaml" "${V[@]}" >"$T/plan" 2>&1
check "rotation plan: three batches" test "$(grep -c 'keeping its capacity (batch [123] of 3)' "$T/plan")" = 3
check "rotation plan: the replacements run web-v2 from the launch template" \
    grep -q "its replacement runs $HAVOC_CLOUD_AMI_V2 (web-v2) from launch template $HAVOC_CLOUD_LT \$Latest (version 2)" "$T/plan"
rc=0
hv "$EX/cloud-golden-image-rotation.yaml" || rc=$?
run=$(last_run)
check "rotation: the hypothesis held (exit 0)" test $rc = 0 || tail -n 20 "$T/out"
check "rotation: v1 everywhere before (pre-flight image probes)" \
    test "$(sql "select count(*) from steps where run_id = $run and phase = 'preflight' and driver = 'image' and status = 'ok'")" = 3
members >"$T/g1"
check "rotation: the group has 3 members again" test "$(grep -c . "$T/g1")" = 3
check "rotation: none of the old instances is left" sh -c "! grep -qxFf '$T/g0' '$T/g1'"
all_v2() {
	local id
	for id in $(cat "$T/g1"); do
		[ "$(image_of "$id")" = web-v2 ] || return 1
		serves_v "$(ip_of "$id")" 2 || return 1
	done
}
check "rotation: every instance is a web-v2 lab host serving v2" wait_for 300 all_v2
check "rotation: the image probes after: golden-web 2, no drift, on the new instances" \
    test "$(sql "select count(*) from steps where run_id = $run and phase = 'method' and driver = 'image' and status = 'ok' and output like '%runs golden-web 2 (web-v2), no drift%'")" = 3
check "rotation: aws.ec2.image agrees (the launch template's current AMI)" \
    test "$(sql "select count(*) from steps where run_id = $run and driver = 'aws.ec2.image' and status = 'ok'")" = 3
check "rotation: three batches of one, in the store" \
    test "$(sql "select group_concat(batch, ',') from (select batch from steps where run_id = $run and driver = 'aws.asg.replace' and status = 'ok' order by batch)")" = "1,2,3"
samples=$(sql "select samples from figures where run_id = $run and probe = 'site'")
fails=$(sql "select failures from figures where run_id = $run and probe = 'site'")
check "rotation: the site was watched every 500 ms throughout ($samples samples)" test "${samples:-0}" -ge 10
check "rotation: the site failed in no more samples than abort_when allows ($fails)" test "${fails:-99}" -le 2
"$HAVOC" show "$run" --db "$DB" >"$T/show"
check "rotation: havoc show lists the batches" test "$(grep -c 'batch [123]: i-.* replaced by i-' "$T/show")" = 3
"$HAVOC" report --run "$run" --db "$DB" -o "$T/report.html" >/dev/null 2>&1
check "rotation: the HTML report has a batch column" grep -q '<th>Batch</th>' "$T/report.html"
check "rotation: ... and each replacement" test "$(grep -c 'replaced by i-' "$T/report.html")" = 3

# ---- a watch on the group follows the rotation --------------------------------

check "the group serves before the watched rotation" wait_for 600 group_up
members >"$T/g0"
rc=0
hv "$X/cloud-rotate-watch.yaml" || rc=$?
run=$(last_run)
members >"$T/g1"
check "watched rotation: done (exit $rc)" test $rc = 0 || tail -n 20 "$T/out"
check "watched rotation: none of the old instances is left" sh -c "! grep -qxFf '$T/g0' '$T/g1'"
# The watch's last round (the last 1.5 s of samples, after the pause that
# follows the rotation): on the three new instances, every one answering.
since="(select max(at) - 1500 from samples where run_id = $run and probe = 'each instance')"
sql "select distinct target from samples where run_id = $run and probe = 'each instance' and at >= $since" | sort >"$T/watched"
check "watched rotation: the watch samples the replacements" \
    sh -c "diff -q '$T/g1' '$T/watched' >/dev/null" || diff "$T/g1" "$T/watched"
check "watched rotation: ... and they answer" \
    test "$(sql "select count(*) from samples where run_id = $run and probe = 'each instance' and at >= $since and ok = 0")" = 0
check "watched rotation: the old instances were watched before" \
    test "$(sql "select count(distinct target) from samples where run_id = $run and probe = 'each instance' and target in ($(sed "s/.*/'&'/" "$T/g0" | paste -sd,))")" = 3

# ---- a rotation whose replacement never serves stops after batch 1 -----------

check "the group serves before the broken rotation" wait_for 600 group_up
members >"$T/g0"
dead=$(awsc ec2 register-image --name web-dead --description "an image no lab host boots" \
    --root-device-name /dev/xvda --query ImageId)
awsc ec2 create-launch-template-version --launch-template-name "$HAVOC_CLOUD_LT" \
    --launch-template-data "{\"ImageId\":\"$dead\",\"InstanceType\":\"t3.micro\"}" >/dev/null
rc=0
hv "$X/cloud-rotate.yaml" --var wait=15s || rc=$?
run=$(last_run)
check "broken rotation: stopped (exit 2)" test $rc = 2
check "broken rotation: batch 1 failed: its replacement never passed healthy_when" \
    test "$(sql "select count(*) from steps where run_id = $run and driver = 'aws.asg.replace' and status = 'failed' and batch = 1 and error like '%not healthy within wait_healthy 15.0s: replacement i-% (%): healthy_when: GET http://%/healthz: %'")" = 1
check "broken rotation: batches 2 and 3 were skipped" \
    test "$(sql "select group_concat(batch, ',') from (select batch from steps where run_id = $run and driver = 'aws.asg.replace' and status = 'skipped' order by batch)")" = "2,3"
members >"$T/g1"
check "broken rotation: the rest untouched (two of the old instances remain)" \
    test "$(grep -cxFf "$T/g0" "$T/g1")" = 2
untouched=1
for id in $(grep -xFf "$T/g0" "$T/g1"); do
	[ "$(state_of_instance "$id")" = running ] || untouched=0
	serves "$(ip_of "$id")" "$(host_of "$id")" || untouched=0
done
check "broken rotation: ... running and serving" test $untouched = 1

# ---- every request was a signed POST ------------------------------------------

check "moto saw requests from havoc" grep -q '"POST / HTTP/1.1" 200' "$HAVOC_CLOUD_DIR/moto.log"
check "moto saw no GET with a query string" sh -c "! grep -E '\"GET /\\?' '$HAVOC_CLOUD_DIR/moto.log'"

"$CLOUD" down >/dev/null 2>&1
left=$("$LAB" status 2>/dev/null | grep -c '^i-')
check "cloud down: the bridge removed its hosts" test "$left" = 0
finish
