"""`make test-browser`: the review page in Debian's chromium, driven by Selenium through chromium-driver, against the
real server (waitress) over a real database. A reseller signs in by keyboard, approves one item, ignores another,
records a registrar to-do as done and sees the outbox rows, and rejects a third with the keyboard alone; every page
fits 320, 375, 768 and 1280 px without sideways scrolling, with no word or reference (ORD-1042, 2026-11-20) broken
across two lines; screenshots at 375 and 1280 px are kept under artefacts/review-page/.

Outside `make test` (marker `browser`): it needs chromium and chromium-driver, which `make test-browser` installs.
"""

from __future__ import annotations

import base64
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.web.conftest import NOW, add_user, url_of, web_settings
from tests.web.test_actions import receipt_item, registrar_to_do
from worker.store.database import make_engine, upgrade
from worker.store.outbox_tables import registrar_actions
from worker.store.tables import outbox, review_items
from worker.web.serving import start_in_background

pytestmark = pytest.mark.browser

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts" / "review-page"
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
    "--window-size=1280,900",
)
NAME, PASSWORD = "aroha", "kia ora koutou 2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    tmp = tmp_path_factory.mktemp("site")
    engine = make_engine(f"sqlite:///{tmp / 'worker.db'}")
    upgrade(engine)
    settings = web_settings(tmp, url_of(engine), port=_free_port())
    receipt_item(engine, settings)
    registrar_to_do(engine, settings)
    with engine.begin() as conn:  # a second money item, to ignore
        from tests.report.seed import add_receipt, add_review

        add_receipt(conn, "r-2", amount="500.00", payer_name="J SMITH SAVINGS")
        add_review(conn, "unmatched", "r-2", "no invoice, customer or amount matches")
        add_receipt(conn, "r-3", amount="9.99", payer_name="WIN A PRIZE LTD")  # to reject by keyboard alone
        add_review(conn, "unmatched", "r-3", "no invoice, customer or amount matches")
    from worker.bills import import_statement

    statement = Path(__file__).resolve().parents[2] / "config" / "example-statement.csv"
    import_statement(engine, statement, currency="NZD", now=NOW, month=None)
    add_user(settings, NAME, PASSWORD)
    # The page's clock runs on from the scenario's moment, as a real one does.
    started = datetime.now(UTC)
    stop = start_in_background(settings, engine, lambda: NOW + (datetime.now(UTC) - started))
    try:
        yield f"http://127.0.0.1:{settings.web.port}", engine
    finally:
        stop()
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.fail("chromium and chromium-driver are missing: run `make test-browser`, which installs them")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(5)  # a form posted and redirected may still be loading when the next element is looked up
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    yield driver
    driver.quit()


def _width(driver: Any, width: int) -> None:
    # Chromium will not make a window narrower than 500 px; emulating the viewport is how phones are tested.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )


# What a reader must never see split across two lines: a word (a run of letters), or a reference (a hyphenated token
# holding a digit or a dot, as worker.web.typesetting keeps whole: ORD-1042, 2026-11-20, my-shop.co.nz, -NZ$8.50).
WHOLE = r"/[^\s]*-[^\s]*|[A-Za-z]{2,40}/g"
PROBE = (
    "var w = document.documentElement.clientWidth, wide = [], broken = [];"
    "document.querySelectorAll('body *').forEach(function (el) {"
    "  var r = el.getBoundingClientRect(); if (r.width && r.right > w + 1 && wide.length < 5)"
    "    wide.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 40)); });"
    "var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
    "while (walker.nextNode() && broken.length < 5) {"
    "  var node = walker.currentNode, re = " + WHOLE + ", m;"
    "  if (!node.parentElement || node.parentElement.closest('script,style,title,option,textarea')) continue;"
    "  while ((m = re.exec(node.data)) !== null) {"
    "    var t = m[0];"
    "    if (t.indexOf('-') >= 0 && (t.length > 28 || !/[0-9.]/.test(t))) continue;"
    "    var range = document.createRange(); range.setStart(node, m.index); range.setEnd(node, m.index + t.length);"
    "    var tops = {};"
    "    Array.prototype.forEach.call(range.getClientRects(), function (r) {"
    "      if (r.width > 0) tops[Math.round(r.top)] = 1; });"
    "    if (Object.keys(tops).length > 1) broken.push(t);"
    "  }"
    "}"
    "return {scroll: document.documentElement.scrollWidth, wide: wide, broken: broken};"
)


def _fits(driver: Any, width: int) -> None:
    """Nothing wider than the screen, and no word or reference broken across two lines."""
    found = driver.execute_script(PROBE)
    assert found["scroll"] <= width and not found["wide"] and not found["broken"], (driver.current_url, width, found)


def _shot(driver: Any, name: str) -> None:
    for width in (375, 1280):
        _width(driver, width)
        driver.refresh()
        height = driver.execute_script("return document.documentElement.scrollHeight")
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, 6000), "scale": 1}
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip})
        (ARTEFACTS / f"{name}-{width}.png").write_bytes(base64.b64decode(data["data"]))
    _width(driver, 1280)


def _item_id(engine: Engine, subject: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(review_items.c.id).where(review_items.c.subject == subject)).scalar_one())


def _follow(driver: Any, element: Any, key: str = "") -> None:
    """Click a link or a form's button (or press `key` on it) and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    if key:
        element.send_keys(key)
    else:
        element.click()

    def replaced(_: Any) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale, or (as chromium may say) no longer in the document
            return True
        return False

    WebDriverWait(driver, 10).until(replaced)


def _tab_to(driver: Any, label: str) -> Any:
    """Press Tab until the button or link named `label` has the focus, as a keyboard user would; it must show it."""
    from selenium.webdriver.common.keys import Keys

    for _ in range(80):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        focused = driver.switch_to.active_element
        if focused.text.strip() == label:
            ring = driver.execute_script(
                "var s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth];", focused
            )
            assert ring[0] != "none" and ring[1] != "0px", (label, ring)  # where the focus is can be seen
            return focused
    raise AssertionError(f"{label!r} cannot be reached with the Tab key on {driver.current_url}")


def _press(driver: Any, label: str) -> None:
    from selenium.webdriver.common.by import By

    _follow(driver, driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']"))


def test_a_morning_in_the_browser(site: tuple[str, Engine], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, engine = site
    driver = browser
    driver.get(base + "/decisions")
    assert "/signin" in driver.current_url
    _shot(driver, "signin")
    # Signed in with the keyboard alone: the name field has focus, Tab to the password, Enter to send.
    driver.switch_to.active_element.send_keys(NAME, Keys.TAB, PASSWORD, Keys.ENTER)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.current_url == base + "/decisions")
    _shot(driver, "decisions")

    # Approve item 1 for its first candidate: the plan names the payment and the registration; Confirm.
    _follow(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "#1 A. Smith paid"))
    _shot(driver, "item")
    _press(driver, "Approve…")
    plan = driver.find_element(By.CSS_SELECTOR, ".plan").text
    assert "Record a payment in Xero on INV-1 (Aroha Ltd): NZ$45.00 into account 090" in plan
    assert "register aroha.nz for 1 year at the registrar" in plan
    _shot(driver, "approve-plan")
    _press(driver, "Confirm: approve")
    assert "Done: #1 approved" in driver.find_element(By.CSS_SELECTOR, "main").text
    rows = driver.find_elements(By.CSS_SELECTOR, "table.outbox tbody tr")
    assert {r.find_element(By.CSS_SELECTOR, "code").text for r in rows} == {
        "payment:inv-ORD-1:r-1",
        "register:aroha.nz:ORD-1",
    }
    _shot(driver, "approved")

    # Ignore item 2, with a note.
    driver.get(base + "/decisions")
    _follow(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "J Smith Savings paid"))
    driver.find_element(By.ID, "ignore-note").send_keys("transfer from the owner's savings")
    _press(driver, "Ignore: not a customer payment…")
    _press(driver, "Confirm: ignore")
    ignored = _item_id(engine, "r-2")
    assert f"Done: #{ignored} ignored" in driver.find_element(By.CSS_SELECTOR, "main").text

    # Record the registrar to-do as done.
    _follow(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "Registrar to-dos"))
    _shot(driver, "todos")
    driver.find_element(By.ID, "ref-1").send_keys("RC-998877")
    driver.find_element(By.ID, "cost-1").send_keys("21.50")
    _press(driver, "Done…")
    assert (
        "aroha.nz recorded as done at the registrar (reference RC-998877"
        in driver.find_element(By.CSS_SELECTOR, ".plan").text
    )
    _press(driver, "Confirm: done at the registrar")
    assert "Done: ORD-1042: aroha.nz recorded" in driver.find_element(By.CSS_SELECTOR, "main").text

    # The outbox shows what was queued, and the history who did it.
    _follow(driver, driver.find_element(By.LINK_TEXT, "Outbox"))
    outbox_text = driver.find_element(By.CSS_SELECTOR, "main").text
    assert "register:aroha.nz:ORD-1" in outbox_text and "history note" in outbox_text
    _shot(driver, "outbox")
    _follow(driver, driver.find_element(By.LINK_TEXT, "History"))
    assert driver.find_element(By.CSS_SELECTOR, "main").text.count("aroha") >= 3
    _shot(driver, "history")
    for page in ("summary", "health", "failed", "month-end", "payouts"):
        driver.get(
            base + ("/" if page == "summary" else f"/{page}") + ("?month=2026-10" if page == "month-end" else "")
        )
        _shot(driver, page)

    with engine.connect() as conn:
        statuses = dict(conn.execute(select(review_items.c.id, review_items.c.status)).all())
        keys = {r.idempotency_key for r in conn.execute(select(outbox))}
        todo = conn.execute(select(registrar_actions.c.status, registrar_actions.c.reference)).one()
    assert statuses[1] == "approved" and statuses[ignored] == "ignored"
    assert {"payment:inv-ORD-1:r-1", "register:aroha.nz:ORD-1"} <= keys
    assert tuple(todo) == ("done", "RC-998877")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/decisions",
        "/decisions/1",
        "/decisions/1/approve",
        "/todos",
        "/failed",
        "/outbox",
        "/history",
        "/history/1",
        "/health",
        "/month-end",
        "/payouts",
    ],
)
@pytest.mark.parametrize("width", [320, 375, 768, 1280])
def test_every_page_fits_the_screen(site: tuple[str, Engine], browser: Any, path: str, width: int) -> None:
    base, _ = site
    browser.get(base + path)
    if "/signin" in browser.current_url:
        from selenium.webdriver.common.keys import Keys

        browser.switch_to.active_element.send_keys(NAME, Keys.TAB, PASSWORD, Keys.ENTER)
    _width(browser, width)
    browser.get(base + path)
    _fits(browser, width)
    _width(browser, 1280)


def test_an_item_is_decided_with_the_keyboard_alone(site: tuple[str, Engine], browser: Any) -> None:
    """From the list to the item, to its Reject button and to Confirm: Tab to each, Enter to press it."""
    from selenium.webdriver.common.keys import Keys

    base, engine = site
    browser.get(base + "/decisions")
    if "/signin" in browser.current_url:
        browser.switch_to.active_element.send_keys(NAME, Keys.TAB, PASSWORD, Keys.ENTER)
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(browser, 10).until(lambda d: d.current_url == base + "/decisions")
    item = _item_id(engine, "r-3")
    _follow(
        browser, _tab_to(browser, f"#{item} Win A Prize Ltd paid NZ$9.99 by bank transfer on 26 Nov 2026"), Keys.ENTER
    )
    _follow(browser, _tab_to(browser, "Reject: not genuine…"), Keys.ENTER)
    _follow(browser, _tab_to(browser, "Confirm: reject"), Keys.ENTER)
    from selenium.webdriver.common.by import By

    assert f"Done: #{item} rejected" in browser.find_element(By.CSS_SELECTOR, "main").text
    with engine.connect() as conn:
        status = conn.execute(select(review_items.c.status).where(review_items.c.id == item)).scalar_one()
    assert status == "rejected"


def test_a_link_from_elsewhere_opens_the_page_signed_in(site: tuple[str, Engine], browser: Any) -> None:
    """The e-mailed report's link, followed from another site: the Strict cookie is not sent on that first
    request, so the sign-in page reloads once from this site and the signed-in reseller goes straight on."""
    from selenium.webdriver.common.by import By

    base, _ = site
    browser.get(base + "/")  # signed in (by the tests above, or here)
    if "/signin" in browser.current_url:
        from selenium.webdriver.common.keys import Keys

        browser.switch_to.active_element.send_keys(NAME, Keys.TAB, PASSWORD, Keys.ENTER)
    item = _item_id(site[1], "r-2")
    browser.get(f"data:text/html,<a id=go href='{base}/decisions/{item}'>the item</a>")
    browser.find_element(By.ID, "go").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # The sign-in page's one reload from this site happens after the click returns: wait for where it leads.
    WebDriverWait(browser, 10).until(lambda d: d.current_url == f"{base}/decisions/{item}")
    assert f"#{item}" in browser.find_element(By.TAG_NAME, "h1").text
