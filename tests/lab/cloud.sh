#!/usr/bin/env bash
# havoc's lab cloud: moto_server as EC2 and Auto Scaling, with IAM
# authentication on, set up with the AWS CLI, and a bridge that makes its
# instances real lab hosts. Needs a lab that is up (tests/lab/lab.sh up,
# same HAVOC_LAB_INSTANCE).
#
# Usage: tests/lab/cloud.sh up|down|env|status
#
#   up      start moto_server on 127.0.0.1:PORT (HAVOC_CLOUD_PORT, default
#           5000 + 100 * instance: 5100 for the default lab, 5400 for
#           instance 4), create the fixtures with the AWS CLI, switch IAM
#           authentication on, start the bridge and wait (bounded) until
#           the group's instances are lab hosts. Always runs `down` first.
#   down    stop the bridge (it removes its hosts) and moto_server
#   env     `export VAR=...` lines (below) for eval
#   status  moto, the bridge, and one line per instance: id host ip image
#           state boots; exit 0 iff both run
#
# Fixtures (region eu-west-1): IAM users `havoc` (ec2:*, autoscaling:*)
# and `havoc-noterm` (the same, but ec2:TerminateInstances denied), each
# with an access key, written as profiles havoc and havoc-noterm to a
# shared credentials file; a VPC on the lab's /16 and a subnet
# NET.32.0/20 in it (instances get lab addresses from NET.32.4 on); AMIs
# named web-v1 and web-v2 (golden images of tests/lab/images); launch
# template `web` (version 1: web-v1); Auto Scaling group `web` (3
# instances, min 3, max 6). moto_server exits 77 (skip) when missing.
#
# env: HAVOC_CLOUD_ENDPOINT HAVOC_CLOUD_REGION HAVOC_CLOUD_CREDENTIALS
# (the shared credentials file) HAVOC_CLOUD_PROFILE (havoc)
# HAVOC_CLOUD_PROFILE_NOTERM HAVOC_CLOUD_ASG HAVOC_CLOUD_LT
# HAVOC_CLOUD_AMI_V1 HAVOC_CLOUD_AMI_V2 HAVOC_CLOUD_SUBNET HAVOC_CLOUD_DIR
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
INSTANCE="${HAVOC_LAB_INSTANCE:-}"
[[ $INSTANCE =~ ^([1-9][0-9]?)?$ ]] || { echo "cloud: bad HAVOC_LAB_INSTANCE" >&2; exit 64; }
[[ $INSTANCE == 1 ]] && INSTANCE=""
readonly LAB="${HAVOC_LAB_DIR:-/run/havoc-lab${INSTANCE}}"
readonly NET="10.$((100 - ${INSTANCE:-1}))"
readonly MARK="HVL${INSTANCE}_MEMBER"
readonly PORT="${HAVOC_CLOUD_PORT:-$((5000 + 100 * ${INSTANCE:-1}))}"
readonly ENDPOINT="http://127.0.0.1:$PORT"
readonly REGION=eu-west-1
readonly DIR="$LAB/cloud"
readonly READY_TIMEOUT=150   # s: the group's hosts booted by the bridge

log() { printf 'cloud: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# aws_setup ARGS: the AWS CLI against moto with the set-up key (accepted
# while authentication is still off)
aws_setup() {
  AWS_ACCESS_KEY_ID=setup AWS_SECRET_ACCESS_KEY=setup AWS_SESSION_TOKEN= \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= \
    aws --endpoint-url "$ENDPOINT" --region "$REGION" --output text "$@"
}

# pid_marked PID (as in lab.sh): PID is alive and carries MARK in its environment. The
# environment reads empty while PID is in execve (a python3 through pyenv's
# shims execs several times): an empty read is tried again, 5 times in
# 0.1 s at most, unless PID is gone or a zombie. mapfile reads at once
# (the file holds on to the image it was opened on).
pid_marked() {
  local i st e env=()
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  for ((i = 0; i < 5; i++)); do
    mapfile -d '' -t env 2>/dev/null <"/proc/$1/environ" || return 1
    ((${#env[@]} == 0)) || break
    read -r st 2>/dev/null <"/proc/$1/stat" || return 1
    [[ ${st##*) } != Z* ]] || return 1
    sleep 0.02
  done
  for e in "${env[@]}"; do [[ $e != "$MARK="* ]] || return 0; done
  return 1
}

# pid_alive FILE: the pid in FILE is a live process carrying our marker
pid_alive() {
  [[ -f $1 ]] || return 1
  pid_marked "$(<"$1")"
}

# how_died FILE LOG: sets DIED to how the process in FILE (a child of
# this shell: waited for here, not in a subshell) ended, with the end of
# its log LOG: "exit 1: ..." or "signal 9: ..."
how_died() {
  local rc=0
  wait "$(<"$1")" 2>/dev/null || rc=$?
  if ((rc > 128)); then DIED="signal $((rc - 128))"; else DIED="exit $rc"; fi
  DIED+=": $(tail -n 5 "$2")"
}

# started FILE: wait (bounded, 5 s) until the process just started in the
# background has exec'd and carries the marker (before, /proc shows the
# forked shell's environment)
started() {
  local i
  for ((i = 0; i < 50; i++)); do
    pid_alive "$1" && return 0
    sleep 0.1
  done
  return 1
}

# stop_pid FILE SECONDS: SIGTERM, wait (bounded), then SIGKILL
stop_pid() {
  local pid i
  pid_alive "$1" || { rm -f "$1"; return 0; }
  pid="$(<"$1")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

cmd_down() {
  [[ -d $DIR ]] || return 0
  stop_pid "$DIR/bridge.pid" 120
  stop_pid "$DIR/moto.pid" 10
  rm -rf "$DIR"
  log "down"
}

cmd_up() {
  [[ ${EUID} -eq 0 ]] || die "must run as root"
  command -v moto_server >/dev/null || { log "skip: moto_server is missing"; exit 77; }
  command -v aws >/dev/null || { log "skip: the AWS CLI is missing"; exit 77; }
  /usr/bin/env python3 -c 'import boto3' 2>/dev/null || { log "skip: boto3 is missing"; exit 77; }
  [[ -f $LAB/lab.env ]] || die "the lab is not up ($LAB): run tests/lab/lab.sh up"
  cmd_down
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  # moto: authentication off for the set-up calls, switched on below;
  # hvl-cloud-moto is moto_server that notes the instances it reboots
  (cd "$DIR" && exec env "$MARK=$LAB" INITIAL_NO_AUTH_ACTION_COUNT=1000000 \
    HVL_MOTO_REBOOTS="$DIR/reboots" setsid /usr/bin/env python3 \
    "$HERE/bin/hvl-cloud-moto" -H 127.0.0.1 -p "$PORT" </dev/null >"$DIR/moto.log" 2>&1) &
  echo $! >"$DIR/moto.pid"
  started "$DIR/moto.pid" || die "moto_server did not start: $(tail -n 3 "$DIR/moto.log")"
  local i
  for ((i = 0; i < 200; i++)); do
    curl -sf -o /dev/null "$ENDPOINT/moto-api/" && break
    if ! pid_alive "$DIR/moto.pid"; then
      how_died "$DIR/moto.pid" "$DIR/moto.log"
      die "moto_server died ($DIED)"
    fi
    sleep 0.1
  done
  ((i < 200)) || die "moto_server does not answer on $ENDPOINT"

  local allow deny vpc subnet ami1 ami2 k1 k2
  allow='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","autoscaling:*"],"Resource":"*"}]}'
  deny='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","autoscaling:*"],"Resource":"*"},{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}]}'
  aws_setup iam create-user --user-name havoc >/dev/null
  aws_setup iam put-user-policy --user-name havoc --policy-name havoc --policy-document "$allow"
  k1="$(aws_setup iam create-access-key --user-name havoc --query 'AccessKey.[AccessKeyId,SecretAccessKey]')"
  aws_setup iam create-user --user-name havoc-noterm >/dev/null
  aws_setup iam put-user-policy --user-name havoc-noterm --policy-name noterm --policy-document "$deny"
  k2="$(aws_setup iam create-access-key --user-name havoc-noterm --query 'AccessKey.[AccessKeyId,SecretAccessKey]')"
  (umask 077
   printf '[havoc]\naws_access_key_id = %s\naws_secret_access_key = %s\n' $k1
   printf '[havoc-noterm]\naws_access_key_id = %s\naws_secret_access_key = %s\n' $k2
  ) >"$DIR/credentials"
  vpc="$(aws_setup ec2 create-vpc --cidr-block "$NET.0.0/16" --query Vpc.VpcId)"
  subnet="$(aws_setup ec2 create-subnet --vpc-id "$vpc" --cidr-block "$NET.32.0/20" \
    --availability-zone "${REGION}a" --query Subnet.SubnetId)"
  ami1="$(aws_setup ec2 register-image --name web-v1 --description "golden image web, version 1" \
    --root-device-name /dev/xvda --query ImageId)"
  ami2="$(aws_setup ec2 register-image --name web-v2 --description "golden image web, version 2" \
    --root-device-name /dev/xvda --query ImageId)"
  aws_setup ec2 create-launch-template --launch-template-name web \
    --launch-template-data "{\"ImageId\":\"$ami1\",\"InstanceType\":\"t3.micro\"}" >/dev/null
  aws_setup autoscaling create-auto-scaling-group --auto-scaling-group-name web \
    --launch-template 'LaunchTemplateName=web,Version=$Latest' \
    --min-size 3 --max-size 6 --desired-capacity 3 --vpc-zone-identifier "$subnet"
  # from now on every request must be signed by a user of moto's IAM
  curl -sf -X POST -H 'Content-Type: text/plain' --data-binary 0 \
    "$ENDPOINT/moto-api/reset-auth" >/dev/null || die "cannot switch authentication on"
  {
    printf "export %s='%s'\\n" \
      HAVOC_CLOUD_ENDPOINT "$ENDPOINT" HAVOC_CLOUD_REGION "$REGION" \
      HAVOC_CLOUD_CREDENTIALS "$DIR/credentials" HAVOC_CLOUD_PROFILE havoc \
      HAVOC_CLOUD_PROFILE_NOTERM havoc-noterm HAVOC_CLOUD_ASG web \
      HAVOC_CLOUD_LT web HAVOC_CLOUD_AMI_V1 "$ami1" HAVOC_CLOUD_AMI_V2 "$ami2" \
      HAVOC_CLOUD_SUBNET "$subnet" HAVOC_CLOUD_DIR "$DIR"
  } >"$DIR/cloud.env"

  # the bridge, with the havoc user's key
  read -r _ ak sk <<<"$(sed -n '1,3p' "$DIR/credentials" | awk '/aws_access_key_id/{a=$3} /aws_secret_access_key/{s=$3} END{print "x", a, s}')"
  (exec env "$MARK=$LAB" AWS_ACCESS_KEY_ID="$ak" AWS_SECRET_ACCESS_KEY="$sk" \
    AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    HAVOC_LAB_INSTANCE="$INSTANCE" HAVOC_LAB_DIR="$LAB" \
    PYTHONUNBUFFERED=1 setsid /usr/bin/env python3 "$HERE/bin/hvl-cloud-bridge" --endpoint "$ENDPOINT" \
    --region "$REGION" --lab "$HERE/lab.sh" --images "$HERE/images" --state "$DIR/bridge" \
    --reboots "$DIR/reboots" \
    </dev/null >"$DIR/bridge.log" 2>&1) &
  echo $! >"$DIR/bridge.pid"
  started "$DIR/bridge.pid" || die "the bridge did not start: $(tail -n 5 "$DIR/bridge.log")"
  for ((i = 0; i < READY_TIMEOUT * 10; i++)); do
    [[ -f $DIR/bridge/ready ]] && break
    if ! pid_alive "$DIR/bridge.pid"; then
      how_died "$DIR/bridge.pid" "$DIR/bridge.log"
      die "the bridge died ($DIED)"
    fi
    sleep 0.1
  done
  [[ -f $DIR/bridge/ready ]] || die "the bridge did not boot the group in ${READY_TIMEOUT}s: $(tail -n 5 "$DIR/bridge.log")"
  log "up: $ENDPOINT, group web of 3 on $(cut -d' ' -f2,3 "$DIR/bridge/hosts" | tr '\n' ' ')"
}

cmd_env() {
  [[ -f $DIR/cloud.env ]] || { log "not up"; return 1; }
  cat "$DIR/cloud.env"
}

cmd_status() {
  local ok=0
  if pid_alive "$DIR/moto.pid"; then echo "moto: running on $ENDPOINT"; else echo "moto: down"; ok=1; fi
  if pid_alive "$DIR/bridge.pid"; then echo "bridge: running"; else echo "bridge: down"; ok=1; fi
  [[ -f $DIR/bridge/hosts ]] && cat "$DIR/bridge/hosts"
  return $ok
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 64 ;;
esac
