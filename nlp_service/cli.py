"""Command line: parses arguments, calls the core library, prints JSON. No logic lives here."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from nlp_service.errors import NLPServiceError
from nlp_service.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Chinese suggestion mining and routing.")

FilesArg = Annotated[list[str] | None, typer.Argument(help="Files to read; none or '-' reads standard input.")]
EncodingOpt = Annotated[str, typer.Option(help="Input encoding, e.g. utf-8 or gb18030.")]


def _settings() -> Settings:
    return Settings()


def _pipeline():
    from nlp_service.text.pipeline import TextPipeline

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
    from nlp_service.news.page import extract_news

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


def _service():
    from nlp_service.service import Service

    return Service(_settings())


def _log(msg: str) -> None:
    typer.echo(msg, err=True)


@app.command()
def setup() -> None:
    """Create the database, load the embedded corpus and train the default models (skips what is done)."""
    _service().ops.setup(log=_log)
    _log("ready")


@app.command("import")
def import_cmd(
    path: Annotated[str, typer.Argument(help="CSV, XLSX or JSONL file.")],
    map_: Annotated[list[str] | None, typer.Option("--map", help="SOURCE_COLUMN=field, repeatable.")] = None,
    mode: Annotated[str, typer.Option(help="good_rows (skip bad rows) or all_or_nothing.")] = "good_rows",
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Import suggestions; re-importing the same external ids updates them."""
    from pathlib import Path

    from tqdm import tqdm

    from nlp_service.io.importer import parse_mapping

    svc = _service()
    mapping = parse_mapping(map_)
    with tqdm(desc="rows", unit=" rows", file=sys.stderr, disable=None) as bar:
        report = svc.suggestions.import_file(Path(path), mapping, mode, encoding, progress=bar.update)
    for e in report["errors"][:20]:
        _log(f"skipped row {e['row']}" + (f", column {e['column']!r}" if e["column"] else "") + f": {e['reason']}")
    _emit({k: v for k, v in report.items() if k != "errors"})


@app.command()
def export(
    path: Annotated[str, typer.Argument(help="Output file; the format follows the suffix.")],
    role: Annotated[str, typer.Option(help="submitter, staff or admin: only admin sees personal data.")] = "staff",
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    topic: Annotated[str | None, typer.Option()] = None,
    department: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Export suggestions as CSV, XLSX or JSONL."""
    from pathlib import Path

    from nlp_service.access.roles import Role
    from nlp_service.domain.records import parse_date

    try:
        r = Role(role)
        filters = {"since": parse_date(since), "until": parse_date(until), "topic": topic,
                   "department": department}
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    n = _service().suggestions.export_file(Path(path), r, **filters)
    _emit({"path": path, "rows": n})


@app.command()
def train(
    data: Annotated[str, typer.Option("--data", help="Labelled CSV, XLSX or JSONL.")],
    text: Annotated[list[str], typer.Option("--text", help="Text column; repeat to join several.")],
    label: Annotated[str, typer.Option("--label", help="Label column.")],
    out: Annotated[str, typer.Option("--out", help="Artifact directory to write.")],
    encoding: EncodingOpt = "utf-8",
    target_precision: Annotated[float | None, typer.Option(help="Accuracy wanted on auto-routed items.")] = None,
    config: Annotated[str | None, typer.Option(help="Training config YAML (training/configs/classifier.yaml).")]
    = None,
) -> None:
    """Train a calibrated classifier from any labelled file and print its held-out report."""
    from pathlib import Path

    from nlp_service.classify.evaluate import format_report
    from nlp_service.classify.training import (
        TrainConfig,
        corpus_checksum,
        package,
        read_labelled,
        train_classifier,
    )

    p = _pipeline()
    texts, labels = read_labelled(Path(data), text, label, encoding)
    _log(f"read {len(texts)} rows, {len(set(labels))} labels; segmenting ...")
    docs = [p.segmenter.tokens(p.clean(t)) for t in texts]
    default = _settings().project_root / "training" / "configs" / "classifier.yaml"
    path = Path(config) if config else default
    cfg = TrainConfig.from_file(path) if (config or default.is_file()) else TrainConfig()
    if target_precision is not None:
        cfg.target_precision = target_precision
    model, metrics = train_classifier(docs, labels, cfg, log=_log)
    package(model, metrics, Path(out), cfg, name=Path(out).name, source=Path(data).name,
            checksum=corpus_checksum(texts, labels), n=len(texts), text_columns=text, label_column=label)
    typer.echo(format_report(metrics), err=True)
    _emit({"out": out, "macro_f1": metrics["macro_f1"], "ece": metrics["ece"],
           "review_threshold": metrics["review"]["threshold"]})


@app.command()
def predict(
    model: Annotated[str, typer.Option("--model", help="Artifact directory from `train`.")],
    data: Annotated[str, typer.Option("--data", help="CSV, XLSX or JSONL.")],
    text: Annotated[list[str], typer.Option("--text", help="Text column; repeat to join several.")],
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Print one JSON object per row: row, label, probability, top labels, reasons."""
    from pathlib import Path

    from nlp_service.classify.predict import LoadedClassifier, predict_file

    clf = LoadedClassifier(Path(model))
    p = _pipeline()
    for result in predict_file(clf, p.segmenter, Path(data), text, encoding):
        _emit(result)


@app.command()
def route(
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to route; none reads --file or stdin.")] = None,
    file: Annotated[str | None, typer.Option("--file", help="A text file: one suggestion per line.")] = None,
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Route suggestions to a topic and a department with the installed models."""
    from nlp_service.io.text_input import read_text

    svc = _service()
    items = list(texts or [])
    if not items:
        items = [line for line in read_text(file, encoding).splitlines() if line.strip()]
    for t in items:
        _emit({"text": t[:80], **svc.routing.route(t)})


@app.command()
def report(
    since: Annotated[str, typer.Option(help="First submission date counted, YYYY-MM-DD.")],
    until: Annotated[str, typer.Option(help="Last submission date counted, YYYY-MM-DD.")],
    out: Annotated[str, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="html, xlsx, json or md.")] = "html",
) -> None:
    """Topic report for a period: volume, topics, departments, hot and emerging issues, duplicates, adoption,
    reply times and news coverage, every figure with the ids behind it."""
    from pathlib import Path

    from tqdm import tqdm

    with tqdm(total=100, desc="report", unit="%", file=sys.stderr, disable=None,
              bar_format="{desc:<22}{percentage:3.0f}%|{bar}| {elapsed}") as bar:
        def progress(stage: str, fraction: float) -> None:
            bar.set_description(f"report: {stage}")
            bar.update(round(100 * fraction) - bar.n)

        path = _service().reports.build(since, until, fmt, Path(out), progress)
    _emit({"path": str(path), "format": fmt, "bytes": path.stat().st_size})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default from NLP_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default from NLP_PORT.")] = None,
    skip_setup: Annotated[bool, typer.Option(help="Do not load the corpus or train missing models.")] = False,
) -> None:
    """Serve the API (and the staff page) on the embedded default data."""
    import uvicorn

    from nlp_service.api.app import create_app

    svc = _service()
    if not skip_setup:
        svc.ops.setup(log=_log)
    s = svc.settings
    h, p = host or s.host, port or s.port
    _log(f"serving on http://{h}:{p}/  (API docs at http://{h}:{p}/docs)")
    import logging

    logging.basicConfig(level=s.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # uvicorn's access log prints query strings, which can hold personal data: the app logs paths instead.
    uvicorn.run(create_app(svc), host=h, port=p, log_level=s.log_level.lower(), access_log=False)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: list[str], rows: list[list[Any]], max_width: int = 40) -> str:
    """Columns aligned by display width (a Chinese character takes two cells); long cells are cut."""

    def cut(value: Any) -> str:
        text = "" if value is None else str(value)
        while _width(text) > max_width:
            text = text[:-2] + "…"
        return text

    cells = [[cut(h) for h in headers]] + [[cut(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _date_opt(value: str | None) -> Any:
    from nlp_service.domain.records import parse_date

    try:
        return parse_date(value)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SinceOpt = Annotated[str | None, typer.Option(help="YYYY-MM-DD: only items submitted on or after.")]
UntilOpt = Annotated[str | None, typer.Option(help="YYYY-MM-DD: only items submitted on or before.")]


@app.command()
def clusters(
    recompute: Annotated[bool, typer.Option("--recompute", help="Cluster again; ids kept by matching.")] = False,
    as_json: JsonOpt = False, since: SinceOpt = None, until: UntilOpt = None,
) -> None:
    """Issue clusters, hottest first: label, size, heat, adoption, emerging flags."""
    report = _service().issues.clusters(recompute, _date_opt(since), _date_opt(until))
    if as_json:
        _emit(report)
        return
    rows = [[c["id"], c["size"], f"{c['heat']:.1f}", _pct(c["adoption"]["adoption_rate"]),
             _pct(c["adoption"]["implementation_rate"]),
             ("new " if c["new"] else "") + ("rising" if c["rising"] else ""), c["label"],
             c["representatives"][0]["title"] if c["representatives"] else ""] for c in report["clusters"]]
    typer.echo(_table(["id", "size", "heat", "adopted", "implemented", "emerging", "label", "example"], rows))
    done = " (recomputed)" if report["recomputed"] else ""
    _log(f"{report['k']} clusters over {report['n_items']} items{done}")


@app.command()
def adoption(
    by: Annotated[str, typer.Option(help="topic, department, channel, cluster or period")] = "topic",
    period: Annotated[str | None, typer.Option(help="year, quarter or month")] = None,
    as_json: JsonOpt = False, since: SinceOpt = None, until: UntilOpt = None,
) -> None:
    """Adoption and implementation rates per group (definitions in the JSON output)."""
    report = _service().issues.adoption(by, period, _date_opt(since), _date_opt(until))
    if as_json:
        _emit(report)
        return
    rows = [[k, g["n"], g["decided"], g["adopted"], g["partly_adopted"], g["implemented"], g["open"],
             _pct(g["adoption_rate"]), _pct(g["implementation_rate"])]
            for k, g in [*report["groups"].items(), ("total", report["total"])]]
    typer.echo(_table([report["by"], "n", "decided", "adopted", "partly", "implemented", "open", "adoption",
                       "implementation"], rows))


@app.command()
def duplicates(
    threshold: Annotated[float | None, typer.Option(help="Cosine; default the service's duplicate threshold.")]
    = None,
    k: Annotated[int, typer.Option("-k", help="Neighbours looked at per item.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Groups of suggestions that raise the same issue, over the whole corpus."""
    report = _service().issues.duplicate_groups(threshold, k)
    if as_json:
        _emit(report)
        return
    for n, g in enumerate(report["groups"], start=1):
        typer.echo(f"group {n}: {g['size']} items, cosine {g['min_score']:.3f}-{g['max_score']:.3f}")
        typer.echo(_table(["id", "external_id", "title"],
                          [[x["id"], x["external_id"], x["title"]] for x in g["items"]], max_width=60))
    _log(f"{report['n_groups']} groups, {report['n_items']} items, threshold {report['threshold']}")


@app.command()
def embed(
    data: Annotated[str, typer.Option("--data", help="CSV, XLSX or JSONL.")],
    text: Annotated[list[str], typer.Option("--text", help="Text column; repeat to join several.")],
    out: Annotated[str, typer.Option("--out", help="Output .npy: one normalised row per input row, in order.")],
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Embed texts with the default sentence-embedding model, to check it on your own data."""
    from pathlib import Path

    import numpy as np

    from nlp_service.io.tabular import joined_text, read_rows, require_columns

    svc = _service()
    texts: list[str] = []
    for row in read_rows(Path(data), encoding=encoding):
        if not texts:
            require_columns(row, text, data)
        texts.append(joined_text(row, text))
    vecs = svc.encoder.encode([svc.pipeline.clean(t) if t.strip() else t for t in texts])
    np.save(out, vecs)
    _emit({"out": out, "rows": int(vecs.shape[0]), "dim": int(vecs.shape[1])})


@app.command()
def index(rebuild: Annotated[bool, typer.Option(help="Drop the saved indexes and rebuild from the database.")]
          = False) -> None:
    """Check the search indexes against the database (and repair them), or rebuild them."""
    svc = _service()
    _emit(svc.ops.sync_indexes(log=_log, rebuild=rebuild))


@app.command()
def similar(
    text: Annotated[str | None, typer.Argument(help="A new text; or use --id for a stored suggestion.")] = None,
    id_: Annotated[int | None, typer.Option("--id", help="A stored suggestion: more like this.")] = None,
    k: Annotated[int, typer.Option("-k")] = 5,
) -> None:
    """Similar past proposals with score, status, outcome and why they match."""
    for item in _service().search.similar(text, id_, k):
        _emit(item)


keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(name: str, role: Annotated[str, typer.Option(help="submitter, staff or admin")] = "staff") -> None:
    """Make a key; it is printed once and stored only as a hash."""
    from nlp_service.access.keys import create_key
    from nlp_service.access.roles import Role

    try:
        r = Role(role)
    except ValueError:
        raise typer.BadParameter(f"role must be submitter, staff or admin, not {role!r}") from None
    _emit({"name": name, "role": role, "key": create_key(_service().db, name, r, "cli")})


@keys_app.command("list")
def keys_list() -> None:
    from nlp_service.access.keys import list_keys

    for k in list_keys(_service().db):
        _emit(k)


@keys_app.command("revoke")
def keys_revoke(name: str) -> None:
    from nlp_service.access.keys import revoke_key

    revoke_key(_service().db, name, "cli")
    _emit({"name": name, "revoked": True})


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
