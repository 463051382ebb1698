"""`make test-browser`: open the morning report's HTML in Debian's headless chromium from phone to desktop widths,
check that it renders every section, that nothing overflows horizontally, that no word is broken mid-word and no
table has an empty column, and keep the pages and screenshots (375 and 1280 px) under artefacts/.

Two reports are checked: the sample (every section, long and hostile values) and the one `make demo` produces
(run here in a temporary directory against the Xero sandbox). Outside `make test` (it needs chromium). A probe
script is added to a copy of the page only; the report itself never carries scripts.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.browser.sample import sample_report
from worker.report.gather import SECTIONS
from worker.report.html import render_html

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (500, 800, 1280)  # window widths measured directly
NARROW = (320, 360, 375)  # below Chromium's smallest window: measured in an iframe of that width
SCREENSHOTS = (375, 1280)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Measures a document after layout and writes the result into the DOM, where --dump-dom shows it.
MEASURE = r"""
function scrolls(el, win) {
  for (var a = el.parentElement; a; a = a.parentElement) {
    var o = win.getComputedStyle(a).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
  }
  return false;
}
function measure(doc, win) {
  var width = win.innerWidth, wide = [], broken = [], empty = [];
  doc.querySelectorAll('body *').forEach(function (el) {
    if (scrolls(el, win)) return;  // inside a box that scrolls on its own (a command, an id)
    var r = el.getBoundingClientRect();
    var spills = el.scrollWidth > el.clientWidth + 1 && win.getComputedStyle(el).overflowX === 'visible';
    if ((r.right > width + 1 || spills) && wide.length < 5) {
      wide.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40));
    }
  });
  // A word (a run of letters, as a reader sees it) must never be split across two lines.
  var walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    var node = walker.currentNode;
    if (!node.parentElement || node.parentElement.closest('code,pre,script,style,title,summary')) continue;
    var re = /[A-Za-z]+/g, m;
    while ((m = re.exec(node.data)) !== null && broken.length < 5) {
      if (m[0].length < 2 || m[0].length > 40) continue;  // longer than any word: a token (a hostile subject)
      var range = doc.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      var tops = {};
      Array.prototype.forEach.call(range.getClientRects(), function (rect) {
        if (rect.width > 0) tops[Math.round(rect.top)] = true;
      });
      if (Object.keys(tops).length > 1) broken.push(m[0]);
    }
  }
  doc.querySelectorAll('table').forEach(function (t) {
    var heads = t.querySelectorAll('thead th');
    var rows = Array.prototype.slice.call(t.querySelectorAll('tbody tr:not(.cmd)'));
    for (var i = 0; i < heads.length; i++) {
      var filled = rows.some(function (r) { return r.children[i] && r.children[i].textContent.trim() !== ''; });
      if (!filled) empty.push(heads[i].textContent);
    }
  });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    innerWidth: width,
    scrollWidth: doc.documentElement.scrollWidth,
    height: doc.documentElement.scrollHeight,
    sections: doc.querySelectorAll('section.report-section').length,
    summary: doc.querySelectorAll('.summary li').length,
    alerts: doc.querySelectorAll('.alert').length,
    scripts: doc.querySelectorAll('script').length,
    xeroLinks: doc.querySelectorAll('a[href^="https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID="]').length,
    wide: wide,
    broken: broken,
    emptyColumns: empty
  });
  document.body.appendChild(out);
}
"""
PROBE = "<script>" + MEASURE + "window.addEventListener('load', function () { measure(document, window); });</script>"
# Chromium will not make a window narrower than 500 px, so phone widths are checked in an iframe of that width
# (srcdoc keeps it same-origin, so the probe can read its layout).
FRAMED = (
    "<!DOCTYPE html><html><body style='margin:0'>"
    "<iframe id=f style='width:{width}px;height:2400px;border:0' srcdoc=\"{page}\"></iframe>"
    "<script>" + MEASURE + "document.getElementById('f').addEventListener('load', function () "
    "{{ measure(this.contentDocument, this.contentWindow); }});</script></body></html>"
)


def _chromium(args: list[str], profile: Path, width: int, height: int) -> subprocess.CompletedProcess[str]:
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def measure(page: Path, width: int, profile: Path) -> dict[str, Any]:
    """Load the page with the probe at `width` and return what the probe saw."""
    result = _chromium(["--dump-dom", page.as_uri()], profile, width, 900)
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    if found is None:
        raise RuntimeError(f"chromium did not render the page (exit {result.returncode}): {result.stderr[-800:]}")
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


def screenshot(page: Path, width: int, height: int, out: Path, profile: Path) -> Path:
    result = _chromium([f"--screenshot={out}", page.as_uri()], profile, width, min(max(height, 800), 16000))
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"no screenshot written (exit {result.returncode}): {result.stderr[-800:]}")
    return out


def demo_html(work: Path) -> str:
    """The report `make demo` produces, made again in `work`."""
    from worker.demo.run import run_demo

    if run_demo(io.StringIO(), work) != 0:
        raise RuntimeError("the demo did not run cleanly")
    [page] = sorted((work / "reports").glob("report-*.html"))
    return page.read_text(encoding="utf-8")


def check(name: str, report_html: str, artefacts: Path, tmp: Path, *, sections: int, alerts: int) -> list[str]:
    """Problems found in one page (empty when all is well); keeps the page and its screenshots."""
    page = artefacts / f"report-{name}.html"
    page.write_text(report_html, encoding="utf-8")
    problems: list[str] = []
    probed = tmp / f"{name}-probed.html"
    probed.write_text(report_html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    pages = [(width, probed, width) for width in WIDTHS]
    for width in NARROW:
        framed = tmp / f"{name}-framed-{width}.html"
        framed.write_text(
            FRAMED.replace("{width}", str(width))
            .replace("{{", "{")
            .replace("}}", "}")
            .replace("{page}", html.escape(report_html, quote=True)),
            encoding="utf-8",
        )
        pages.append((width, framed, 800))
    heights: dict[int, int] = {}
    for width, target, window in pages:
        seen = measure(target, window, tmp / f"profile-{name}-{width}")
        heights[width] = int(seen["height"])
        print(f"{name} at {width} px: {json.dumps(seen)}")
        if seen["sections"] != sections:
            problems.append(f"{name} {width}: {seen['sections']} sections rendered, expected {sections}")
        if seen["summary"] < 7:
            problems.append(f"{name} {width}: the ten-second summary has {seen['summary']} lines, expected 7 or more")
        if seen["alerts"] != alerts:
            problems.append(f"{name} {width}: {seen['alerts']} alert boxes, expected {alerts}")
        if seen["scripts"] != (1 if target is probed else 0):  # only the probe
            problems.append(f"{name} {width}: the report carries a script of its own")
        if seen["xeroLinks"] == 0:
            problems.append(f"{name} {width}: no invoice is linked to Xero")
        if seen["scrollWidth"] > seen["innerWidth"] or seen["wide"]:
            problems.append(
                f"{name} {width}: overflows horizontally (scrollWidth {seen['scrollWidth']} > "
                f"{seen['innerWidth']}): {seen['wide']}"
            )
        if seen["broken"]:
            problems.append(f"{name} {width}: words broken mid-word: {seen['broken']}")
        if seen["emptyColumns"]:
            problems.append(f"{name} {width}: empty table columns: {seen['emptyColumns']}")
    for width in SCREENSHOTS:
        out = artefacts / f"report-{name}-{width}.png"
        shot = screenshot(page, width, heights.get(width, 2600), out, tmp / f"shot-{name}-{width}")
        print(f"screenshot: {shot} ({heights.get(width)} px tall)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artefacts", type=Path, default=Path("artefacts"), help="where to keep pages and screenshots")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    artefacts = args.artefacts.resolve()
    artefacts.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rw-chromium-") as tmp_name:
        tmp = Path(tmp_name)
        problems = check("sample", render_html(sample_report()), artefacts, tmp, sections=9, alerts=1)
        # Left out of the demo's report, having nothing to say: the registrar's funds and first payments (not set up
        # in the demo) and "Decided by people" (nobody has decided anything yet).
        shown = len(SECTIONS) - 3
        problems += check("demo", demo_html(tmp / "demo"), artefacts, tmp, sections=shown, alerts=0)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(
        "PASS the reports render, nothing overflows, no word is broken"
        if not problems
        else f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
