"""Command line: parses arguments, calls the core library, prints JSON. No logic lives here.

One typer app (``common.app``); the commands live in ``text``, ``data``, ``issues`` and ``batch`` by what they
touch.
"""

from __future__ import annotations

import typer

from nlp_service.cli import batch, data, issues, text  # noqa: F401 - importing registers the commands
from nlp_service.cli.common import app
from nlp_service.errors import NLPServiceError

__all__ = ["app", "main"]


def main() -> None:
    try:
        app(standalone_mode=False)
    except NLPServiceError as e:
        typer.echo(f"error: {e}", err=True)
        raise SystemExit(2) from None
    except typer.Abort:
        raise SystemExit(130) from None
    except Exception as e:  # usage errors arrive here in non-standalone mode (typer vendors click)
        if hasattr(e, "show") and hasattr(e, "exit_code"):
            e.show()
            raise SystemExit(e.exit_code) from None
        raise
