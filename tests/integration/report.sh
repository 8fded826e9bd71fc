#!/usr/bin/env bash
# Reports: the real havoc binary over a store filled by real local runs
# (the demo web service on 127.0.0.1) and by rows inserted where a real
# run cannot make the case; the figures checked against values worked out
# by hand; JUnit checked against tests/junit/junit.xsd and read by a JUnit
# consumer (junitparser); the HTML rendered in a real headless Chromium,
# with hostile content that must neither become an element nor run; a
# screenshot of the first screen and a PDF kept under BUILD/report/.
# Usage: tests/integration/report.sh BUILD/havoc
set -u

HAVOC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(dirname "$HAVOC")/report
T=$(mktemp -d /tmp/havoc-report-XXXXXX)
export HAVOC_DB=$T/havoc.db
export HAVOC_DEMO_RUN=$T
PORT=$((20000 + RANDOM % 20000))
WEBAPP="$ROOT/experiments/demo/webapp.sh"
XSD="$ROOT/tests/junit/junit.xsd"
PY=/usr/bin/python3
failures=0
passed=0
skipped=0
mkdir -p "$OUT"

cleanup() {
	"$WEBAPP" stop "$PORT" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok    %s\n' "$1"; }
bad() { failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; shift; printf '      %s\n' "$@"; }
skip() { skipped=$((skipped + 1)); printf 'skip  %s\n' "$1"; }
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "command: $*"; return 1; fi; }
sql() { sqlite3 "$HAVOC_DB" "$@"; }
# py NAME SCRIPT [ARGS]: a Python check that passes when it exits 0.
py() { local n=$1; shift; if out=$("$PY" - "$@" 2>&1); then ok "$n"; else bad "$n" "$out"; fi; }

# Headless Chromium, flags as the tests need them: no network of its own,
# a fresh profile each time, bounded in time.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
chrome() {
	local prof
	prof=$(mktemp -d "$T/chrome-XXXXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --user-data-dir="$prof" "$@" \
	    2>>"$T/chrome.log"
	local rc=$?
	rm -rf "$prof"
	return $rc
}

cd "$T" || exit 1

# --- usage -------------------------------------------------------------------

"$HAVOC" report --help | grep -q 'usage: havoc report'
check "report --help" test $? = 0
"$HAVOC" report --run 1 --since 3d >/dev/null 2>&1
check "two scopes: usage error (64)" test $? = 64
"$HAVOC" report -o report.pdf >/dev/null 2>err.txt
check "unknown file ending: usage error (64)" test $? = 64
check "  it says to use --format" grep -q 'use --format' err.txt
"$HAVOC" report --format pdf >/dev/null 2>&1
check "unknown format: usage error (64)" test $? = 64
"$HAVOC" report --from 2026-13-01 >/dev/null 2>&1
check "bad time: usage error (64)" test $? = 64
"$HAVOC" report --run 1 >/dev/null 2>err.txt
check "no database: exit 66, and none is made" test $? = 66 -a ! -e "$HAVOC_DB"

# --- real runs ---------------------------------------------------------------

"$WEBAPP" start "$PORT" >/dev/null
"$HAVOC" run "$ROOT/experiments/examples/local-web-restart.yaml" \
    --var port="$PORT" --junit held.xml --export held.json >/dev/null 2>&1
check "demo run holds (exit 0)" test $? = 0
check "--export writes the run's record" \
    "$PY" -c "import json; assert json.load(open('held.json'))['run']['status'] == 'completed'"
"$HAVOC" run "$ROOT/experiments/examples/local-web-restart.yaml" \
    --var port="$PORT" --journal alias.json --quiet >/dev/null 2>&1
check "--journal is still an alias of --export" test -s alias.json

# A deviation: the marker the steady state needs is removed for good.
cat >deviate.yaml <<EOF
version: 1
title: the marker survives
tags: [local, marker]
steady_state:
  - name: marker
    probe: local
    with: {command: [test, -f, $T/marker]}
method:
  - name: remove the marker
    action: local.run
    with: {command: [rm, -f, $T/marker]}
EOF
touch marker
"$HAVOC" run deviate.yaml --junit deviated.xml >/dev/null 2>&1
check "deviating run (exit 1)" test $? = 1

# Hostile content through a real run: markup and script in the title, a
# tag, a probe's output and the error text of a failing step.
cat >hostile.yaml <<EOF
version: 1
title: "<script>document.title='pwned'</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
tags: ["<b>tag</b>", local]
steady_state:
  - name: "<i>probe</i>"
    probe: local
    with:
      command: [sh, -c, 'echo "<script>document.title=1</script>"; test -f $T/hmark']
method:
  - name: "<svg onload=alert(1)>"
    action: local.run
    with: {command: [rm, -f, $T/hmark]}
EOF
touch hmark
"$HAVOC" run hostile.yaml >/dev/null 2>&1
check "hostile run deviates (exit 1)" test $? = 1
hostile=$(sql "select max(id) from runs")
# A host name and an error no real run here can produce: rows inserted.
sql "update steps set target = '<img src=x onerror=alert(2)>web-1',
    error = coalesce(error, '') || '</td><script>alert(3)</script>'
    where run_id = $hostile"
check "the hostile rows are stored" test "$(sql "select count(*) from steps where run_id = $hostile and target like '<img%'")" -gt 0
"$WEBAPP" stop "$PORT" >/dev/null

# --- figures worked out from the rows of the real runs ---------------------

"$HAVOC" report --run 42 >/dev/null 2>err.txt
check "no such run: exit 1" test $? = 1
check "  with a clear message" grep -q 'havoc: no run 42' err.txt

"$HAVOC" report --run 1 --format json -o run1.json
check "report --run 1 --format json" test $? = 0
# The time to recover by its definition (SPEC, run semantics 8), from the
# stored samples: first failing sample after the first injection to the
# first passing sample after which the probe stays passing.
sql "select at, ok from samples where run_id = 1 and probe = 'homepage' order by at" >samples.txt
sql "select min(injected_at) from faults where run_id = 1" >injected.txt
py "time to recover of run 1 matches its samples" <<'EOF'
import json
rows = [tuple(map(int, l.split('|'))) for l in open('samples.txt')]
inj = int(open('injected.txt').read())
fails = [i for i, (at, ok) in enumerate(rows) if not ok and at >= inj]
assert fails, "no failing sample after the injection"
first, last = fails[0], fails[-1]
assert last + 1 < len(rows), "never recovered"
ttr = rows[last + 1][0] - rows[first][0]
r = json.load(open('run1.json'))
fig = r['runs'][0]['figures'][0]
assert fig['state'] == 'recovered', fig
# Samples are stamped when each probe call starts, the figure's rounds
# when the round does: milliseconds apart (more under a sanitizer).
assert fig['ttr_ms'] == fig['recovered_at'] - fig['first_failure_at'], fig
assert abs(fig['first_failure_at'] - rows[first][0]) <= 250, (fig, rows[first])
assert abs(fig['recovered_at'] - rows[last + 1][0]) <= 250, (fig, rows[last + 1])
assert abs(fig['ttr_ms'] - ttr) <= 250, (fig['ttr_ms'], ttr)
assert r['summary']['time_to_recover_ms']['median'] == fig['ttr_ms']
assert r['summary']['time_to_recover_ms']['worst'] == fig['ttr_ms']
tl = r['runs'][0]['timeline']['probes'][0]
assert tl['samples'] == len(rows), (tl['samples'], len(rows))
assert tl['failed'] == sum(1 for _, ok in rows if not ok)
assert sum(b[1] for b in tl['buckets']) == len(rows)
assert r['version'] == 1
EOF

"$HAVOC" report --since 1d --format json -o period.json
check "report --since 1d --format json" test $? = 0
sql "select status from runs" >statuses.txt
py "score of the period matches the statuses of its runs" <<'EOF'
import json
st = [l.strip() for l in open('statuses.txt')]
fin = [s for s in st if s != 'running']
held = sum(1 for s in fin if s == 'completed')
r = json.load(open('period.json'))
s = r['summary']
assert (s['finished'], s['held']) == (len(fin), held), (s, st)
assert abs(s['score'] - 100.0 * held / len(fin)) < 1e-9, s
assert r['verdict']['level'] == 'bad', r['verdict']
kinds = [f['kind'] for f in r['findings']]
assert 'deviation' in kinds, kinds
EOF
"$HAVOC" report --since 1d --tag marker --format json -o tagged.json
py "--tag keeps only the runs with that tag" <<'EOF'
import json
r = json.load(open('tagged.json'))
assert [x['experiment'] for x in r['runs']] == ['the marker survives'], r['runs']
EOF

# --- figures worked out by hand from inserted rows -------------------------

# Four runs on 2026-03-03 in their own store, made by havoc (a run of a
# pause, then removed, leaves havoc's schema).
printf 'version: 1\ntitle: nothing\nmethod:\n  - pause: 1ms\n' >nothing.yaml
"$HAVOC" run nothing.yaml --db hand.db --quiet >/dev/null 2>&1
sqlite3 hand.db <<'EOF'
DELETE FROM steps;
DELETE FROM runs;
INSERT INTO runs (id, experiment, file, file_hash, seed, controller, pid,
    status, deviated, exit_code, reason, started_at, ended_at, tags_json)
VALUES
 (1, 'web node loss', 'w.yaml', 'h', '1', 'c', 1, 'completed', 0, 0,
  'the hypothesis held', 1772524800000, 1772524860000, '["web"]'),
 (2, 'web node loss', 'w.yaml', 'h', '1', 'c', 1, 'deviated', 1, 1,
  'alert "NodeDown" did not fire within 30.0s (monitoring gap)',
  1772528400000, 1772528460000, '["web"]'),
 (3, 'db latency', 'd.yaml', 'h', '1', 'c', 1, 'completed', 0, 0,
  'the hypothesis held', 1772532000000, 1772532060000, '["db"]'),
 (4, 'db latency', 'd.yaml', 'h', '1', 'c', 1, 'completed', 0, 0,
  'the hypothesis held', 1772535600000, 1772535660000, '["db"]');
INSERT INTO alerts (run_id, name, probe, within_ms, injected_at, fired_at,
    state) VALUES
 (1, 'NodeDown', 'alertmanager', 30000, 1772524801000, 1772524813000,
  'fired'),
 (2, 'NodeDown', 'alertmanager', 30000, 1772528401000, NULL, 'missed'),
 (3, 'DBSlow', 'alertmanager', 30000, 1772532002000, 1772532006500,
  'fired'),
 (4, 'DBSlow', 'alertmanager', 30000, 1772535602000, 1772535609000,
  'silenced');
INSERT INTO figures (run_id, probe, samples, failures, first_failure_at,
    recovered_at, ttr_ms, state) VALUES
 (1, 'homepage', 60, 9, 1772524802000, 1772524811000, 9000, 'recovered'),
 (2, 'homepage', 60, 50, 1772528402000, NULL, NULL, 'not_recovered'),
 (3, 'homepage', 60, 2, 1772532003000, 1772532005000, 2000, 'recovered'),
 (4, 'homepage', 60, 5, 1772535603000, 1772535608000, 5000, 'recovered');
EOF
"$HAVOC" report --db hand.db --from 2026-03-03 --to 2026-03-04 \
    --format json -o hand.json
check "report over inserted rows" test $? = 0
# By hand: 3 of 4 held = 75%. Detected: 12000, 4500, 7000 (silenced still
# detected) -> median 7000, worst 12000; one missed. Recovered: 9000,
# 2000, 5000 -> median 5000, worst 9000; one did not recover.
py "score, time to detect and time to recover as worked out by hand" <<'EOF'
import json
s = json.load(open('hand.json'))['summary']
assert s['score'] == 75.0, s['score']
assert s['time_to_detect_ms'] == {'count': 3, 'median': 7000, 'worst': 12000}, s
assert s['time_to_recover_ms'] == {'count': 3, 'median': 5000, 'worst': 9000}, s
assert (s['missed_alerts'], s['not_recovered']) == (1, 1), s
EOF
"$HAVOC" report --db hand.db --from 2026-03-03 --to 2026-03-04 --tag db \
    --format json -o hand-db.json
py "by hand, --tag db: 2 of 2 held, detected 4500 and 7000" <<'EOF'
import json
s = json.load(open('hand-db.json'))['summary']
assert s['score'] == 100.0, s
assert s['time_to_detect_ms'] == {'count': 2, 'median': 5750, 'worst': 7000}, s
EOF
"$HAVOC" report --db hand.db --from 2026-03-03 --to 2026-03-04 >hand.txt
check "text report: the score line" grep -q '^resilience score: 75% (3 of 4 finished runs held)' hand.txt
check "text report: the gap to fix" grep -q 'Monitoring gap: The alert "NodeDown" did not fire within 30.0s' hand.txt

# --- JUnit ---------------------------------------------------------------

# A game day made of the real runs (the scheduler's rows, inserted).
sql "insert into gamedays (id, name, file, started_at, ended_at, status)
    select 1, 'weekly-web', 'gamedays/weekly-web.yaml', min(started_at),
    max(ended_at), 'completed' from runs where id < $hostile"
sql "update runs set gameday_id = 1 where id < $hostile"
# A slot the scheduler skipped before it (the table comes with game days;
# made here if this store predates them).
sql "create table if not exists gameday_skips (id integer primary key,
    name text not null, file text, scheduled_at integer not null,
    reason text not null, detail text, recorded_at integer not null)"
sql "insert into gameday_skips (name, file, scheduled_at, reason, detail,
    recorded_at) values ('weekly-web', 'gamedays/weekly-web.yaml',
    (select started_at - 604800000 from gamedays where id = 1), 'missed',
    'the daemon was down <b>at the time</b>', 0)"
"$HAVOC" report --gameday weekly-web -o gameday.xml
check "report --gameday NAME -o FILE.xml" test $? = 0
"$HAVOC" report --gameday weekly-web --format json -o gameday.json
py "the game day: its runs in order and its skipped slot" <<'EOF'
import json
r = json.load(open('gameday.json'))
assert r['kind'] == 'gameday' and r['gameday']['name'] == 'weekly-web'
assert [x['id'] for x in r['runs']] == sorted(x['id'] for x in r['runs'])
assert len(r['runs']) == 3 and all(x['detailed'] for x in r['runs'])
assert [k['reason'] for k in r['skips']] == ['missed'], r['skips']
assert any(f['kind'] == 'skipped' for f in r['findings']), r['findings']
EOF
if command -v xmllint >/dev/null; then
	for f in held.xml deviated.xml gameday.xml; do
		xmllint --noout --schema "$XSD" "$f" 2>xmllint.txt
		check "$f is valid against tests/junit/junit.xsd" test $? = 0 || cat xmllint.txt
	done
	# The schema can fail: a test case without its name is refused.
	sed 's/<testcase name="[^"]*"/<testcase/' gameday.xml >broken.xml
	xmllint --noout --schema "$XSD" broken.xml >/dev/null 2>&1
	check "the schema refuses a test case without a name" test $? != 0
else
	skip "JUnit schema checks: xmllint is not installed (tests/deps.sh installs libxml2-utils)"
fi
if "$PY" -c 'import junitparser' 2>/dev/null; then
	py "junitparser reads the game day: one suite, a case per run" <<'EOF'
from junitparser import JUnitXml, Failure, Error
x = JUnitXml.fromfile('gameday.xml')
suites = list(x)
assert len(suites) == 1 and suites[0].name == 'game day weekly-web', [s.name for s in suites]
cases = list(suites[0])
assert len(cases) == 4, len(cases)
skips = [c for c in cases if any(r._tag == 'skipped' for r in c.result)]
assert len(skips) == 1 and skips[0].result[0].type == 'missed', skips
bad = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
assert len(bad) == 1 and 'marker survives' in bad[0].name, [c.name for c in bad]
assert 'steady state after' in bad[0].result[0].message, bad[0].result[0].message
assert suites[0].failures == 1 and suites[0].errors == 0 and suites[0].tests == 4
EOF
	py "havoc run --junit: the deviated run is a failure with its reason" <<'EOF'
from junitparser import JUnitXml, Failure
cases = [c for s in JUnitXml.fromfile('deviated.xml') for c in s]
assert len(cases) == 1 and isinstance(cases[0].result[0], Failure)
assert cases[0].result[0].type == 'deviated'
EOF
else
	skip "JUnit consumer: python3-junitparser is not installed (tests/deps.sh installs it)"
fi

# --- HTML in a real browser ------------------------------------------------

"$HAVOC" report --gameday weekly-web -o gameday.html
check "report --gameday NAME -o FILE.html" test $? = 0
"$HAVOC" report --run "$hostile" -o hostile.html
check "report of the hostile run" test $? = 0
"$HAVOC" report --since 1d --format html >period.html
check "report to stdout with --format html" test -s period.html
for f in gameday.html hostile.html period.html; do
	# Markup only (escaped text has no '<'): no loading element, no src,
	# no link out of the page, no CSS url().
	grep -Eiq '<(script|link|img|iframe|object|embed)[ >]|<[^>]*[[:space:]](src|href)="?(https?:|//|file:|data:)|<[^>]*[[:space:]]src=|url\(' "$f"
	check "$f is self-contained (no script, no link, no load)" test $? = 1
done

# Elements and attributes the report itself writes; anything else in the
# DOM came from the data.
cat >domcheck.py <<'EOF'
import sys
from html.parser import HTMLParser
ALLOWED = set('''html head meta title style body header p h1 h2 h3 h4 section
span div small ol ul li a table thead tbody tr th td dl dt dd code article
svg path rect line text g circle i footer'''.split())
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.bad = []; self.title = None; self.t = False
    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED: self.bad.append('element <%s>' % tag)
        for k, v in attrs:
            if k.startswith('on') or k in ('src', 'srcdoc') or k.startswith('data-'):
                self.bad.append('attribute %s on <%s>' % (k, tag))
        self.t = tag == 'title' and self.title is None
    def handle_data(self, d):
        if self.t: self.title = (self.title or '') + d
    def handle_endtag(self, tag): self.t = False
p = P(); p.feed(open(sys.argv[1]).read())
if p.title is not None and 'pwned' == p.title.strip(): p.bad.append('the title was changed')
if p.bad: print('\n'.join(sorted(set(p.bad)))); sys.exit(1)
EOF
if [ -n "$CHROMIUM" ]; then
	chrome --dump-dom "file://$T/hostile.html" >dom.html
	check "chromium renders the hostile report" test -s dom.html
	"$PY" domcheck.py dom.html >domcheck.txt
	check "no hostile markup became an element or ran (DOM after scripts)" test $? = 0 || cat domcheck.txt
	chrome --dump-dom "file://$T/gameday.html" >gdom.html
	"$PY" domcheck.py gdom.html >gdomcheck.txt
	check "the game day's page has only the report's own elements" test $? = 0 || cat gdomcheck.txt
	grep -q 'the daemon was down &lt;b&gt;at the time&lt;/b&gt;' gdom.html
	check "  and the skip's detail as text" test $? = 0
	grep -q "&lt;script&gt;document.title='pwned'&lt;/script&gt;" dom.html
	check "the hostile title is shown as text" test $? = 0
	grep -q '&lt;img src=x onerror=alert(2)&gt;web-1' dom.html
	check "the hostile host name is shown as text" test $? = 0
	grep -q '&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;' dom.html
	check "the hostile error is shown as text" test $? = 0
	grep -q '&lt;script&gt;document.title=1&lt;/script&gt;' dom.html
	check "the hostile probe output is shown as text" test $? = 0
	# The check can fail: the same payload unescaped runs in Chromium and
	# is caught.
	printf '<html><head><title>x</title></head><body><p>%s</p></body></html>\n' \
	    "$(sql "select experiment from runs where id = $hostile")" >unsafe.html
	chrome --dump-dom "file://$T/unsafe.html" >unsafe-dom.html
	"$PY" domcheck.py unsafe-dom.html >unsafe.txt
	check "the DOM check catches an unescaped page" test $? = 1
	check "  (the script ran there: the title was changed)" grep -q 'title was changed' unsafe.txt

	# For a person to look at: the first screen, a phone, and a PDF.
	chrome --hide-scrollbars --window-size=1280,900 \
	    --screenshot="$OUT/first-screen.png" "file://$T/gameday.html" >/dev/null
	check "first screen: $OUT/first-screen.png" test -s "$OUT/first-screen.png"
	chrome --hide-scrollbars --window-size=390,844 \
	    --screenshot="$OUT/phone.png" "file://$T/gameday.html" >/dev/null
	check "phone screen: $OUT/phone.png" test -s "$OUT/phone.png"
	chrome --no-pdf-header-footer --print-to-pdf="$OUT/report.pdf" \
	    "file://$T/gameday.html" >/dev/null
	check "PDF printed by Chromium: $OUT/report.pdf" test -s "$OUT/report.pdf"
	if command -v pdfinfo >/dev/null; then
		pages=$(pdfinfo "$OUT/report.pdf" | awk '/^Pages:/ { print $2 }')
		# The first page, then a page per run of the game day (3).
		check "the PDF breaks a page before each run ($pages pages)" test "${pages:-0}" -ge 4
	fi
	cp gameday.html "$OUT/gameday.html"
	cp hostile.html "$OUT/hostile.html"
else
	skip "Chromium checks: chromium is not installed (tests/deps.sh installs it as root)"
fi

echo
echo "report: $passed passed, $failures failed, $skipped skipped"
[ "$failures" = 0 ]
