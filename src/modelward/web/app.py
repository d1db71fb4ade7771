"""The dashboard app: FastAPI over a run store, read-only, server-rendered.

Security model
--------------
- The store path is fixed when the app is made; no request names a file.
- Every route is ``GET`` (or ``HEAD``); other methods get 405, except ``POST``
  on the drill pages (``/drill/...``, :mod:`modelward.web.drill`, whose forms
  carry a CSRF token). The app opens the store read-only for each request;
  only a graded drill writes it (its drill history).
- With a ``token``, every request must carry it: ``Authorization: Bearer
  TOKEN``, or ``?token=TOKEN`` once (the app then sets an HttpOnly,
  SameSite=Strict cookie), compared in constant time; otherwise 401.
- Errors render a short page; stack traces never reach the client.
- Pages send a Content-Security-Policy allowing only same-origin resources
  (Plotly is served from the installed package at ``/static/plotly.js``).

Speed
-----
Stored runs are immutable, so parsed results and serialised figures are cached
by run id (:class:`~modelward.web.views.Caches`), and whole pages are cached by
URL while the store's files (``store.duckdb`` and its ``.wal``) keep the same
size and modification time: any write to the store invalidates every page.

Examples
--------
>>> import tempfile, pathlib
>>> from fastapi.testclient import TestClient
>>> from modelward.store import Store
>>> path = pathlib.Path(tempfile.mkdtemp()) / "store.duckdb"
>>> Store(path).close()
>>> client = TestClient(create_app(path))
>>> client.get("/").status_code, client.post("/").status_code
(200, 405)
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelward._exceptions import StoreError
from modelward.report.html import plotly_js
from modelward.store import Store
from modelward.web import views
from modelward.web.drill import register_drill_routes
from modelward.web.pages import e, page
from modelward.web.views import Caches, Lru, NotFound, Source

__all__ = ["TOKEN_COOKIE", "create_app"]

TOKEN_COOKIE = "modelward_token"
_log = logging.getLogger("modelward.web")
_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@cache
def _plotly_bytes() -> bytes:
    return plotly_js().encode("utf-8")


def _error_page(status: int, message: str) -> HTMLResponse:
    body = f"<p>{e(message)}</p><p><a href='/'>Back to the systems</a></p>"
    return HTMLResponse(page(f"{status}", body, nav=[]), status_code=status, headers=_HEADERS)


def _token_ok(request: Request, token: str) -> tuple[bool, bool]:
    """(allowed, set the cookie) for a request under ``token``."""
    given = [
        request.headers.get("authorization", "").removeprefix("Bearer ").strip(),
        request.cookies.get(TOKEN_COOKIE, ""),
    ]
    from_query = request.query_params.get("token", "")
    want = token.encode()
    if any(g and hmac.compare_digest(g.encode(), want) for g in given):
        return True, False
    if from_query and hmac.compare_digest(from_query.encode(), want):
        return True, True
    return False, False


def _fingerprint(path: Path) -> tuple[int, ...]:
    """Size and modification time of the store and its write-ahead log."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            out += [-1, -1]
    return tuple(out)


def create_app(
    store_path: str | Path, *, token: str | None = None, page_cache: int = 64
) -> FastAPI:
    """Make the dashboard app over the store at ``store_path``.

    Parameters
    ----------
    store_path
        The run store (a DuckDB file); it must exist.
    token
        When given, every request must carry it (see the module docstring).
    page_cache
        Pages kept while the store is unchanged (0: render every request).

    Raises
    ------
    StoreError
        If there is no store at ``store_path``.
    """
    path = Path(store_path)
    if not path.is_file():
        raise StoreError(f"{path}: no store there (run `modelward check` first)")
    if token is not None and not token.strip():
        raise StoreError("the dashboard token must not be empty")
    app = FastAPI(title="modelward", docs_url=None, redoc_url=None, openapi_url=None)
    caches = Caches()
    pages = Lru(page_cache)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        drill_post = request.method == "POST" and request.url.path.startswith("/drill/")
        if request.method not in ("GET", "HEAD") and not drill_post:
            return _error_page(405, "The dashboard is read-only.")
        set_cookie = False
        if token is not None:
            ok, set_cookie = _token_ok(request, token)
            if not ok:
                return _error_page(401, "A valid token is required.")
        try:
            response = await call_next(request)
        except Exception:  # never show a stack trace; log it server-side
            _log.exception("dashboard error on %s", request.url.path)
            return _error_page(500, "Internal error; see the server log.")
        for k, v in _HEADERS.items():
            response.headers.setdefault(k, v)
        if set_cookie and token is not None:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_page(exc.status_code, "Not found." if exc.status_code == 404 else "Error.")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error_page(404, f"Not found: {exc}")

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        _log.warning("store error: %s", exc)
        return _error_page(503, "The store cannot be read right now (is a check writing it?).")

    @app.exception_handler(Exception)
    async def any_error(request: Request, exc: Exception) -> Response:
        _log.error("dashboard error on %s", request.url.path, exc_info=exc)
        return _error_page(500, "Internal error; see the server log.")

    def render(build: Callable[[Source], tuple[str, str]], nav: list[tuple[str, str]],
               here: str = "", *, key: str) -> HTMLResponse:  # fmt: skip
        stamp = (key, _fingerprint(path))
        cached = pages.get(key)
        if cached is not None and cached[0] == stamp:
            return HTMLResponse(cached[1])
        with Store(path, read_only=True) as store:
            title, body = build(Source(store, caches))
        html = page(title, body, nav=nav, here=here)
        if page_cache > 0:
            pages[key] = (stamp, html)
        return HTMLResponse(html)

    @app.get("/static/plotly.js")
    def plotly_js() -> Response:
        return Response(
            _plotly_bytes(),
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return render(views.home, [("Lineage", "/lineage")], key="/")

    @app.get("/systems/{system}", response_class=HTMLResponse)
    def overview(system: str) -> HTMLResponse:
        return render(lambda s: views.overview(s, system), views.system_nav(system), "Overview",
                      key=f"/s/{system}")  # fmt: skip

    @app.get("/systems/{system}/features/{feature}", response_class=HTMLResponse)
    def feature(system: str, feature: str) -> HTMLResponse:
        return render(lambda s: views.feature(s, system, feature), views.system_nav(system),
                      key=f"/s/{system}/f/{feature}")  # fmt: skip

    @app.get("/systems/{system}/costs", response_class=HTMLResponse)
    def costs(system: str) -> HTMLResponse:
        return render(lambda s: views.costs(s, system), views.system_nav(system), "Costs",
                      key=f"/s/{system}/costs")  # fmt: skip

    @app.get("/systems/{system}/incidents", response_class=HTMLResponse)
    def incidents(system: str) -> HTMLResponse:
        return render(lambda s: views.incidents(s, system), views.system_nav(system), "Incidents",
                      key=f"/s/{system}/incidents")  # fmt: skip

    @app.get("/systems/{system}/calendar", response_class=HTMLResponse)
    def calendar(system: str) -> HTMLResponse:
        return render(lambda s: views.calendar(s, system), views.system_nav(system), "Calendar",
                      key=f"/s/{system}/calendar")  # fmt: skip

    @app.get("/systems/{system}/runs", response_class=HTMLResponse)
    def runs(system: str, a: str | None = None, b: str | None = None) -> HTMLResponse:
        return render(lambda s: views.runs(s, system, a, b), views.system_nav(system), "Runs",
                      key=f"/s/{system}/runs?{a}&{b}")  # fmt: skip

    @app.get("/lineage", response_class=HTMLResponse)
    def lineage(node: str | None = None) -> HTMLResponse:
        return render(lambda s: views.lineage(s, node), [("Systems", "/")], "Lineage",
                      key=f"/lineage?{node}")  # fmt: skip

    register_drill_routes(app, path)
    return app
