#!/usr/bin/env bash
# Benchmark: resolve an Auto Scaling group of 200 instances and terminate
# 20 of them picked by the seed, with the real havoc binary (`havoc run`
# of an experiment: a target group {aws: {asg: bench}, pick: 20} and one
# aws.ec2.terminate step: DescribeAutoScalingGroups, DescribeInstances,
# DescribeAutoScalingInstances to check membership, one TerminateInstances;
# the run recorded in a SQLite store) and with the AWS CLI making the same
# calls but the membership check (describe-auto-scaling-groups,
# describe-instances, terminate-instances), both against moto_server on
# 127.0.0.1 with IAM authentication on (every request signed and
# checked). Prints wall time, the client's CPU (user + sys) and peak
# memory, best of REPEAT (3) by wall time, side by side. moto's own time
# is in the wall time of both; the CPU is the client's. moto replaces
# every terminated member, so each round terminates 20 of 200 again.
# Usage: tests/bench/aws.sh BUILD/havoc   (any user; moto and the AWS CLI
# must be installed, else it says so and exits 0)
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
REPEAT=${REPEAT:-3}
SIZE=${SIZE:-200}
KILL=${KILL:-20}
PORT=${HAVOC_BENCH_AWS_PORT:-5099}
EP=http://127.0.0.1:$PORT
REGION=eu-west-1
T=$(mktemp -d /tmp/havoc-bench-aws-XXXXXX)
MOTO=""

cleanup() {
	[ -n "$MOTO" ] && kill "$MOTO" 2>/dev/null && wait "$MOTO" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

for c in moto_server aws sqlite3 /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "bench aws: skipped: $c is missing"; exit 0; }
done
[ -x "$HAVOC" ] || { echo "bench aws: $HAVOC is missing (make)"; exit 1; }

INITIAL_NO_AUTH_ACTION_COUNT=1000000 moto_server -H 127.0.0.1 -p "$PORT" \
    >"$T/moto.log" 2>&1 &
MOTO=$!
for i in $(seq 1 100); do
	curl -sf -o /dev/null "$EP/moto-api/" && break
	sleep 0.1
done
setup() {
	AWS_ACCESS_KEY_ID=setup AWS_SECRET_ACCESS_KEY=setup \
	    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	    AWS_EC2_METADATA_DISABLED=true AWS_PAGER= \
	    aws --endpoint-url "$EP" --region "$REGION" --output text "$@"
}
setup iam create-user --user-name bench >/dev/null
setup iam put-user-policy --user-name bench --policy-name all --policy-document \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","autoscaling:*"],"Resource":"*"}]}'
read -r AK SK <<<"$(setup iam create-access-key --user-name bench \
    --query 'AccessKey.[AccessKeyId,SecretAccessKey]')"
vpc=$(setup ec2 create-vpc --cidr-block 10.200.0.0/16 --query Vpc.VpcId)
subnet=$(setup ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.200.0.0/20 \
    --query Subnet.SubnetId)
ami=$(setup ec2 register-image --name bench --root-device-name /dev/xvda --query ImageId)
setup ec2 create-launch-template --launch-template-name bench \
    --launch-template-data "{\"ImageId\":\"$ami\",\"InstanceType\":\"t3.micro\"}" >/dev/null
setup autoscaling create-auto-scaling-group --auto-scaling-group-name bench \
    --launch-template 'LaunchTemplateName=bench,Version=$Latest' \
    --min-size "$SIZE" --max-size "$SIZE" --desired-capacity "$SIZE" \
    --vpc-zone-identifier "$subnet"
curl -sf -X POST -H 'Content-Type: text/plain' --data-binary 0 \
    "$EP/moto-api/reset-auth" >/dev/null
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    AWS_PAGER= AWS_DEFAULT_REGION=$REGION

# havoc: the run resolves the group, picks KILL with the seed, checks
# they are in the group and terminates them in one request.
cat >"$T/bench.yaml" <<YAML
version: 1
title: "bench: terminate $KILL of an Auto Scaling group of $SIZE"
cloud: {aws: {region: $REGION, endpoint: "$EP"}}
targets:
  victims: {aws: {asg: bench}, pick: $KILL}
method:
  - name: terminate
    action: aws.ec2.terminate
    on: victims
safety: {max_targets: $KILL}
YAML
"$HAVOC" validate "$T/bench.yaml" >/dev/null || { echo "bench aws: the experiment does not validate"; exit 1; }
cat >"$T/havoc.sh" <<SH
set -e
rm -f "$T/bench.db"
"$HAVOC" run "$T/bench.yaml" --db "$T/bench.db" --seed 42 --quiet >"$T/h.out"
SH
# The AWS CLI: the same three calls.
cat >"$T/cli.sh" <<SH
set -e
ids=\$(aws --endpoint-url "$EP" autoscaling describe-auto-scaling-groups \
    --auto-scaling-group-names bench --query 'AutoScalingGroups[0].Instances[].InstanceId' --output text)
aws --endpoint-url "$EP" ec2 describe-instances --filters Name=instance-id,Values=\$(echo \$ids | tr ' ' ,) \
    Name=instance-state-name,Values=running \
    --query 'Reservations[].Instances[].[InstanceId,PrivateIpAddress]' --output text >"$T/c.list"
[ "\$(wc -l <"$T/c.list")" -ge $SIZE ]
aws --endpoint-url "$EP" ec2 terminate-instances --instance-ids \$(head -n $KILL "$T/c.list" | cut -f1) >/dev/null
SH

# best NAME SCRIPT: "wall user sys maxrss_kb" of the fastest of REPEAT runs
best() {
	local i line bw="" bl=""
	for i in $(seq 1 "$REPEAT"); do
		/usr/bin/time -f '%e %U %S %M' -o "$T/time" bash "$2" >"$T/out" 2>&1 ||
		    { echo "bench aws: $1 failed: $(tail -n 3 "$T/out")" >&2; return 1; }
		line=$(tail -n 1 "$T/time")
		if [ -z "$bw" ] || awk -v a="${line%% *}" -v b="$bw" 'BEGIN{exit !(a < b)}'; then
			bw=${line%% *}
			bl=$line
		fi
	done
	echo "$bl"
}
h=$(best havoc "$T/havoc.sh") || exit 1
# What the last havoc run did (outside the timing): KILL terminated.
done_n=$(sqlite3 "$T/bench.db" "select count(*) from steps where driver = 'aws.ec2.terminate' and status = 'ok' and output like '%running -> shutting-down'" 2>/dev/null)
[ "$done_n" = "$KILL" ] || { echo "bench aws: havoc terminated ${done_n:-?} of $KILL: $(tail -n 3 "$T/h.out")"; exit 1; }
c=$(best cli "$T/cli.sh") || exit 1
echo "Resolve an Auto Scaling group of $SIZE and terminate $KILL (moto on 127.0.0.1,"
echo "IAM authentication on; best of $REPEAT by wall time; CPU = the client's user + sys)"
printf '%-26s %9s %12s %12s\n' client wall "client CPU" "peak memory"
for row in "havoc run (4 requests):$h" "AWS CLI (3 commands):$c"; do
	name=${row%%:*}
	set -- ${row#*:}
	printf '%-26s %8.2fs %11.2fs %9.1f MB\n' "$name" "$1" \
	    "$(awk -v u="$2" -v s="$3" 'BEGIN{print u + s}')" \
	    "$(awk -v k="$4" 'BEGIN{print k / 1024}')"
done
grep -q '"GET /?' "$T/moto.log" && echo "note: moto saw a GET with a query string"
exit 0
