"""Text commands: clean, segment, keywords, entities, news pages, masking. They need no database."""

from __future__ import annotations

from typing import Annotated

import typer

from nlp_service.cli.common import (
    EncodingOpt,
    FilesArg,
    app,
    emit,
    make_pipeline,
    read_inputs,
)


@app.command()
def clean(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Normalise text: HTML, traditional -> simplified, pinyin notes, width, whitespace."""
    p = make_pipeline()
    for name, text in read_inputs(files, encoding):
        emit({"source": name, "text": p.clean(text)})


@app.command()
def segment(files: FilesArg = None, encoding: EncodingOpt = "utf-8",
            all_tokens: Annotated[bool, typer.Option("--all", help="Keep punctuation and stopwords.")] = False
            ) -> None:
    """Cut cleaned text into words with the domain dictionary."""
    p = make_pipeline()
    for name, text in read_inputs(files, encoding):
        cleaned = p.clean(text)
        toks = p.segmenter.cut(cleaned) if all_tokens else p.segmenter.tokens(cleaned)
        emit({"source": name, "tokens": toks})


@app.command("keywords")
def keywords_cmd(files: FilesArg = None, encoding: EncodingOpt = "utf-8",
                 k: Annotated[int, typer.Option("-k", help="How many keywords.")] = 10,
                 method: Annotated[str, typer.Option(help="tfidf or textrank")] = "tfidf") -> None:
    """Top keywords of each input."""
    p = make_pipeline()
    for name, text in read_inputs(files, encoding):
        emit({"source": name, "method": method,
               "keywords": [{"word": w, "score": round(s, 4)} for w, s in p.keywords(text, k, method)]})


@app.command()
def entities(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Departments (with their unit id), places, organisations and suggestion figures."""
    p = make_pipeline()
    for name, text in read_inputs(files, encoding):
        emit({"source": name, "entities": [e.to_dict() for e in p.entities(text)]})


@app.command()
def news(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Extract title, date, source, editor and body from scraped news pages."""
    from nlp_service.news.page import extract_news

    for name, text in read_inputs(files, encoding):
        page = extract_news(text).to_dict()
        page.pop("dropped")
        emit({"source": name, **page})


@app.command()
def mask(files: FilesArg = None, encoding: EncodingOpt = "utf-8") -> None:
    """Mask phone numbers, ID numbers, e-mail addresses and bank cards."""
    from nlp_service.text.pii import mask_pii

    for name, text in read_inputs(files, encoding):
        emit({"source": name, "text": mask_pii(text)})
