"""A drill in a real browser: start, read the evidence, fill the form, submit, see the grade."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelward.drills.session import Drill
from modelward.store import Store
from tests.drills.conftest import perfect_answer

pytest.importorskip("playwright")
pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    import uvicorn

    from modelward.web import create_app

    path = tmp_path_factory.mktemp("drill-browser") / "store.duckdb"
    Store(path).close()
    app = create_app(path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(timeout=5)


def test_drill_in_the_browser(served: tuple[str, Any], tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    server, app = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        external: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(server) else external.append(r.url))

        page.goto(server + "/", wait_until="load")
        page.click("header.top >> text=Drill")
        page.wait_for_url("**/drill")
        page.select_option("#cause", "latency_regression")
        page.select_option("#domain", "fraud")
        page.fill("#seed", "5")
        page.fill("#days", "18")
        page.fill("#rows_per_day", "300")
        page.click("text=Start the drill")
        page.wait_for_selector("#timer", timeout=60_000)
        page.wait_for_selector("div.plot .main-svg", timeout=15_000)
        first = page.inner_text("#timer")
        page.wait_for_timeout(2100)
        assert page.inner_text("#timer") != first  # the countdown runs
        assert "left" in first

        registry = app.state.drills
        drill: Drill = registry.drill(registry.get(page.url.rsplit("/", 1)[1]))
        ans = perfect_answer(drill)
        page.select_option("#cause", ans["cause"])
        page.fill("#onset", ans["onset"] or "")
        seg = ans["segment"]
        page.fill("#segment", "none" if not seg else "=".join(next(iter(seg.items()))))
        page.select_option("#features", ans["features"])
        page.select_option("#containment", ans["containment"])
        trigger = yaml.safe_dump(ans["rollback_trigger"], default_flow_style=True)
        page.fill("#rollback_trigger", trigger)
        page.fill("#monitoring", yaml.safe_dump(ans["monitoring"]))
        page.screenshot(path=str(tmp_path / "drill.png"), full_page=False)
        page.click("text=Submit the answer")
        page.wait_for_selector("#total", timeout=60_000)
        assert page.inner_text("#total") == "Score 100%"
        assert "modelward's own triage" in page.content()
        page.screenshot(path=str(tmp_path / "graded.png"), full_page=True)
        page.goto(server + "/drill", wait_until="load")
        assert "latency_regression" in page.inner_text("#attempts")
        browser.close()
    assert errors == []
    assert [u for u in external if not u.startswith("data:")] == []
    assert (tmp_path / "graded.png").stat().st_size > 10_000
