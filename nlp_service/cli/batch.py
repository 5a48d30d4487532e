"""`nlp-service batch embed|route`: the work of `embed` and `predict` over many rows, on Dask."""

from __future__ import annotations

from typing import Annotated

import typer

from nlp_service.cli.common import EncodingOpt, app, emit, log, make_settings

batch_app = typer.Typer(no_args_is_help=True, help="Embed or route many rows on a Dask cluster; Parquet out.")
app.add_typer(batch_app, name="batch")

InputOpt = Annotated[str, typer.Option("--input", help="CSV, XLSX, JSONL or Parquet (a file or a folder).")]
TextOpt = Annotated[list[str], typer.Option("--text", help="Text column; repeat to join several (as `predict`).")]
IdOpt = Annotated[str, typer.Option("--id", help="Column written beside each result, as given.")]
OutputOpt = Annotated[str, typer.Option("--output", help="Output folder: one Parquet part per partition.")]
SchedulerOpt = Annotated[str | None, typer.Option(help="A Dask scheduler, e.g. tcp://host:8786; none starts a "
                                                       "LocalCluster here.")]
WorkersOpt = Annotated[int | None, typer.Option(help="LocalCluster worker processes (default: one per core).")]
PartitionOpt = Annotated[int, typer.Option(help="Rows per partition (and per output part).")]


def _run(kind: str, input_: str, text: list[str], id_: str, output: str, scheduler: str | None,
         workers: int | None, partition_rows: int, encoding: str, model: str | None = None) -> None:
    from pathlib import Path

    from nlp_service.batch.job import run_job
    from nlp_service.batch.models import BatchModels, check_model_dirs
    from nlp_service.batch.source import plan_input

    s = make_settings()
    plugin = BatchModels(kind, s.corpora_dir, s.embedding_model_dir, Path(model) if model else None,
                         s.max_text_chars)
    check_model_dirs(kind, plugin.embedding_dir, plugin.classifier_dir)
    if workers is not None and workers < 1:
        raise typer.BadParameter("--workers must be at least 1")
    source = plan_input(Path(input_), text, id_, partition_rows, encoding)
    log(f"{source.path}: {source.rows} rows ({source.fmt}) in {len(source.parts)} partitions")
    emit(run_job(source, plugin, Path(output), text, id_, partition_rows, scheduler, workers, log))


@batch_app.command("embed")
def embed(input_: InputOpt, text: TextOpt, id_: IdOpt, output: OutputOpt, scheduler: SchedulerOpt = None,
          workers: WorkersOpt = None, partition_rows: PartitionOpt = 10_000, encoding: EncodingOpt = "utf-8"
          ) -> None:
    """`id` beside `vector` (float32, unit length), the vectors `embed` writes."""
    _run("embed", input_, text, id_, output, scheduler, workers, partition_rows, encoding)


@batch_app.command("route")
def route(input_: InputOpt, text: TextOpt, id_: IdOpt, output: OutputOpt,
          model: Annotated[str, typer.Option("--model", help="Artifact directory from `train`.")],
          scheduler: SchedulerOpt = None, workers: WorkersOpt = None, partition_rows: PartitionOpt = 10_000,
          encoding: EncodingOpt = "utf-8") -> None:
    """`id` beside `label`, `probability` and `top`, what `predict --model` prints for the row."""
    _run("route", input_, text, id_, output, scheduler, workers, partition_rows, encoding, model)
