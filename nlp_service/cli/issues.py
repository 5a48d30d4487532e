"""Issues, embeddings, indexes, similar items and API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from nlp_service.cli.common import (
    EncodingOpt,
    JsonOpt,
    SinceOpt,
    UntilOpt,
    app,
    date_opt,
    emit,
    log,
    make_service,
    pct,
    table,
)


@app.command()
def clusters(
    recompute: Annotated[bool, typer.Option("--recompute", help="Cluster again; ids kept by matching.")] = False,
    as_json: JsonOpt = False, since: SinceOpt = None, until: UntilOpt = None,
) -> None:
    """Issue clusters, hottest first: label, size, heat, adoption, emerging flags."""
    report = make_service().issues.clusters(recompute, date_opt(since), date_opt(until))
    if as_json:
        emit(report)
        return
    rows = [[c["id"], c["size"], f"{c['heat']:.1f}", pct(c["adoption"]["adoption_rate"]),
             pct(c["adoption"]["implementation_rate"]),
             ("new " if c["new"] else "") + ("rising" if c["rising"] else ""), c["label"],
             c["representatives"][0]["title"] if c["representatives"] else ""] for c in report["clusters"]]
    typer.echo(table(["id", "size", "heat", "adopted", "implemented", "emerging", "label", "example"], rows))
    done = " (recomputed)" if report["recomputed"] else ""
    log(f"{report['k']} clusters over {report['n_items']} items{done}")


@app.command("hot-issues")
def hot_issues(
    top: Annotated[int, typer.Option(help="How many, hottest first.")] = 20,
    xlsx: Annotated[str | None, typer.Option(help="Also write the ranked and the per-message tables here.")]
    = None,
    as_json: JsonOpt = False, since: SinceOpt = None, until: UntilOpt = None,
) -> None:
    """Specific problems many people raise together (events), hottest first: label, size, heat, time range."""
    from pathlib import Path

    from nlp_service.reports.hot_issues import write_hot_issues_xlsx

    result = make_service().issues.hot_issues(date_opt(since), date_opt(until), top)
    if xlsx:
        log(f"wrote {write_hot_issues_xlsx(result, Path(xlsx))}")
    if as_json:
        emit(result)
        return
    rows = [[n, e["size"], e["submitters"], e["likes"], f"{e['heat']:.1f}", f"{e['since']}..{e['until']}",
             e["label"]] for n, e in enumerate(result["issues"], start=1)]
    typer.echo(table(["rank", "messages", "people", "likes", "heat", "period", "label"], rows, max_width=60))
    log(f"{len(result['issues'])} hot issues over {result['n_messages']} messages")


@app.command()
def adoption(
    by: Annotated[str, typer.Option(help="topic, department, channel, cluster or period")] = "topic",
    period: Annotated[str | None, typer.Option(help="year, quarter or month")] = None,
    as_json: JsonOpt = False, since: SinceOpt = None, until: UntilOpt = None,
) -> None:
    """Adoption and implementation rates per group (definitions in the JSON output)."""
    report = make_service().issues.adoption(by, period, date_opt(since), date_opt(until))
    if as_json:
        emit(report)
        return
    rows = [[k, g["n"], g["decided"], g["adopted"], g["partly_adopted"], g["implemented"], g["open"],
             pct(g["adoption_rate"]), pct(g["implementation_rate"])]
            for k, g in [*report["groups"].items(), ("total", report["total"])]]
    typer.echo(table([report["by"], "n", "decided", "adopted", "partly", "implemented", "open", "adoption",
                       "implementation"], rows))


@app.command()
def duplicates(
    threshold: Annotated[float | None, typer.Option(help="P(same issue); default the pair model's threshold.")]
    = None,
    k: Annotated[int, typer.Option("-k", help="Neighbours looked at per item.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Groups of suggestions that raise the same issue, over the whole corpus."""
    report = make_service().issues.duplicate_groups(threshold, k)
    if as_json:
        emit(report)
        return
    for n, g in enumerate(report["groups"], start=1):
        typer.echo(f"group {n}: {g['size']} items, P(same issue) {g['min_probability']:.3f}-"
                   f"{g['max_probability']:.3f}")
        typer.echo(table(["id", "external_id", "title"],
                          [[x["id"], x["external_id"], x["title"]] for x in g["items"]], max_width=60))
    log(f"{report['n_groups']} groups, {report['n_items']} items, threshold {report['threshold']}")


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

    svc = make_service()
    texts: list[str] = []
    for row in read_rows(Path(data), encoding=encoding):
        if not texts:
            require_columns(row, text, data)
        texts.append(joined_text(row, text))
    vecs = svc.encoder.encode([svc.pipeline.for_embedding(t) for t in texts])
    np.save(out, vecs)
    emit({"out": out, "rows": int(vecs.shape[0]), "dim": int(vecs.shape[1])})


@app.command()
def index(rebuild: Annotated[bool, typer.Option(help="Drop the saved indexes and rebuild from the database.")]
          = False) -> None:
    """Check the search indexes against the database (and repair them), or rebuild them."""
    svc = make_service()
    emit(svc.ops.sync_indexes(log=log, rebuild=rebuild))


@app.command()
def similar(
    text: Annotated[str | None, typer.Argument(help="A new text; or use --id for a stored suggestion.")] = None,
    id_: Annotated[int | None, typer.Option("--id", help="A stored suggestion: more like this.")] = None,
    k: Annotated[int, typer.Option("-k")] = 5,
) -> None:
    """Similar past proposals with score, status, outcome and why they match."""
    for item in make_service().search.similar(text, id_, k):
        emit(item)


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
    emit({"name": name, "role": role, "key": create_key(make_service().db, name, r, "cli")})


@keys_app.command("list")
def keys_list() -> None:
    from nlp_service.access.keys import list_keys

    for k in list_keys(make_service().db):
        emit(k)


@keys_app.command("revoke")
def keys_revoke(name: str) -> None:
    from nlp_service.access.keys import revoke_key

    revoke_key(make_service().db, name, "cli")
    emit({"name": name, "revoked": True})


@app.command()
def pairs(
    data: Annotated[str, typer.Option("--data", help="CSV, XLSX or JSONL with one pair of texts a row.")],
    a: Annotated[str, typer.Option("--a", help="Column of the first text.")],
    b: Annotated[str, typer.Option("--b", help="Column of the second text.")],
    encoding: EncodingOpt = "utf-8",
    model: Annotated[str | None, typer.Option(help="Pair-decision artifact; default models/pairs.")] = None,
) -> None:
    """One JSON object per row, in order: duplicate (at the shipped threshold), probability, why."""
    from pathlib import Path

    from nlp_service.pairs.features import vocabulary
    from nlp_service.pairs.model import PairModel
    from nlp_service.pairs.rows import decide_file

    svc = make_service()
    head = PairModel.load(Path(model) if model else svc.settings.pair_model_dir)
    names = vocabulary(svc.pipeline.taxonomy)
    for answer in decide_file(head, svc.analyzer, names, Path(data), a, b, encoding):
        emit(answer)
