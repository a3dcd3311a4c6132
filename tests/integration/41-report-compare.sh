#!/usr/bin/env bash
# iolab compare, the nightly gate, through the real binary: exit 0 for an
# improvement or noise, 1 for a regression (named), 2 for bad input, and a
# JUnit file python's xml.etree reads.  Fixture runs: tests/unit/report_fixture.h.
. "$IOLAB_HOME/tests/integration/lib.sh"

fixtures="$(dirname "$IOLAB")/tests/test_report_table"
[ -x "$fixtures" ] || fail "$fixtures is not built: make $(dirname "$IOLAB")/tests/test_report_table"
"$fixtures" --write-fixtures db/iolab.db
db=db/iolab.db
regressed=default/virtio-blk/4k/write_cache/64k/iomap

# expect CODE ARGS...: runs iolab compare, output in out.txt and err.txt.
expect() {
  local want=$1 rc=0; shift
  "$IOLAB" compare "$@" > out.txt 2> err.txt || rc=$?
  if [ "$rc" -ne "$want" ]; then
    cat out.txt err.txt | tail -n 15
    fail "iolab compare $* exited $rc, not $want"
  fi
}

note "improvement, noise, the same run: exit 0"
expect 0 --db "$db" fx-base fx-faster
grep -q "faster: +20.0%" out.txt || fail "the faster cell is not reported"
expect 0 --db "$db" fx-base fx-noise
grep -q "$regressed .* noise: " out.txt || fail "the noisy cell is not called noise"
expect 0 --db "$db" fx-base fx-base
expect 0 --db "$db" fx-no-iomap fx-no-iomap-2
grep -q "skipped 20" out.txt || fail "cells not measured on both sides are not skipped"

note "regression: exit 1, the cell named"
expect 1 --db "$db" fx-base fx-slower
grep -q "^  $regressed: -20.0%, significant" err.txt || fail "the regressed cell is not named"
expect 1 --db "$db" fx-base fx-failed
grep -q "read_ondisk/1M/iomap: failed in B" err.txt || fail "a cell failed in B is not a regression"
# Options and runs in any order; a wider threshold lets the 20 % through.
expect 0 fx-base --threshold 25% fx-slower --db "$db"
expect 1 --threshold=2 --db "$db" fx-base fx-slightly-slower

note "bad input: exit 2"
expect 2 --db "$db" fx-base fx-nvme
grep -q "do not share their cells" err.txt || fail "no reason given for refusing"
grep -q "only in fx-base (40):" err.txt || fail "cells only in A are not listed"
grep -q "only in fx-nvme (40):" err.txt || fail "cells only in B are not listed"
grep -q "    default/nvme/4k/write_cache/1k/bh" err.txt || fail "the cells are not named"
expect 2 --db "$db" fx-base fx-two-bs
grep -q "only in fx-base (20):" err.txt || fail "missing block sizes are not listed"
expect 2 --db "$db" fx-base no-such-run
grep -q "no run 'no-such-run'" err.txt || fail "an unknown run is not named"
expect 2 --db "$db" fx-base
expect 2 --db "$db" --threshold lots fx-base fx-faster
expect 2 --db missing.db fx-base fx-faster
[ ! -e missing.db ] || fail "compare created a store it was only to read"

note "JUnit XML"
# A reason with markup and a control character must still give well-formed XML.
python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE cells SET reason = ? WHERE run_id = 'fx-failed' AND cell_id LIKE '%/read_ondisk/1M/iomap'",
           ("guest said <oops> & \"stop\" 'now'\x01",))
db.commit()
PY
expect 1 --db "$db" --junit junit/compare.xml fx-base fx-failed
python3 - junit/compare.xml <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suite = root.find("testsuite")
cases = suite.findall("testcase")
assert len(cases) == 40 and suite.get("tests") == "40", len(cases)
failed = [c for c in cases if c.find("failure") is not None]
assert suite.get("failures") == "1" and len(failed) == 1, suite.get("failures")
f = failed[0]
assert f.get("name").endswith("/read_ondisk/1M/iomap"), f.get("name")
msg = f.find("failure").get("message")
# The control character comes out as a space: XML 1.0 cannot carry it.
assert msg == "failed in B: guest said <oops> & \"stop\" 'now' ", repr(msg)
props = {p.get("name"): p.get("value") for p in suite.find("properties")}
assert props["run_a"] == "fx-base" and props["run_b"] == "fx-failed" and props["threshold"] == "5%", props
print("JUnit ok: %d testcases, failure on %s" % (len(cases), f.get("name")))
PY
expect 0 --db "$db" --junit junit/ok.xml fx-base fx-faster
python3 -c 'import sys, xml.etree.ElementTree as ET; s = ET.parse(sys.argv[1]).getroot().find("testsuite"); assert s.get("failures") == "0", s.get("failures")' junit/ok.xml
note "ok"
