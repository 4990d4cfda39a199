"""End to end in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

A reviewer signs in, opens the queue, claims an item with ``a``, sees its photos, clears it
with ``x`` then ``1``; then clears another straight from the queue page in two key presses.
Screenshots go to tests/console/artifacts/ (their paths are printed).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import free_port
from tests.console.conftest import PASSWORD, Env, seed_flagged

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        message = "playwright is not installed"
    else:
        if os.path.exists(CHROMIUM):
            return
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure)")
    pytest.skip(message)


@pytest.fixture
def served(env: Env) -> Iterator[str]:
    """The console app under uvicorn in a thread on a free port."""
    _need_chromium()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(env.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(served: str) -> Iterator[Any]:
    """A Chromium page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=served)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        browser.close()


def _shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_reviewer_claims_sees_photos_and_clears(env: Env, page: Any) -> None:
    item_id = seed_flagged(env, "BROWSER1")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/queue")
    page.wait_for_url(lambda url: "/login?next=" in url)
    page.fill('input[name="username"]', "ann")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url("**/queue")
    assert page.locator(f'tr[data-id="{item_id}"]').is_visible()
    assert page.locator("tr.sel").get_attribute("data-id") == str(item_id)

    page.keyboard.press("a")  # claim the selected item and open it
    page.wait_for_url(f"**/items/{item_id}")
    page.wait_for_load_state("networkidle")
    sizes = page.eval_on_selector_all(
        ".finding img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])"
    )
    assert len(sizes) == 5 and all(ok and w > 0 for ok, w in sizes), sizes
    assert page.locator("#state").inner_text() == "claimed"
    shot = _shot(page, "item_page.png")
    assert shot.stat().st_size > 10_000

    page.keyboard.press("x")
    assert page.locator("#picker").is_visible()
    page.keyboard.press("1")  # ocr_misread
    page.wait_for_url(lambda url: url.endswith("/queue?msg=queue+done"))
    item = env.services.database and _item(env, item_id)
    assert (item.state, item.decision, item.decided_by) == ("decided", "clear", "ann")
    assert item.decision_reason == "ocr_misread"
    assert not errors, errors


def test_clear_from_the_queue_in_two_key_presses(env: Env, page: Any) -> None:
    first = seed_flagged(env, "KEYS1")
    second = seed_flagged(env, "KEYS2")
    page.goto("/login")
    page.fill('input[name="username"]', "bob")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url("**/queue")
    page.keyboard.press("x")
    page.keyboard.press("2")  # photo_acceptable: claim + decide by the page's script
    page.wait_for_selector(f'tr[data-id="{first}"]', state="detached")
    assert page.locator("#status").inner_text().startswith("Item KEYS1 cleared")
    assert page.locator("tr.sel").get_attribute("data-id") == str(second)
    _shot(page, "queue_after_clear.png")
    item = _item(env, first)
    assert (item.state, item.decision, item.decision_reason) == (
        "decided",
        "clear",
        "photo_acceptable",
    )
    assert _item(env, second).state == "open"


def _item(env: Env, item_id: int) -> Any:
    from pipeline.review.service import ReviewDesk

    desk = ReviewDesk(db=env.db, clock=env.clock)
    return desk.item(item_id)
