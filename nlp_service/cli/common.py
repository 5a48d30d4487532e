"""What every command shares: the typer app, settings, the service, output helpers and common options."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from nlp_service.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Chinese suggestion mining and routing.")

FilesArg = Annotated[list[str] | None, typer.Argument(help="Files to read; none or '-' reads standard input.")]
EncodingOpt = Annotated[str, typer.Option(help="Input encoding, e.g. utf-8 or gb18030.")]


def make_settings() -> Settings:
    return Settings()


def make_pipeline():
    from nlp_service.text.pipeline import TextPipeline

    s = make_settings()
    return TextPipeline(s.corpora_dir, s.max_text_chars)


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def read_inputs(files: list[str] | None, encoding: str) -> list[tuple[str, str]]:
    from nlp_service.io.text_input import read_text

    names = files or ["-"]
    return [(name, read_text(name, encoding)) for name in names]


def make_service():
    from nlp_service.service import Service

    return Service(make_settings())


def log(msg: str) -> None:
    typer.echo(msg, err=True)


def display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: list[str], rows: list[list[Any]], max_width: int = 40) -> str:
    """Columns aligned by display width (a Chinese character takes two cells); long cells are cut."""

    def cut(value: Any) -> str:
        text = "" if value is None else str(value)
        while display_width(text) > max_width:
            text = text[:-2] + "…"
        return text

    cells = [[cut(h) for h in headers]] + [[cut(v) for v in row] for row in rows]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c + " " * (w - display_width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)


def pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def date_opt(value: str | None) -> Any:
    from nlp_service.domain.records import parse_date

    try:
        return parse_date(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SinceOpt = Annotated[str | None, typer.Option(help="YYYY-MM-DD: only items submitted on or after.")]
UntilOpt = Annotated[str | None, typer.Option(help="YYYY-MM-DD: only items submitted on or before.")]
