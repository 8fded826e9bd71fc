#!/bin/sh
# The demo. As root it runs on the lab (tests/lab): real hosts in network
# namespaces with sshd, nginx behind a balancer, Prometheus and
# Alertmanager; one web node is cut off, the site must stay up and
# NodeDown must fire. Otherwise (or with HAVOC_DEMO_LOCAL=1) a web service
# on 127.0.0.1 is stopped and must come back. HAVOC_DEMO=rotation (root)
# runs the golden-image rotation on the lab cloud instead: moto as EC2 and
# Auto Scaling, its group of three real lab hosts moved from web v1 to v2.
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

# The rotation demo: the lab cloud's group moves onto golden image v2.
rotation_demo() {
	lab=$top/tests/lab/lab.sh
	cloud=$top/tests/lab/cloud.sh
	example=$top/experiments/examples/cloud-golden-image-rotation.yaml
	"$lab" deps || return 1
	echo "== bringing the lab and its cloud up (lab.sh up; cloud.sh up)"
	"$lab" up || return 1
	trap '"$cloud" down >/dev/null 2>&1; "$lab" down >/dev/null 2>&1' \
	    EXIT INT TERM
	"$cloud" up || return 1
	eval "$("$lab" env)"
	eval "$("$cloud" env)"
	export AWS_SHARED_CREDENTIALS_FILE="$HAVOC_CLOUD_CREDENTIALS"
	export AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
	export AWS_PAGER=
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	    AWS_PROFILE
	set -- --var region="$HAVOC_CLOUD_REGION" \
	    --var profile="$HAVOC_CLOUD_PROFILE" \
	    --var endpoint="$HAVOC_CLOUD_ENDPOINT" --var asg="$HAVOC_CLOUD_ASG" \
	    --var site="$HAVOC_LAB_SITE" --var key="$HAVOC_LAB_KEY" \
	    --var known_hosts="$HAVOC_LAB_KNOWN_HOSTS"
	echo
	echo "== publish golden image v2: launch template $HAVOC_CLOUD_LT," \
	    "new version on AMI web-v2 (aws ec2 create-launch-template-version)"
	aws --endpoint-url "$HAVOC_CLOUD_ENDPOINT" \
	    --region "$HAVOC_CLOUD_REGION" --profile "$HAVOC_CLOUD_PROFILE" \
	    --output text ec2 create-launch-template-version \
	    --launch-template-name "$HAVOC_CLOUD_LT" --launch-template-data \
	    "{\"ImageId\":\"$HAVOC_CLOUD_AMI_V2\",\"InstanceType\":\"t3.micro\"}" \
	    --query 'LaunchTemplateVersion.VersionNumber' || return 1
	echo
	echo "== havoc plan"
	"$havoc" plan "$example" "$@" || return 1
	echo
	echo "== havoc run"
	"$havoc" run "$example" "$@" --journal "$out/journal.json"
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

if [ "${HAVOC_DEMO:-}" = rotation ]; then
	if [ "$(id -u)" != 0 ] || ! command -v moto_server >/dev/null ||
	    ! command -v aws >/dev/null; then
		echo "demo: the rotation needs root, moto_server and the AWS CLI" >&2
		exit 1
	fi
	rotation_demo
elif [ "$(id -u)" = 0 ] && [ "${HAVOC_DEMO_LOCAL:-0}" != 1 ]; then
	lab_demo
else
	echo "(not root: the local demo; as root, make demo runs on the lab)"
	local_demo
fi
