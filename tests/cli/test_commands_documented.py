"""Every CLI command has help text and a README entry."""

from __future__ import annotations

from pathlib import Path

import typer.main

from modelward.cli.app import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands() -> dict[str, object]:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def test_every_command_has_help() -> None:
    commands = _commands()
    assert commands, "the CLI registers no command"
    for name, command in commands.items():
        assert (command.help or "").strip(), f"command {name!r} has no help text"  # type: ignore[attr-defined]


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name in _commands():
        assert f"modelward {name}" in text, f"README does not document `modelward {name}`"
