"""`make test-browser`: open the sample report's HTML in Debian's headless chromium at a phone and a desktop width,
check it renders every section and nothing overflows horizontally, and keep the screenshots under artefacts/.

Outside `make test` (it needs chromium). A probe script is added to a copy of the page only; the report itself
never carries scripts.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from worker.report.html import render_html
from worker.report.sample import sample_report

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (500, 1280)  # window widths measured directly
SCREENSHOTS = (375, 1280)
SECTIONS = 6
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
MEASURE = """
function measure(doc, win) {
  var width = win.innerWidth, wide = [];
  doc.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    var spills = el.scrollWidth > el.clientWidth + 1 && win.getComputedStyle(el).overflowX === 'visible';
    if ((r.right > width + 1 || spills) && wide.length < 5) {
      wide.push(el.tagName + ' ' + (el.textContent || '').slice(0, 40));
    }
  });
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    innerWidth: width,
    scrollWidth: doc.documentElement.scrollWidth,
    sections: doc.querySelectorAll('section h2').length,
    alerts: doc.querySelectorAll('.alert').length,
    scripts: doc.querySelectorAll('script').length,
    wide: wide
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
NARROW = (320, 360)


def _chromium(args: list[str], profile: Path, width: int, height: int) -> subprocess.CompletedProcess[str]:
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def measure(page: Path, width: int, profile: Path) -> dict[str, Any]:
    """Load the page with the probe at `width` and return what the probe saw."""
    result = _chromium(["--dump-dom", page.as_uri()], profile, width, 900)
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    if found is None:
        raise RuntimeError(f"chromium did not render the page (exit {result.returncode}): {result.stderr[-800:]}")
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


def screenshot(page: Path, width: int, out: Path, profile: Path) -> Path:
    result = _chromium([f"--screenshot={out}", page.as_uri()], profile, width, 2600)
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"no screenshot written (exit {result.returncode}): {result.stderr[-800:]}")
    return out


def check(artefacts: Path) -> list[str]:
    """Returns the problems found (empty when all is well); writes the page and screenshots to `artefacts`."""
    artefacts.mkdir(parents=True, exist_ok=True)
    report_html = render_html(sample_report())
    page = artefacts / "report-sample.html"
    page.write_text(report_html, encoding="utf-8")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rw-chromium-") as tmp:
        probed = Path(tmp) / "probed.html"
        probed.write_text(report_html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        pages = [(width, probed, width) for width in WIDTHS]
        for width in NARROW:
            framed = Path(tmp) / f"framed-{width}.html"
            framed.write_text(
                FRAMED.replace("{width}", str(width))
                .replace("{{", "{")
                .replace("}}", "}")
                .replace("{page}", html.escape(report_html, quote=True)),
                encoding="utf-8",
            )
            pages.append((width, framed, 800))
        for width, target, window in pages:
            seen = measure(target, window, Path(tmp) / f"profile-{width}")
            print(f"width {width}: {json.dumps(seen)}")
            if seen["sections"] != SECTIONS:
                problems.append(f"width {width}: {seen['sections']} sections rendered, expected {SECTIONS}")
            if seen["alerts"] != 1:
                problems.append(f"width {width}: the health alert is not shown")
            if seen["scripts"] != (1 if target is probed else 0):  # only the probe
                problems.append(f"width {width}: the report carries a script of its own")
            if seen["scrollWidth"] > seen["innerWidth"] or seen["wide"]:
                problems.append(
                    f"width {width}: overflows horizontally (scrollWidth {seen['scrollWidth']} > "
                    f"{seen['innerWidth']}): {seen['wide']}"
                )
        for width in SCREENSHOTS:
            shot = screenshot(page, width, artefacts / f"report-{width}.png", Path(tmp) / f"shot-{width}")
            print(f"screenshot: {shot}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artefacts", type=Path, default=Path("artefacts"), help="where to keep page and screenshots")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    problems = check(args.artefacts.resolve())
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print("PASS the report renders and nothing overflows" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
