"""``modelward serve``: binding rules."""

from __future__ import annotations

import pytest

from modelward._exceptions import ConfigError
from modelward.cli._serve import check_binding


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.5"])
def test_loopback_needs_no_token(host: str) -> None:
    check_binding(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.4", "::", "example.org"])
def test_other_addresses_need_a_token(host: str) -> None:
    with pytest.raises(ConfigError, match="needs --token"):
        check_binding(host, None)
    check_binding(host, "t")


def test_serve_refuses_public_bind_without_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelward.cli._serve  # noqa: F401  (registers the command)
    from modelward.cli.app import main

    monkeypatch.delenv("MODELWARD_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--host", "0.0.0.0", "--store", "nowhere.duckdb"])
    assert exc.value.code == 2
