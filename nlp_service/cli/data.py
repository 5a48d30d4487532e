"""Set-up, import/export, training and prediction, routing, reports and the server."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nlp_service.cli.common import (
    EncodingOpt,
    app,
    emit,
    log,
    make_pipeline,
    make_service,
    make_settings,
)


@app.command()
def setup() -> None:
    """Create the database, load the embedded corpus and train the default models (skips what is done)."""
    make_service().ops.setup(log=log)
    log("ready")


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

    from nlp_service.errors import ImportFailedError
    from nlp_service.io.importer import error_dict, parse_mapping

    svc = make_service()
    mapping = parse_mapping(map_)
    try:
        with tqdm(desc="rows", unit=" rows", file=sys.stderr, disable=None) as bar:
            report = svc.suggestions.import_file(Path(path), mapping, mode, encoding, progress=bar.update)
    except ImportFailedError as failed:  # every bad row, not only the first few in the message
        for e in map(error_dict, failed.errors):
            log(f"bad row {e['row']}" + (f", column {e['column']!r}" if e["column"] else "")
                + (f" (cell {e['cell']})" if e.get("cell") else "") + f": {e['reason']}")
        raise
    for e in report["errors"]:
        log(f"skipped row {e['row']}" + (f", column {e['column']!r}" if e["column"] else "")
            + (f" (cell {e['cell']})" if e.get("cell") else "") + f": {e['reason']}")
    for note in report.get("notes", []):
        log(f"note: {note}")
    emit({k: v for k, v in report.items() if k not in ("errors", "notes")})


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
    n = make_service().suggestions.export_file(Path(path), r, **filters)
    emit({"path": path, "rows": n})


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

    p = make_pipeline()
    texts, labels = read_labelled(Path(data), text, label, encoding)
    log(f"read {len(texts)} rows, {len(set(labels))} labels; segmenting ...")
    docs = [p.segmenter.tokens(p.clean(t)) for t in texts]
    default = make_settings().project_root / "training" / "configs" / "classifier.yaml"
    path = Path(config) if config else default
    cfg = TrainConfig.from_file(path) if (config or default.is_file()) else TrainConfig()
    if target_precision is not None:
        cfg.target_precision = target_precision
    model, metrics = train_classifier(docs, labels, cfg, log=log)
    package(model, metrics, Path(out), cfg, name=Path(out).name, source=Path(data).name,
            checksum=corpus_checksum(texts, labels), n=len(texts), text_columns=text, label_column=label)
    typer.echo(format_report(metrics), err=True)
    emit({"out": out, "macro_f1": metrics["macro_f1"], "ece": metrics["ece"],
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
    p = make_pipeline()
    for result in predict_file(clf, p.segmenter, Path(data), text, encoding):
        emit(result)


@app.command()
def route(
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to route; none reads --file or stdin.")] = None,
    file: Annotated[str | None, typer.Option("--file", help="A text file: one suggestion per line.")] = None,
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Route suggestions to a topic and a department with the installed models."""
    from nlp_service.io.text_input import read_text

    svc = make_service()
    items = list(texts or [])
    if not items:
        items = [line for line in read_text(file, encoding).splitlines() if line.strip()]
    for t in items:
        emit({"text": t[:80], **svc.routing.route(t)})


@app.command()
def retrain(
    force: Annotated[bool, typer.Option(help="Replace the model in service even if worse.")] = False,
) -> None:
    """Retrain routing from the database: imported labels, staff corrections and acceptances. The old and new
    models are measured on the same held-out items first; a worse new model is refused unless --force."""
    svc = make_service()
    manifest = svc.routing.train(log=log, force=force)
    review = manifest["metrics"]["review"]
    emit({"model_dir": str(svc.settings.routing_model_dir), "thresholds": review["thresholds"],
          "joint_accuracy": review["joint_accuracy"], "automatic": {k: review[k] for k in
                                                                   ("topic", "department", "both")},
          "previous_model": manifest["metrics"].get("previous_model")})


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

        path = make_service().reports.build(since, until, fmt, Path(out), progress)
    emit({"path": str(path), "format": fmt, "bytes": path.stat().st_size})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default from NLP_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default from NLP_PORT.")] = None,
    skip_setup: Annotated[bool, typer.Option(help="Do not load the corpus or train missing models.")] = False,
) -> None:
    """Serve the API (and the staff page) on the embedded default data."""
    import uvicorn

    from nlp_service.api.app import create_app

    svc = make_service()
    if not skip_setup:
        svc.ops.setup(log=log)
    s = svc.settings
    h, p = host or s.host, port or s.port
    log(f"serving on http://{h}:{p}/  (API docs at http://{h}:{p}/docs)")
    import logging

    logging.basicConfig(level=s.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # uvicorn's access log prints query strings, which can hold personal data: the app logs paths instead.
    uvicorn.run(create_app(svc), host=h, port=p, log_level=s.log_level.lower(), access_log=False)
