#!/usr/bin/env bash
# iolab report's four formats through the real binary, checked with
# python's own csv and json readers, and its refusals.
. "$IOLAB_HOME/tests/integration/lib.sh"

fixtures="$(dirname "$IOLAB")/tests/test_report_table"
[ -x "$fixtures" ] || fail "$fixtures is not built: make $(dirname "$IOLAB")/tests/test_report_table"
"$fixtures" --write-fixtures db/iolab.db
db=db/iolab.db
run=20261121-203015-cover-letter

note "text: the stored layout"
"$IOLAB" report --db "$db" --format text "$run" > report.txt
diff -u "$FIX/report/cover-letter.txt" report.txt || fail "iolab report differs from the stored layout"

note "auto: Markdown when not on a terminal"
"$IOLAB" report --db "$db" "$run" > auto.md
diff -u "$FIX/report/cover-letter.md" auto.md || fail "the default off a terminal is not the Markdown layout"

note "csv and json"
"$IOLAB" report --db "$db" --format csv --reference cover-letter-v3 "$run" > report.csv
"$IOLAB" report --db "$db" --format json --reference cover-letter-v3 "$run" > report.json
"$IOLAB" report --db "$db" --format json 20261122 > no-iomap.json
python3 - report.csv report.json no-iomap.json <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 40, len(rows)
r = [x for x in rows if x["workload"] == "write_cache" and x["bs"] == "64k" and x["path"] == "iomap"][0]
assert r["status"] == "ok" and float(r["median_mib_s"]) > 6000 and r["verdict"] == "significant", r
assert r["agrees"] == "yes" and abs(float(r["published_ratio"]) - 6488 / 4321) < 0.001, r
assert r["accelerator"] == "kvm (QEMU 9.2.0)" and r["fio"] == "fio-3.39", r
j = json.load(open(sys.argv[2]))
t = j["groups"][0]["tables"]
assert [x["title"] for x in t] == ["Buffered write", "Buffered read"], t
assert [c["title"] for c in t[1]["columns"]] == ["read hole", "read pre-cache", "read ondisk data"]
j = json.load(open(sys.argv[3]))
for table in j["groups"][0]["tables"]:
    for row in table["rows"]:
        for e in row["entries"]:
            io = e["paths"]["iomap"]
            assert io["status"] == "not-measured" and "median" not in io, io
            assert io["reason"] == "kernel has no buffered_iomap", io
print("csv and json ok")
PY

note "refusals: exit 2, one line"
rc=0; "$IOLAB" report --db "$db" no-such-run 2> err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "no run 'no-such-run'" err.txt || fail "unknown run: exit $rc, $(cat err.txt)"
rc=0; "$IOLAB" report --db "$db" 2> err.txt || rc=$?
[ "$rc" -eq 2 ] || fail "no run given: exit $rc"
rc=0; "$IOLAB" report --db nowhere.db latest 2> err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "no results store at nowhere.db" err.txt || fail "missing store: exit $rc"
[ ! -e nowhere.db ] || fail "report created a store it was only to read"
rc=0; "$IOLAB" report --db "$db" --format xml latest 2> err.txt || rc=$?
[ "$rc" -eq 2 ] || fail "--format xml: exit $rc"
rc=0; "$IOLAB" report --db "$db" --reference no-such-paper latest > /dev/null 2> err.txt || rc=$?
[ "$rc" -eq 2 ] || fail "unknown reference: exit $rc"
"$IOLAB" report --db "$db" --list | grep -q "^$run " || fail "--list does not show $run"
note "ok"
