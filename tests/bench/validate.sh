#!/usr/bin/env bash
# Start-up: `havoc validate` over the examples, against two peers that
# read YAML in the same run: PyYAML loading the same files, and
# `ansible-playbook --syntax-check` on a one-task playbook. Prints
# milliseconds per invocation (the mean of many runs) and the ratios.
# Usage: tests/bench/validate.sh BUILD/havoc
set -euo pipefail

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/havoc-bench-validate-XXXXXX)
trap 'rm -rf "$T"' EXIT
FILES=("$ROOT"/experiments/examples/*.yaml)

# mean_ms N CMD...: runs CMD N times; prints the mean wall time in ms.
mean_ms() {
	local n=$1 i t0 t1
	shift
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
	done
	t1=$(date +%s%N)
	awk -v d=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.2f", d / n / 1e6 }'
}

cat >"$T/play.yaml" <<'PLAY'
- hosts: localhost
  gather_facts: false
  tasks:
    - name: nothing
      ansible.builtin.debug: {msg: hello}
PLAY

"$HAVOC" validate "${FILES[@]}" >/dev/null
havoc=$(mean_ms 200 "$HAVOC" validate --quiet "${FILES[@]}")
pyyaml=na
if python3 -c 'import yaml' 2>/dev/null; then
	pyyaml=$(mean_ms 20 python3 -c '
import sys, yaml
for f in sys.argv[1:]:
    yaml.safe_load(open(f))' "${FILES[@]}")
fi
ansible=na
if command -v ansible-playbook >/dev/null; then
	ansible=$(mean_ms 5 ansible-playbook --syntax-check -i localhost, \
	    "$T/play.yaml")
fi

echo "Validating ${#FILES[@]} experiment files (mean wall time per invocation):"
printf '  %-40s %10s ms\n' "havoc validate (all ${#FILES[@]}, checked)" "$havoc" \
    "python3 + PyYAML (loading them only)" "$pyyaml" \
    "ansible-playbook --syntax-check (1 task)" "$ansible"
for peer in "$pyyaml" "$ansible"; do
	[ "$peer" = na ] && continue
	awk -v h="$havoc" -v p="$peer" \
	    'BEGIN { printf "  peer / havoc: %.0fx\n", p / h }'
done
