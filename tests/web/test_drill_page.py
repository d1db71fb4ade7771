"""The dashboard's drill pages: start, evidence, answer form, grading, history, security."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from modelward.drills.scenario import scenario_from_seed
from modelward.drills.session import Drill, prepare
from modelward.store import Store
from modelward.web import create_app
from modelward.web.drill import DrillRegistry
from modelward.web.views import NotFound
from tests.drills.conftest import perfect_answer

#: The scenario tests/drills grades with full marks (a small log: ~2 s to prepare).
START = {"seed": "5", "cause": "latency_regression", "domain": "fraud", "days": "18",
         "rows_per_day": "300"}  # fmt: skip
_prepare_once = functools.cache(prepare)  # the same scenario is prepared once per session


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path = tmp_path_factory.mktemp("drill") / "store.duckdb"
    Store(path).close()
    web = create_app(path)
    web.state.drills.prepare_drill = _prepare_once
    return web


@pytest.fixture(scope="module")
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def start(client: TestClient, **changes: str) -> tuple[str, str]:
    """Start a drill; return its URL and the page's HTML."""
    token = _csrf(client.get("/drill").text)
    r = client.post("/drill/start", data={"csrf": token, **START, **changes},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:300]
    where = r.headers["location"]
    page = client.get(where)
    assert page.status_code == 200
    return where, page.text


def form_of(drill: Drill, html: str, **changes: Any) -> dict[str, Any]:
    """The perfect answer (the truth, as tests/drills derives it) as the form's fields."""
    p = perfect_answer(drill)
    seg = p["segment"]
    data: dict[str, Any] = {
        "csrf": _csrf(html),
        "cause": p["cause"],
        "onset": p["onset"] or "",
        "segment": "none" if not seg else "=".join(next(iter(seg.items()))),
        "features": p["features"],
        "containment": p["containment"],
        "rollback_trigger": yaml.safe_dump(p["rollback_trigger"], default_flow_style=True),
        "monitoring": yaml.safe_dump(p["monitoring"]),
    }
    return data | changes


def drill_of(app: FastAPI, where: str) -> Drill:
    registry: DrillRegistry = app.state.drills
    drill: Drill = registry.drill(registry.get(where.rsplit("/", 1)[1]))
    return drill


def test_start_page(client: TestClient) -> None:
    r = client.get("/drill")
    assert r.status_code == 200
    assert '<a href="/drill" class=here>Drill</a>' in r.text
    assert 'action="/drill/start"' in r.text
    assert "No drill attempted yet" in r.text
    assert 'href="/drill"' in client.get("/").text  # the navigation links to it everywhere


def test_drill_page_shows_evidence_timer_and_form(app: FastAPI, client: TestClient) -> None:
    where, html = start(client)
    drill = drill_of(app, where)
    for sid in ("answer", "verdict", "volume", "latency", "drift-heatmap"):
        assert f'id="{sid}"' in html
    assert 'id="triage"' not in html
    assert "triage" not in html.lower()
    remaining = float(re.search(r'data-remaining="([0-9.]+)"', html).group(1))  # type: ignore[union-attr]
    assert 470 < remaining <= 480
    for feature in drill.check.features:
        assert f'<option value="{feature}">' in html
    assert '<option value="none_needed">' in html
    assert html.count("data-figure=") >= 5
    assert "http://" not in html.split("<main>")[0]


def test_perfect_answer_gets_full_marks_and_is_recorded(app: FastAPI, client: TestClient) -> None:
    where, html = start(client)
    r = client.post(where + "/answer", data=form_of(drill_of(app, where), html))
    assert r.status_code == 200, r.text[-2000:]
    assert "Score 100%" in r.text
    for dim in ("diagnosis", "mapping", "containment", "coverage", "time"):
        assert re.search(rf"<td>{dim}</td><td>1.00</td>", r.text), dim
    for sid in ("truth", "triage", "ruled-out", "tell-apart", "suggested"):
        assert f'id="{sid}"' in r.text
    assert "Stored in the drill history as attempt" in r.text
    assert client.get(where).text.count("Score 100%") == 1  # the graded page stays
    again = client.post(where + "/answer", data=form_of(drill_of(app, where), html))
    assert again.status_code == 409
    home = client.get("/drill").text
    assert 'id="attempts"' in home
    assert "latency_regression" in home
    assert "No drill attempted yet" not in home


def test_wrong_cause_scores_low_on_diagnosis(app: FastAPI, client: TestClient) -> None:
    where, html = start(client)
    r = client.post(
        where + "/answer", data=form_of(drill_of(app, where), html, cause="label_noise")
    )
    assert r.status_code == 200
    score = re.search(r"<td>diagnosis</td><td>([0-9.]+)</td>", r.text)
    assert score
    assert float(score.group(1)) <= 0.25
    assert "cause label_noise is wrong: it was latency_regression" in r.text


def test_malformed_constraint_is_one_400_message(app: FastAPI, client: TestClient) -> None:
    where, html = start(client)
    bad = form_of(drill_of(app, where), html, rollback_trigger="{metric: recal, min: 0.5}")
    r = client.post(where + "/answer", data=bad)
    assert r.status_code == 400
    errors = re.findall(r'<p class="error" id="answer-error">([^<]*)</p>', r.text)
    assert len(errors) == 1
    assert errors[0].startswith("your answer, rollback_trigger.metric: Unknown metric")
    assert "Traceback" not in r.text
    assert 'File "' not in r.text
    assert "recal, min: 0.5" in r.text  # the learner's text is kept in the form
    r = client.post(where + "/answer", data=form_of(drill_of(app, where), html, monitoring="- ["))
    assert r.status_code == 400
    assert "not valid YAML" in r.text
    ok = client.post(where + "/answer", data=form_of(drill_of(app, where), html))
    assert ok.status_code == 200  # the drill can still be answered


def test_post_without_the_csrf_token_is_refused(app: FastAPI, client: TestClient) -> None:
    assert client.post("/drill/start", data=START).status_code == 403
    assert client.post("/drill/start", data={**START, "csrf": "forged"}).status_code == 403
    where, html = start(client)
    answer = form_of(drill_of(app, where), html)
    assert client.post(where + "/answer", data={**answer, "csrf": ""}).status_code == 403
    other = _csrf(client.get("/drill").text)  # the start form's token is not the attempt's
    assert client.post(where + "/answer", data={**answer, "csrf": other}).status_code == 403


def test_bad_start_fields_are_400(client: TestClient) -> None:
    token = _csrf(client.get("/drill").text)
    for field, value, message in (("days", "3", "days must be between"),
                                  ("seed", "x", "seed: &#x27;x&#x27; is not a number"),
                                  ("cause", "gremlins", "Unknown cause")):  # fmt: skip
        r = client.post("/drill/start", data={**START, "csrf": token, field: value})
        assert r.status_code == 400
        assert message in r.text
        assert "Traceback" not in r.text


def test_only_drill_paths_accept_post(client: TestClient) -> None:
    assert client.post("/").status_code == 405
    assert client.post("/systems/x").status_code == 405
    assert client.post("/drill").status_code == 405
    assert client.put("/drill/start").status_code == 405
    assert client.post("/drill/0123456789abcdef/answer", data={"csrf": "x"}).status_code == 404
    assert client.get("/drill/../../etc/passwd").status_code == 404


def test_token_applies_to_post(tmp_path: Path) -> None:
    path = tmp_path / "store.duckdb"
    Store(path).close()
    c = TestClient(create_app(path, token="s3cret"))
    auth = {"Authorization": "Bearer s3cret"}
    token = _csrf(c.get("/drill", headers=auth).text)
    bad = {**START, "csrf": token, "days": "3"}  # reaches the handler only with the token
    assert c.post("/drill/start", data=bad).status_code == 401
    assert (
        c.post("/drill/start", data=bad, headers={"Authorization": "Bearer no"}).status_code == 401
    )
    assert c.post("/drill/start", data=bad, headers=auth).status_code == 400


def test_an_evicted_drill_is_prepared_again_from_its_seed() -> None:
    calls: list[int] = []

    def counted(scenario: Any) -> Drill:
        calls.append(scenario.seed)
        return _prepare_once(scenario)

    registry = DrillRegistry(attempts=8, drills=1, prepare_drill=counted)
    s = scenario_from_seed(5, cause="latency_regression", domain="fraud", days=18, rows_per_day=300)
    t = scenario_from_seed(6, cause="latency_regression", domain="fraud", days=18, rows_per_day=300)
    a, a2, b = (registry.new(x, limit_seconds=60) for x in (s, s, t))
    first = registry.drill(a)
    assert registry.drill(a2) is first  # the same scenario is prepared once
    registry.drill(b)  # evicts s
    assert registry.drill(a).truth == first.truth
    assert calls == [5, 6, 5]
    with pytest.raises(NotFound):
        registry.get("0123456789abcdef")
