#!/usr/bin/env bash
# Hostile input, secrets and terminal escapes (issue 7, items 5, 6, 10,
# 11), through the real havoc binary: bad files are refused with a
# located error and exit 65 (usage errors 64) quickly and in bounded
# memory; a ${...} a shell command cannot take safely is refused; a
# secret never reaches a plan, the log, the journal or the database; an
# escape sequence never reaches the terminal raw.
# Usage: tests/integration/input.sh BUILD/havoc
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d /tmp/havoc-input-XXXXXX)
export HAVOC_DB=$T/havoc.db
failures=0
passed=0

cleanup() {
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
# check NAME COMMAND...: passes when the command succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
# Runs havoc bounded in time (10 s) and memory (1 GB; not for a build
# with ASan, which reserves more address space than that); rc in $rc.
if nm "$HAVOC" 2>/dev/null | grep -q __asan_init; then vmax=unlimited; else vmax=1048576; fi
hv() { rc=0; ( ulimit -v $vmax; exec timeout 10 "$HAVOC" "$@" ) || rc=$?; }

cd "$T" || exit 1
ESC=$(printf '\033')
CSI=$(printf '\302\233')

# --- files that are not files, or too big ----------------------------------

hv validate /dev/zero 2>err.txt
check "validate /dev/zero: exit 65" test "$rc" = 65
check "validate /dev/zero: located, not read" \
    grep -q '^/dev/zero:1:1: cannot read the file (/dev/zero: not a regular file)' err.txt
mkfifo fifo
hv validate fifo 2>err.txt
check "validate a FIFO: exit 65 at once, no wait for a writer" test "$rc" = 65
printf 'inventory: /dev/zero\nmethod:\n  - pause: 1s\n' >inv-zero.yaml
hv validate inv-zero.yaml 2>err.txt
check "inventory: /dev/zero refused (65)" test "$rc" = 65
check "inventory: /dev/zero says why" grep -q 'not a regular file' err.txt
printf 'vars: {k: "${file:/dev/zero}", f: "${file:fifo}"}\nmethod:\n  - pause: 1s\n' >file-zero.yaml
hv validate file-zero.yaml 2>err.txt
check "\${file:/dev/zero} and a FIFO refused (65)" test "$rc" = 65
check "\${file:/dev/zero} located" \
    grep -q '^file-zero.yaml:1:11: vars.k: ${file:/dev/zero}: /dev/zero: not a regular file' err.txt
truncate -s 65M big.yaml
hv validate big.yaml 2>err.txt
check "a 65 MiB file refused (65)" test "$rc" = 65
check "a 65 MiB file: says its size" grep -q 'larger than 64 MiB' err.txt
rm -f big.yaml

# --- the YAML loader ---------------------------------------------------------

printf '? &0 <<\n: *0\nb: *0\n' >uaf.yaml
{ printf 'method:\n  - pause: 1s\n? &key <<\n: {title: merged}\n'
  for i in $(seq 1 200); do printf 'x%d: [*key, *key]\n' "$i"; done; } >uaf2.yaml
hv validate uaf.yaml 2>err.txt
check "a merge key with an anchor: exit 65, no crash" test "$rc" = 65
hv validate uaf2.yaml 2>err.txt
check "a long merge key with an anchor: exit 65, no crash" test "$rc" = 65
printf '\357\273\277version: 1\nmethod:\n  - pause: 1s\n' >bom.yaml
hv validate bom.yaml >/dev/null 2>&1
check "a UTF-8 byte order mark is accepted" test "$rc" = 0
{ printf 'version: 1\nvars:\n'; for i in $(seq 1 40000); do printf '  v%d: x\n' "$i"; done
  printf 'method:\n  - pause: 1s\n'; } >keys.yaml
t0=$(date +%s%N)
hv validate keys.yaml >/dev/null 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "40,000 keys load in ${ms} ms (was 7.6 s)" test "$rc" = 0 -a "$ms" -lt 2000
{ printf 'vars:\n  a0: "0123456789012345678901234567890123456789"\n'
  for i in 1 2 3 4 5 6 7 8 9; do
	printf '  a%d: "' "$i"; for j in 1 2 3 4 5 6 7 8 9 10; do printf '${a%d}' $((i - 1)); done; printf '"\n'
  done; printf 'title: "${a9}"\nmethod:\n  - pause: 1s\n'; } >blowup.yaml
hv validate blowup.yaml 2>err.txt
check "ten nested \${var}s ($(wc -c <blowup.yaml) bytes): exit 65 under 1 GB" test "$rc" = 65
check "nested \${var}s: located" \
    grep -q '^blowup.yaml:7:7: vars.a5: the value expands to more than 1 MiB' err.txt
printf 'method:\n  - pause: 1000000000000h\n' >long.yaml
hv validate long.yaml 2>err.txt
check "1000000000000h: exit 65" test "$rc" = 65
check "1000000000000h: longer than the most, not negative" \
    grep -q '^long.yaml:2:12: step.pause: "1000000000000h" is longer than 3650d' err.txt

# --- command line -------------------------------------------------------------

cat >touch.yaml <<EOF
method:
  - action: local.run
    with: {command: [touch, $T/ran]}
EOF
hv run touch.yaml --seed 99999999999999999999 2>err.txt
check "an overflowing --seed is a usage error (64)" test "$rc" = 64
check "--seed: says the range" grep -q 'from 0 to 18446744073709551615' err.txt
hv run touch.yaml --seed -1 2>/dev/null
check "--seed -1: 64" test "$rc" = 64
hv plan touch.yaml --seed 18446744073709551616 2>/dev/null
check "plan --seed that overflows: 64" test "$rc" = 64
hv plan touch.yaml --seed 18446744073709551615 >plan.txt 2>&1
check "plan --seed at the top of the range" grep -q -- '--seed 18446744073709551615' plan.txt
hv run touch.yaml --journal "$T/no/such/dir/j.json" 2>err.txt
check "an unwritable --journal: 64" test "$rc" = 64
check "an unwritable --journal: nothing ran" test ! -e ran -a ! -e "$HAVOC_DB"
hv run touch.yaml --journal "$T" 2>/dev/null
check "--journal a folder: 64, nothing ran" test "$rc" = 64 -a ! -e ran
hv run touch.yaml --junit "$T/no/such/dir/j.xml" 2>/dev/null
check "an unwritable --junit: 64, nothing ran" test "$rc" = 64 -a ! -e ran
hv run touch.yaml --export "$T/no/such/dir/e.json" 2>/dev/null
check "an unwritable --export: 64, nothing ran" test "$rc" = 64 -a ! -e ran
mkfifo jfifo
hv run touch.yaml --journal jfifo 2>err.txt
check "--journal a FIFO no one reads: 64 at once" test "$rc" = 64 -a ! -e ran
hv run bom.yaml --journal new.json >/dev/null 2>&1
check "--journal: written after the run" python3 -c "
import json; assert json.load(open('new.json'))['run']['status'] == 'completed'"
hv run uaf.yaml --journal gone.json >/dev/null 2>&1
check "--journal of a run that never started is not left behind" \
    test "$rc" = 65 -a ! -e gone.json
hv run touch.yaml --var "$(printf 'x=\377')" 2>/dev/null
check "--var that is not UTF-8: 64" test "$rc" = 64
unset HAVOC_UNSET_VAR
hv run touch.yaml --var-env t=HAVOC_UNSET_VAR 2>err.txt
check "--var-env of an unset variable: 64" test "$rc" = 64
check "--var-env in run --help" sh -c "'$HAVOC' run --help | grep -q -- '--var-env NAME=VAR'"

# --- shell commands: values where a shell cannot read them as code -------

cat >shell.yaml <<'EOF'
hosts: {web-1: 10.0.0.1}
targets: {web: {hosts: [web-1]}}
vars: {x: "$(touch /tmp/havoc-input-pwned)"}
method:
  - action: shell.run
    on: web
    with:
      command: "echo '${x}'"
      revert: "sh -c \"echo ${x}\""
EOF
hv validate shell.yaml 2>err.txt
check "\${x} in quotes of a shell command: exit 65" test "$rc" = 65
check "single quotes: located" grep -q "^shell.yaml:8:16: \${x} is inside single quotes" err.txt
check "sh -c \"...\": located" grep -q '^shell.yaml:9:15: ${x} is inside double quotes' err.txt
cat >shell-ok.yaml <<'EOF'
hosts: {web-1: 10.0.0.1}
targets: {web: {hosts: [web-1]}}
vars: {x: "$(touch /tmp/havoc-input-pwned)"}
method:
  - action: shell.run
    on: web
    with:
      command: "printf %s ${x} ${env.HAVOC_INPUT_SECRET} >/tmp/out"
      revert: "rm -f /tmp/out"
EOF
HAVOC_INPUT_SECRET=s3cr3t-input hv plan shell-ok.yaml >plan.txt 2>&1
check "a word-sized \${x}: planned" test "$rc" = 0
check "the plan shows the variables' prefix" grep -q \
    "hv_x='\$(touch /tmp/havoc-input-pwned)' hv_env_HAVOC_INPUT_SECRET=\${env.HAVOC_INPUT_SECRET}; printf %s \"\$hv_x\" \"\$hv_env_HAVOC_INPUT_SECRET\" >/tmp/out" plan.txt
check "the plan holds no secret" sh -c "! grep -q s3cr3t-input plan.txt"

# --- secrets: references everywhere, never values ------------------------

cat >secret.yaml <<EOF
title: "t \${env.HAVOC_INPUT_SECRET}"
description: "d \${env.HAVOC_INPUT_SECRET}"
tags: ["\${env.HAVOC_INPUT_SECRET}"]
steady_state:
  - name: "probe \${env.HAVOC_INPUT_SECRET}"
    probe: local
    with: {command: [echo, "\${env.HAVOC_INPUT_SECRET}", "\${tok}"]}
method:
  - name: "step \${env.HAVOC_INPUT_SECRET}"
    action: local.run
    with: {command: [echo, "\${env.HAVOC_INPUT_SECRET}", "\${tok}"]}
  - name: "missing \${tok}"
    action: local.run
    with: {command: ["\${env.HAVOC_INPUT_SECRET}"]}
rollbacks:
  - name: "an HTTP error names the URL"
    action: http.request
    with: {url: "http://127.0.0.1:1/\${env.HAVOC_INPUT_SECRET}", timeout: 2s}
EOF
HAVOC_INPUT_SECRET=s3cr3t-input TOKEN_FROM_ENV=t0ken-from-env \
    hv run secret.yaml --var-env tok=TOKEN_FROM_ENV --journal secret.json \
    >out.txt 2>log.txt
check "a run with secrets: a rollback failed (3)" test "$rc" = 3
check "the HTTP error names the URL by its reference" \
    grep -q 'http://127.0.0.1:1/${env.HAVOC_INPUT_SECRET}' log.txt
check "the log names the missing program by its reference" \
    grep -q 'missing ${env.TOKEN_FROM_ENV} failed: ${env.HAVOC_INPUT_SECRET}: No such file' log.txt
"$HAVOC" show 1 >show.txt 2>&1
HAVOC_INPUT_SECRET=s3cr3t-input TOKEN_FROM_ENV=t0ken-from-env \
    "$HAVOC" run secret.yaml --var-env tok=TOKEN_FROM_ENV --dry-run >dry.txt 2>&1
HAVOC_INPUT_SECRET=s3cr3t-input TOKEN_FROM_ENV=t0ken-from-env \
    hv plan secret.yaml --var-env tok=TOKEN_FROM_ENV --seed 7 >plan.txt 2>&1
check "plan takes --var-env too" test "$rc" = 0
check "plan's replay line says --var-env" \
    grep -q -- '--seed 7 --var-env tok=TOKEN_FROM_ENV' plan.txt
hv plan secret.yaml --var-env tok=HAVOC_UNSET_VAR >/dev/null 2>err.txt
check "plan --var-env of an unset variable: 64" test "$rc" = 64
for f in out.txt log.txt secret.json show.txt dry.txt plan.txt "$HAVOC_DB"; do
	check "no secret in ${f##*/}" sh -c "! grep -a -q -e s3cr3t-input -e t0ken-from-env '$f'"
done
check "the title is stored as its reference" python3 -c "
import json; j = json.load(open('secret.json'))
assert j['run']['experiment'] == 't \${env.HAVOC_INPUT_SECRET}', j['run']['experiment']"
check "the output of echo is redacted" grep -q 'output.*${env.HAVOC_INPUT_SECRET} ${env.TOKEN_FROM_ENV}' secret.json
check "the replay line says --var-env" grep -q -- '--var-env tok=TOKEN_FROM_ENV' dry.txt

# --- terminal escapes ----------------------------------------------------------

cat >esc.yaml <<'EOF'
title: "\e[2J\e]0;owned\a title"
method:
  - name: "step \u009b31m"
    action: local.run
    with: {command: [printf, "out \e[41m red \u009b2J\n"]}
EOF
hv plan esc.yaml >plan.txt 2>&1
check "plan: no escape reaches the terminal raw" sh -c "! grep -a -q -e '$ESC' -e '$CSI' plan.txt"
check "plan: the escape is shown" grep -q 'u001b\[2J' plan.txt
hv run esc.yaml >out.txt 2>log.txt
check "run: exit 0" test "$rc" = 0
check "run log: no escape raw" sh -c "! grep -a -q -e '$ESC' -e '$CSI' log.txt"
id=$(sqlite3 "$HAVOC_DB" 'select max(id) from runs')
"$HAVOC" show "$id" >show.txt 2>&1
check "show: no escape raw" sh -c "! grep -a -q -e '$ESC' -e '$CSI' show.txt"
check "show: the step is there, its name escaped" grep -q 'step \\u009b31m' show.txt
NO_COLOR= hv validate three-missing.yaml 2>err.txt
check "stderr: a missing file is still a plain message" \
    grep -q '^three-missing.yaml:1:1: cannot read the file' err.txt

echo
echo "input: $passed passed, $failures failed"
[ "$failures" = 0 ]
