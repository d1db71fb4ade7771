"""``modelward serve``: the morning dashboard over the run store."""

from __future__ import annotations

import contextlib
import ipaddress
import os
from pathlib import Path

import typer

from modelward._exceptions import ConfigError
from modelward.cli.app import app
from modelward.store import DEFAULT_STORE_PATH

__all__ = ["check_binding", "serve"]

TOKEN_ENV = "MODELWARD_TOKEN"


def check_binding(host: str, token: str | None) -> None:
    """Refuse to bind anything but loopback without a token.

    Examples
    --------
    >>> check_binding("127.0.0.1", None)
    >>> try:
    ...     check_binding("0.0.0.0", None)
    ... except ConfigError as exc:
    ...     print(exc)
    Binding 0.0.0.0 (not loopback) needs --token or MODELWARD_TOKEN.
    """
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if not loopback and not token:
        raise ConfigError(f"Binding {host} (not loopback) needs --token or {TOKEN_ENV}.")


@app.command()
def serve(
    store: Path = typer.Option(
        Path(DEFAULT_STORE_PATH), "--store", help="The run store (a DuckDB file)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default loopback)."),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
    token: str | None = typer.Option(
        None, "--token", help=f"Token every request must carry (or set {TOKEN_ENV})."
    ),
) -> None:
    """Serve the dashboard (read-only) over the run store."""
    import uvicorn

    from modelward.web import create_app

    token = token or os.environ.get(TOKEN_ENV) or None
    check_binding(host, token)
    web = create_app(store, token=token)
    typer.echo(f"modelward dashboard on http://{host}:{port}/ (store {store})", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False)
