#!/usr/bin/env python3
"""A second opinion on `havoc gameday --next`: an oracle written apart
from schedule.c, on Python's zoneinfo (the same system zoneinfo, read by
other code) and brute force: every local day, every cron time, each wall
time turned into the instants that show it (fold 0 and 1, kept only when
they round-trip), a skipped one into the first instant past it. Random
schedules in zones with DST, half-hour and 45-minute offsets and
midnight transitions, from times near their 2026 clock changes.

Usage: schedule-oracle.py HAVOC SEED COUNT (run in an empty folder).
Exits 1 on any difference.
"""
import random, subprocess, sys, datetime as D
from zoneinfo import ZoneInfo
UTC = D.timezone.utc
H = sys.argv[1]
MN = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
DN = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
def field(s, lo, hi, names=None):
    out = set()
    for item in s.split(','):
        step = 1
        if '/' in item: item, st = item.split('/'); step = int(st)
        if item == '*': a, b = lo, (6 if hi == 7 else hi)
        else:
            def val(x):
                return names[x.lower()] if names and x.lower() in names else int(x)
            if '-' in item:
                x, y = item.split('-'); a, b = val(x), val(y)
                if hi == 7 and b == 0 and a > 0: b = 7
            else: a = b = val(item)
        for i in range(a, b + 1, step): out.add(0 if (hi == 7 and i == 7) else i)
    return out
def slots(cron, tzname, frm, n):
    z = ZoneInfo(tzname)
    f = cron.split()
    mins, hrs = field(f[0], 0, 59), field(f[1], 0, 23)
    doms, mons, dows = field(f[2], 1, 31), field(f[3], 1, 12, MN), field(f[4], 0, 7, DN)
    domstar, dowstar = f[2].startswith('*'), f[4].startswith('*')
    wild = '*' in f[0] or '*' in f[1]
    start = D.datetime.fromtimestamp(frm, z).date() - D.timedelta(days=2)
    res = set()
    def wall(t): 
        x = D.datetime.fromtimestamp(t, z); return (x.year, x.month, x.day, x.hour, x.minute, x.second)
    for k in range(0, 800):
        day = start + D.timedelta(days=k)
        if day.month not in mons: continue
        dm, dw = day.day in doms, (day.isoweekday() % 7) in dows
        if not ((dm and dw) if (domstar or dowstar) else (dm or dw)): continue
        for h in sorted(hrs):
            for m in sorted(mins):
                w = (day.year, day.month, day.day, h, m, 0)
                inst = set()
                for fold in (0, 1):
                    t = int(D.datetime(day.year, day.month, day.day, h, m, fold=fold, tzinfo=z).timestamp())
                    if wall(t) == w: inst.add(t)
                if wild: res |= inst
                elif inst: res.add(min(inst))
                else:
                    naive = int(D.datetime(day.year, day.month, day.day, h, m, tzinfo=UTC).timestamp())
                    t = naive - 16 * 3600
                    while wall(t) < w: t += 60
                    # first instant whose wall is past w: refine to the second
                    t2 = t - 60
                    while wall(t2) < w: t2 += 1
                    res.add(t2)
        if len([x for x in res if x > frm]) >= n + 5: break
    return sorted(x for x in res if x > frm)[:n]
def fmt(t, tzname):
    x = D.datetime.fromtimestamp(t, ZoneInfo(tzname))
    return x.isoformat()
zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "America/Santiago", "America/Havana", "Asia/Tehran", "Europe/London", "Pacific/Chatham"]
mf = ["*", "*/15", "0", "30", "0,30", "15-45/10", "59"]
hf = ["*", "0", "1", "2", "3", "23", "0-3", "*/6", "2,3", "1-5/2"]
df = ["*", "*", "1", "*/10", "15", "29", "31", "25-31"]
mof = ["*", "*", "3", "10,11", "*/2", "MAR-APR", "OCT"]
wf = ["*", "*", "0", "MON-FRI", "6,7", "SUN", "SAT-SUN"]
random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
bad = 0
for it in range(int(sys.argv[3]) if len(sys.argv) > 3 else 200):
    tz = random.choice(zones)
    cron = " ".join([random.choice(mf), random.choice(hf), random.choice(df), random.choice(mof), random.choice(wf)])
    # a from time near a transition of the zone in 2026
    z = ZoneInfo(tz); trans = []
    t = int(D.datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    prev = D.datetime.fromtimestamp(t, z).utcoffset()
    while t < int(D.datetime(2027, 1, 1, tzinfo=UTC).timestamp()):
        t += 3600; o = D.datetime.fromtimestamp(t, z).utcoffset()
        if o != prev: trans.append(t); prev = o
    base = random.choice(trans) if trans else int(D.datetime(2026, 6, 1, tzinfo=UTC).timestamp())
    frm = base + random.randint(-3 * 86400, 86400)
    want = [fmt(x, tz) for x in slots(cron, tz, frm, 8)]
    open("g.yaml", "w").write('gameday: g\nschedule: "%s"\ntimezone: %s\n' % (cron, tz))
    p = subprocess.run([H, "gameday", "g.yaml", "--next", "8", "--from", "@%d" % frm], capture_output=True, text=True)
    got = p.stdout.split()
    k = min(len(got), len(want))
    if got[:k] != want[:k] or (len(got) < 8 and len(want) >= 8) or k == 0:
        bad += 1
        print("MISMATCH", cron, tz, frm, "\n got ", got, "\n want", want, p.stderr)
print("oracle: %d schedules, %d differences" % (int(sys.argv[3]), bad))
sys.exit(1 if bad else 0)
