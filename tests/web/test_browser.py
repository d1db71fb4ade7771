"""The dashboard in a real browser: Debian's Chromium driven by Playwright (headless)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright")
pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip
PAGES = {
    "home": "/",
    "overview": "/systems/fraud",
    "feature": "/systems/fraud/features/amount",
    "costs": "/systems/fraud/costs",
    "incidents": "/systems/fraud/incidents",
    "calendar": "/systems/fraud/calendar",
    "runs": "/systems/fraud/runs",
    "lineage": "/lineage",
}


@pytest.fixture(scope="module")
def server(store_path: Path) -> Iterator[str]:
    import uvicorn

    from modelward.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(store_path), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def test_every_page_loads_without_console_errors(
    server: str, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(server) else None)
    for name, path in PAGES.items():
        page.goto(server + path, wait_until="load")
        n_plots = page.locator("div.plot").count()
        if n_plots:
            page.wait_for_selector("div.plot .main-svg", timeout=10_000)
            assert page.locator("div.plot .main-svg").count() >= n_plots, name
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert errors == []
    assert [u for u in external if not u.startswith("data:")] == []
    assert (tmp_path / "overview.png").stat().st_size > 10_000
    page.close()


def test_navigation_and_lineage_click_through(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server + "/", wait_until="load")
    page.click("a[href='/systems/fraud']")
    page.wait_for_url("**/systems/fraud")
    page.click("header.top >> text=Calendar")
    page.wait_for_url("**/calendar")
    assert "Recommendation" in page.content()
    page.click("header.top >> text=Lineage")
    page.wait_for_url("**/lineage")
    page.click("a[data-node='dataset:tx@1']")
    page.wait_for_url("**/lineage?node=dataset*")
    text = page.locator("#impact").inner_text()
    assert "model:fraud@3" in text
    assert "deployment:prod" in text
    page.close()
