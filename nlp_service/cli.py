"""Command line: parses arguments, calls the core library, prints JSON. No logic lives here."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from nlp_service.errors import NLPServiceError
from nlp_service.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Chinese suggestion mining and routing.")

FilesArg = Annotated[list[str] | None, typer.Argument(help="Files to read; none or '-' reads standard input.")]
EncodingOpt = Annotated[str, typer.Option(help="Input encoding, e.g. utf-8 or gb18030.")]


def _settings() -> Settings:
    return Settings()


def _pipeline():  # noqa: ANN202 - imported lazily so --help stays fast
    from nlp_service.pipeline import TextPipeline

    s = _settings()
    return TextPipeline(s.corpora_dir, s.max_text_chars)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _inputs(files: list[str] | None, encoding: str) -> list[tuple[str, str]]:
    from nlp_service.io.text_input import read_text

    names = files or ["-"]
    return [(name, read_text(name, encoding)) for name in names]


@app.command()
def clean(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Normalise text: HTML, traditional -> simplified, pinyin notes, width, whitespace."""
    p = _pipeline()
    for name, text in _inputs(files, encoding):
        _emit({"source": name, "text": p.clean(text)})


@app.command()
def segment(files: FilesArg = None, encoding: EncodingOpt = "utf-8",
            all_tokens: Annotated[bool, typer.Option("--all", help="Keep punctuation and stopwords.")] = False
            ) -> None:
    """Cut cleaned text into words with the domain dictionary."""
    p = _pipeline()
    for name, text in _inputs(files, encoding):
        cleaned = p.clean(text)
        toks = p.segmenter.cut(cleaned) if all_tokens else p.segmenter.tokens(cleaned)
        _emit({"source": name, "tokens": toks})


@app.command("keywords")
def keywords_cmd(files: FilesArg = None, encoding: EncodingOpt = "utf-8",
                 k: Annotated[int, typer.Option("-k", help="How many keywords.")] = 10,
                 method: Annotated[str, typer.Option(help="tfidf or textrank")] = "tfidf") -> None:
    """Top keywords of each input."""
    p = _pipeline()
    for name, text in _inputs(files, encoding):
        _emit({"source": name, "method": method,
               "keywords": [{"word": w, "score": round(s, 4)} for w, s in p.keywords(text, k, method)]})


@app.command()
def entities(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Departments (with their unit id), places, organisations and suggestion figures."""
    p = _pipeline()
    for name, text in _inputs(files, encoding):
        _emit({"source": name, "entities": [e.to_dict() for e in p.entities(text)]})


@app.command()
def news(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Extract title, date, source, editor and body from scraped news pages."""
    from nlp_service.text.news_page import extract_news

    for name, text in _inputs(files, encoding):
        page = extract_news(text).to_dict()
        page.pop("dropped")
        _emit({"source": name, **page})


@app.command()
def mask(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Mask phone numbers, ID numbers, e-mail addresses and bank cards."""
    from nlp_service.text.pii import mask_pii

    for name, text in _inputs(files, encoding):
        _emit({"source": name, "text": mask_pii(text)})


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


if __name__ == "__main__":
    main()
