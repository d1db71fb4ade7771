"""The ``modelward`` command line: a thin shell over the Python API.

Commands parse input, call the library, render with Rich and set exit codes:
0 success, 1 a check or gate failed, 2 bad usage or bad input.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from modelward._exceptions import ModelwardError

app = typer.Typer(
    name="modelward",
    help="Watch the behaviour of a production ML system from its prediction log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)

# Each module defines its commands with ``@app.command()`` on import.
_COMMAND_MODULES = (
    "inspect",
    "simulate",
    "check",
    "gate",
    "triage",
    "diff",
    "forecast",
    "serve",
    "drill",
    "demo",
    "data",
    "lineage",
    "feedback",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(f"modelward.cli._{_name}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning modelward errors into exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)
    except ModelwardError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("Aborted.")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors from the bundled click
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    if isinstance(code, int) and code:
        sys.exit(code)
