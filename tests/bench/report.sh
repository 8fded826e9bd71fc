#!/usr/bin/env bash
# Reports at scale: a store of 10,000 runs over the last 30 days, with
# 100,000 and then 1,000,000 watch samples (10 and 100 a run), generated
# by this script; `havoc report --since 30d` as HTML and as JSON must take
# under 2 s, and its peak memory must not grow with the samples. Beside
# it, in the same run, the peer: the same aggregation (score, time to
# detect and to recover, median and worst, the daily trend) with the
# sqlite3 shell. And a report of one run that has 1,000,000 samples of
# its own: they are streamed into the chart's buckets, never held.
# Usage: tests/bench/report.sh BUILD/havoc
set -euo pipefail

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d /tmp/havoc-bench-report-XXXXXX)
trap 'rm -rf "$T"' EXIT
LIMIT_S=2.0

# gen DB RUNS SAMPLES_PER_RUN: a store made by havoc's own schema, then
# filled in one transaction. A tenth of the runs deviate (a missed alert,
# a probe that does not recover); each has three steps, a fault, an alert
# and a figure.
gen() {
	printf 'version: 1\ntitle: nothing\nmethod:\n  - pause: 1ms\n' \
	    >"$T/nothing.yaml"
	"$HAVOC" run "$T/nothing.yaml" --db "$1" --quiet >/dev/null 2>&1
	sqlite3 "$1" 'DELETE FROM steps; DELETE FROM runs'
	python3 - "$1" "$2" "$3" <<'EOF'
import random, sqlite3, sys, time
db, nruns, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(42)
c = sqlite3.connect(db)
c.execute('PRAGMA synchronous = OFF')
now = int(time.time() * 1000)
start = now - 29 * 86400000 - 43200000
step = (now - 60000 - start) // nruns
runs, steps, faults, alerts, figs, samples = [], [], [], [], [], []
titles = ['web node loss', 'db latency', 'cache partition', 'disk fill',
    'monitoring gap drill']
sid = 0
for i in range(1, nruns + 1):
    t = start + i * step
    bad = i % 10 == 0
    took = 60000
    runs.append((i, titles[i % 5], 'experiments/x%d.yaml' % (i % 5), 'h',
        str(i), 'ctl', 1, 'deviated' if bad else 'completed', int(bad),
        int(bad), 'alert "NodeDown" did not fire within 30.0s' if bad else
        'the hypothesis held', t, t + took, '["web"]'))
    for k, (ph, kind, name) in enumerate([('steady_before', 'probe',
            'homepage'), ('method', 'action', 'kill nginx'),
            ('steady_after', 'probe', 'homepage')]):
        sid += 1
        steps.append((sid, i, k + 1, ph, kind, name, 'http' if kind ==
            'probe' else 'process.kill', 'web-%d' % (i % 3 + 1), 'detail',
            t + k * 20000, t + k * 20000 + 50, 'ok', 'output', None, 12.5))
    faults.append((i, sid - 1, 'web-1', 'process.kill', 'kill -KILL nginx',
        'systemctl start nginx', 'reverted', t + 20000, t + 20000,
        t + 40000))
    alerts.append((i, 'NodeDown', 'alertmanager', 30000, t + 20000,
        None if bad else t + 20000 + random.randint(2000, 25000),
        'missed' if bad else 'fired'))
    ttr = None if bad else random.randint(1000, 20000)
    figs.append((i, 'homepage', per, per // 5, t + 21000,
        None if bad else t + 21000 + ttr, ttr,
        'not_recovered' if bad else 'recovered'))
c.executemany('INSERT INTO runs (id, experiment, file, file_hash, seed,'
    ' controller, pid, status, deviated, exit_code, reason, started_at,'
    ' ended_at, tags_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)', runs)
c.executemany('INSERT INTO steps (id, run_id, seq, phase, kind, name,'
    ' driver, target, detail, started_at, ended_at, status, output, error,'
    ' latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)', steps)
c.executemany('INSERT INTO faults (run_id, step_id, target, driver, inject,'
    ' revert, state, created_at, injected_at, reverted_at)'
    ' VALUES (?,?,?,?,?,?,?,?,?,?)', faults)
c.executemany('INSERT INTO alerts (run_id, name, probe, within_ms,'
    ' injected_at, fired_at, state) VALUES (?,?,?,?,?,?,?)', alerts)
c.executemany('INSERT INTO figures (run_id, probe, samples, failures,'
    ' first_failure_at, recovered_at, ttr_ms, state)'
    ' VALUES (?,?,?,?,?,?,?,?)', figs)
def gen_samples():
    for i in range(1, nruns + 1):
        t = start + i * step
        for k in range(per):
            at = t + k * 60000 // per
            ok = not (21000 <= at - t < 30000)
            yield (i, 'homepage', 'web-1', at, int(ok),
                random.uniform(2, 40) if ok else None,
                None if ok else 'connection refused')
c.executemany('INSERT INTO samples (run_id, probe, target, at, ok,'
    ' latency_ms, error) VALUES (?,?,?,?,?,?,?)', gen_samples())
c.commit()
c.close()
EOF
}

# measure CMD...: prints "seconds peak_rss_mb" of one run of CMD.
measure() {
	/usr/bin/time -f '%e %M' -o "$T/time" "$@" >/dev/null
	awk '{ printf "%.2f %.1f", $1, $2 / 1024 }' "$T/time"
}

# The peer: the report's aggregation in SQL, in the sqlite3 shell.
peer_sql() {
	local from=$(( ($(date +%s) - 30 * 86400) * 1000 ))
	cat <<EOF
SELECT count(*), sum(status = 'completed'),
    100.0 * sum(status = 'completed') / sum(status <> 'running')
    FROM runs WHERE started_at >= $from;
WITH t AS (SELECT a.ttd_ms AS v FROM alerts a JOIN runs r ON r.id = a.run_id
    WHERE r.started_at >= $from AND a.state <> 'missed'
    AND a.ttd_ms IS NOT NULL)
SELECT (SELECT v FROM t ORDER BY v LIMIT 1 OFFSET (SELECT (count(*) - 1) / 2
    FROM t)), (SELECT max(v) FROM t);
WITH t AS (SELECT g.ttr_ms AS v FROM figures g JOIN runs r ON r.id = g.run_id
    WHERE r.started_at >= $from AND g.state = 'recovered')
SELECT (SELECT v FROM t ORDER BY v LIMIT 1 OFFSET (SELECT (count(*) - 1) / 2
    FROM t)), (SELECT max(v) FROM t);
SELECT started_at / 86400000 AS d, count(*), sum(status = 'completed')
    FROM runs WHERE started_at >= $from GROUP BY d;
SELECT a.name, count(*) FROM alerts a JOIN runs r ON r.id = a.run_id
    WHERE r.started_at >= $from AND a.state = 'missed' GROUP BY a.name;
EOF
}

fail=0
printf '%-34s %9s %10s %9s %10s\n' "10,000 runs, 30 days" "havoc s" \
    "havoc MB" "sqlite3 s" "sqlite3 MB"
for per in 10 100; do
	db=$T/s$per.db
	gen "$db" 10000 "$per"
	n=$(sqlite3 "$db" 'select count(*) from samples')
	peer_sql >"$T/peer.sql"
	# Warm the page cache once for both, then measure.
	"$HAVOC" report --db "$db" --since 30d -o "$T/warm.html"
	sqlite3 "$db" <"$T/peer.sql" >/dev/null
	for fmt in html json; do
		read -r hs hm <<<"$(measure "$HAVOC" report --db "$db" \
		    --since 30d -o "$T/r.$fmt")"
		read -r ps pm <<<"$(measure sqlite3 "$db" -init "$T/peer.sql" \
		    .quit)"
		printf '%-34s %9s %10s %9s %10s\n' \
		    "$n samples, $fmt" "$hs" "$hm" "$ps" \
		    "$pm"
		if awk -v s="$hs" -v l="$LIMIT_S" 'BEGIN { exit !(s >= l) }'; then
			echo "bench: over ${LIMIT_S}s" >&2
			fail=1
		fi
		eval "rss_${per}_$fmt=$hm"
	done
	ls -l "$T/r.html" | awk '{ printf "  (html report: %.1f MB)\n", $5 / 1048576 }'
done

# One run with 1,000,000 samples of its own: a chart of 240 buckets.
db=$T/one.db
gen "$db" 1 1000000
read -r hs hm <<<"$(measure "$HAVOC" report --db "$db" --run 1 -o "$T/one.html")"
printf '%-34s %9s %10s\n' "one run, 1,000,000 samples, html" "$hs" "$hm"
gen "$T/one-small.db" 1 10000
read -r hs2 hm2 <<<"$(measure "$HAVOC" report --db "$T/one-small.db" --run 1 -o "$T/one-small.html")"
printf '%-34s %9s %10s\n' "one run, 10,000 samples, html" "$hs2" "$hm2"
echo
echo "peak memory, 100k -> 1M samples: html ${rss_10_html} -> ${rss_100_html} MB," \
    "json ${rss_10_json} -> ${rss_100_json} MB; one run 10k -> 1M: ${hm2} -> ${hm} MB"
# Memory must not grow with the samples: 10x the samples, at most 10% (and
# 2 MB of slack for allocator noise) more memory.
for pair in "$rss_10_html $rss_100_html" "$rss_10_json $rss_100_json" \
    "$hm2 $hm"; do
	if ! awk -v a="${pair% *}" -v b="${pair#* }" \
	    'BEGIN { exit !(b <= a * 1.1 + 2) }'; then
		echo "bench: memory grew with the samples ($pair MB)" >&2
		fail=1
	fi
done
exit $fail
