"""The dashboard over a real store: pages, security, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelward._exceptions import StoreError
from modelward.web import create_app
from modelward.web.app import TOKEN_COOKIE

PAGES = [
    "/",
    "/systems/fraud",
    "/systems/fraud/features/amount",
    "/systems/fraud/costs",
    "/systems/fraud/incidents",
    "/systems/fraud/calendar",
    "/systems/fraud/runs",
    "/systems/churn",
    "/systems/churn/costs",
    "/lineage",
    "/lineage?node=dataset:tx@1",
]


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(store_path))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert "http://" not in r.text.split("<main>")[0]  # no external resource in the head
    assert "Traceback" not in r.text


def test_home_has_a_card_per_system(client: TestClient) -> None:
    text = client.get("/").text
    assert text.count("class='card'") == 2
    assert "data-system='fraud'" in text
    assert "data-system='churn'" in text


def test_overview_sections_and_escaped_alerts(client: TestClient) -> None:
    text = client.get("/systems/fraud").text
    for sid in ("status", "alerts", "volume", "drift", "performance", "latency", "labels"):
        assert f'id="{sid}"' in text
    assert "<script>x</script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text
    assert "budget 400 ms" in text or "Budget: <b>400 ms" in text


def test_sections_not_stored_say_so(client: TestClient) -> None:
    assert "No cost evaluation stored" in client.get("/systems/churn/costs").text
    assert "No triage stored" in client.get("/systems/churn/incidents").text


def test_calendar_shows_every_constraint(client: TestClient) -> None:
    text = client.get("/systems/fraud/calendar").text
    assert "recall &gt;= 0.3" in text
    assert "latency_p99 &lt;= 400" in text
    assert "channel=" in text  # per segment rows


def test_lineage_impact(client: TestClient) -> None:
    text = client.get("/lineage?node=dataset:tx@1").text
    assert "Impact of dataset:tx@1" in text
    assert "model:fraud@3" in text
    assert "deployment:prod" in text
    assert 'href="/lineage?node=source%3Apayments"' in text


def test_runs_diff(client: TestClient) -> None:
    text = client.get("/systems/fraud/runs").text
    assert 'id="diff"' in text
    assert "p99 latency (ms)" in text


@pytest.mark.parametrize(
    "path",
    ["/systems/nope", "/systems/fraud/features/nope", "/lineage?node=x:y", "/nowhere",
     "/systems/fraud/runs?a=zzz&b=yyy"],
)  # fmt: skip
def test_unknown_things_are_404_without_trace(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "Traceback" not in r.text
    assert 'File "' not in r.text


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_read_only(client: TestClient, method: str) -> None:
    assert getattr(client, method)("/").status_code == 405


def test_no_file_path_from_the_request(client: TestClient) -> None:
    for path in ("/systems/..%2F..%2Fetc%2Fpasswd", "/static/..%2F..%2Fpyproject.toml",
                 "/?store=/etc/passwd"):  # fmt: skip
        r = client.get(path)
        assert "root:" not in r.text
        assert "[project]" not in r.text


def test_errors_never_leak_a_stack_trace(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelward.web import views

    def boom(*args: object) -> None:
        raise RuntimeError("secret internals /home/x")

    monkeypatch.setattr(views, "home", boom)
    r = TestClient(create_app(store_path), raise_server_exceptions=False).get("/")
    assert r.status_code == 500
    assert "secret" not in r.text
    assert "Traceback" not in r.text


def test_token_checked_on_every_request(store_path: Path) -> None:
    c = TestClient(create_app(store_path, token="s3cret"))
    assert c.get("/").status_code == 401
    assert c.get("/static/plotly.js").status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    r = c.get("/?token=s3cret")
    assert r.status_code == 200
    assert TOKEN_COOKIE in r.headers["set-cookie"]
    assert "HttpOnly" in r.headers["set-cookie"]
    assert c.get("/systems/fraud").status_code == 200  # the cookie now


def test_plotly_served_from_the_package(client: TestClient) -> None:
    r = client.get("/static/plotly.js")
    assert r.status_code == 200
    assert "plotly" in r.text[:2000].lower()
    assert len(r.content) > 1_000_000


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store there"):
        create_app(tmp_path / "missing.duckdb")


def test_page_cache_follows_store_writes(tmp_path: Path) -> None:
    from modelward.store import Store

    path = tmp_path / "store.duckdb"
    Store(path).close()
    client = TestClient(create_app(path))
    assert "holds no system yet" in client.get("/").text
    assert "holds no system yet" in client.get("/").text  # served from the page cache
    with Store(path) as store:
        store.save_run(system="late", kind="costs", source="x", parameters={}, meta={},
                       results={}, tables={})  # fmt: skip
    page = client.get("/").text  # the write changed the store's files: rendered again
    assert "holds no system yet" not in page
    assert "data-system='late'" in page


def test_cached_and_uncached_pages_agree(store_path: Path) -> None:
    cached, plain = (
        TestClient(create_app(store_path)),
        TestClient(create_app(store_path, page_cache=0)),
    )
    for path in PAGES:
        first = cached.get(path).text
        assert cached.get(path).text == first == plain.get(path).text == plain.get(path).text
