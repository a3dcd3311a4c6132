#!/usr/bin/env bash
# iolab report --html on a fixture run: one self-contained page that
# headless Chromium loads from disk and shows with its tables, plots,
# provenance and evidence.  The fixture runs are written through the real
# results store by test_report_table (tests/unit/report_fixture.h).
. "$IOLAB_HOME/tests/integration/lib.sh"

fixtures="$(dirname "$IOLAB")/tests/test_report_table"
[ -x "$fixtures" ] || fail "$fixtures is not built: make $(dirname "$IOLAB")/tests/test_report_table"
browser=$(command -v chromium || true)
[ -n "$browser" ] || skip "skipped: chromium is not installed (IOLAB_WITH_BROWSER=1 scripts/install-deps)"

note "fixture runs"
"$fixtures" --write-fixtures db/iolab.db
run=20261121-203015-cover-letter

note "iolab report $run --html (with --plots and the published reference)"
"$IOLAB" report "$run" --db db/iolab.db --format text --reference cover-letter-v3 \
  --plots plots --html out/report.html > report.txt
[ -s out/report.html ] || fail "no out/report.html"
grep -q '^Buffered write (MiB/s)$' report.txt || fail "the text tables are missing"
ls plots/*.svg > /dev/null || fail "no SVG plots in plots/"
# Self-contained: nothing fetched, nothing run.
if grep -Eq '<script|<link |src="(https?:)?//|<\?xml' out/report.html; then
  fail "the page loads or runs something, or carries an XML prolog inline"
fi

note "the page without --plots (drawn in a scratch directory), and for a run without iomap"
"$IOLAB" report 20261122 --db db/iolab.db --html out/no-iomap.html > /dev/null
[ -s out/no-iomap.html ] || fail "no out/no-iomap.html"

chrome() {
  local profile; profile=$(mktemp -d)
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" "$@" 2> chromium.log
  local rc=$?
  rm -rf "$profile"
  return $rc
}

note "headless Chromium: --dump-dom"
chrome --dump-dom "file://$PWD/out/report.html" > dom.html || { tail chromium.log; fail "chromium --dump-dom failed"; }
chrome --dump-dom "file://$PWD/out/no-iomap.html" > dom-no-iomap.html || fail "chromium --dump-dom failed"

python3 - dom.html dom-no-iomap.html <<'PY'
import sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.tags, self.skip = [], {}, 0
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ("style", "title"):
            self.skip += 1
    def handle_endtag(self, tag):
        if tag in ("style", "title"):
            self.skip -= 1
    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)

def load(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    return " ".join(" ".join(p.text).split()), p.tags

text, tags = load(sys.argv[1])
want = ["iolab report: run 20261121-203015-cover-letter", "Buffered write (MiB/s)",
        "Buffered read (MiB/s)", "write cache", "uncached write", "read hole", "read pre-cache",
        "read ondisk data", "Provenance", "kernel config", "patch series", "accelerator",
        "fio-3.39", "Evidence per cell", "iomap_events", "page_cache_kb", "published", "agrees",
        "run 20261121-203015-cover-letter | kernel 7.3.0-iomap-v3 | kvm | fio-3.39"]
missing = [w for w in want if w not in text]
if missing:
    sys.exit("page text lacks: %s" % missing)
# 5 workloads' bars and the ratio plot, each an inline SVG in a figure.
if tags.get("figure", 0) != 6 or tags.get("svg", 0) != 6:
    sys.exit("expected 6 figures with inline SVG, the DOM has %d figures and %d svg"
             % (tags.get("figure", 0), tags.get("svg", 0)))
if tags.get("table", 0) < 2:
    sys.exit("the tables are missing from the DOM")

text, tags = load(sys.argv[2])
for w in ["not measured", "failed", "kernel has no buffered_iomap",
          "no iomap buffered-I/O tracepoint fired"]:
    if w not in text:
        sys.exit("the no-iomap page lacks %r" % w)
print("DOM ok")
PY

note "headless Chromium: --screenshot"
chrome --window-size=1300,2200 --screenshot="$PWD/report.png" "file://$PWD/out/report.html" \
  > /dev/null || fail "chromium --screenshot failed"
python3 - report.png <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("report.png is not a PNG")
w, h = struct.unpack(">II", data[16:24])
if (w, h) != (1300, 2200) or len(data) < 50000:
    sys.exit("report.png is %dx%d, %d bytes: a blank page?" % (w, h, len(data)))
print("screenshot %dx%d, %d bytes" % (w, h, len(data)))
PY
[ -n "${IOLAB_TEST_KEEP:-}" ] && note "kept: $PWD/report.png $PWD/out/report.html"
note "ok"
