"""`nlp-service batch` on a real (local) Dask cluster: the same labels as `predict`, the same vectors as the
in-process encoder, resume by part, and bad input refused before anything is written.

One worker process and 40 rows, so the whole file stays well under a minute on two cores."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import CORPORA, ROOT

pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")

from nlp_service.batch.job import run_job  # noqa: E402
from nlp_service.batch.models import BatchModels  # noqa: E402
from nlp_service.batch.source import plan_input  # noqa: E402

MODEL_DIR = ROOT / "models" / "embedding" / "e5-small"
N = 40


@pytest.fixture(scope="module")
def items():
    from nlp_service.storage.corpus import load_suggestions

    return load_suggestions(CORPORA)


@pytest.fixture(scope="module")
def classifier_dir(items, segmenter, tmp_path_factory):
    """A small classifier trained on the corpus's first 600 items (topics), as `train` packages one."""
    from nlp_service.classify.training import TrainConfig, corpus_checksum, package, train_classifier

    train = items[:600]
    docs, labels = [segmenter.tokens(s.text) for s in train], [s.topic for s in train]
    config = TrainConfig(cv=3)
    model, metrics = train_classifier(docs, labels, config)
    out = tmp_path_factory.mktemp("clf") / "topic"
    package(model, metrics, out, config, name="topic", source="corpus",
            checksum=corpus_checksum([" ".join(d) for d in docs], labels), n=len(docs))
    return out


@pytest.fixture(scope="module")
def rows_csv(items, tmp_path_factory):
    """40 held-out items as a CSV: an id column, title and body (the body has line breaks inside quotes)."""
    path = tmp_path_factory.mktemp("in") / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["编号", "标题", "内容"])
        for s in items[-N:]:
            w.writerow([s.external_id, s.title, s.body.replace("。", "。\n", 1)])
    return path


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c.scheduler_address


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nlp_service.cli", "batch", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=240)


def test_route_gives_predicts_labels_and_probabilities(rows_csv, classifier_dir, segmenter, cluster, tmp_path):
    from nlp_service.classify.predict import LoadedClassifier, predict_file

    source = plan_input(rows_csv, ["标题", "内容"], "编号", partition_rows=15)
    assert [p.rows for p in source.parts] == [15, 15, 10]
    plugin = BatchModels("route", CORPORA, MODEL_DIR, classifier_dir)
    out = tmp_path / "out"
    summary = run_job(source, plugin, out, ["标题", "内容"], "编号", 15, scheduler=cluster, log=lambda _m: None)
    assert summary["written"] == 3 and summary["rows"] == N
    got = pq.read_table(out).to_pylist()  # the folder, as Spark or DuckDB would read it
    expected = list(predict_file(LoadedClassifier(classifier_dir), segmenter, rows_csv, ["标题", "内容"]))
    with rows_csv.open(encoding="utf-8", newline="") as f:
        ids = [r["编号"] for r in csv.DictReader(f)]
    assert [g["id"] for g in got] == ids
    assert [g["label"] for g in got] == [e["label"] for e in expected]
    assert [g["probability"] for g in got] == [e["probability"] for e in expected]
    assert [g["top"] for g in got] == [e["top"] for e in expected]
    assert len({e["label"] for e in expected}) > 1  # a test that a constant answer would not pass


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").is_file(), reason="e5-small is not built (nlp-service setup)")
def test_embed_vectors_match_the_in_process_encoder(items, pipeline, cluster, tmp_path):
    import pyarrow as pa

    from nlp_service.embedding.encoder import Encoder

    rows = items[-N:]
    folder = tmp_path / "parts"
    folder.mkdir()
    ids = list(range(1000, 1000 + N))  # integer ids stay integers
    for k, (a, b) in enumerate([(0, 25), (25, N)]):  # a folder of two files, row groups of 7 rows
        pq.write_table(pa.table({"rid": ids[a:b], "title": [s.title for s in rows[a:b]],
                                 "body": [s.body for s in rows[a:b]]}), folder / f"p{k}.parquet",
                       row_group_size=7)
    (folder / "_SUCCESS").write_text("")
    source = plan_input(folder, ["title", "body"], "rid", partition_rows=10)
    assert [p.rows for p in source.parts] == [10, 10, 5, 10, 5]
    out = tmp_path / "vec"
    run_job(source, BatchModels("embed", CORPORA, MODEL_DIR), out, ["title", "body"], "rid", 10,
            scheduler=cluster, log=lambda _m: None)
    table = pq.read_table(out)
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("vector").type == pa.list_(pa.float32())
    assert table.column("id").to_pylist() == ids
    got = np.array(table.column("vector").to_pylist(), dtype=np.float32)
    texts = [pipeline.for_embedding(f"{s.title}\n{s.body}") for s in rows]
    encoder = Encoder(MODEL_DIR, cache_size=0)
    # The int8 path quantises activations with one scale per ONNX call, so a text's vector depends slightly on
    # the texts batched with it (cosine ~0.9975 between one call over all 40 and four calls of 10). In-process,
    # the same partitions as the job: the same vectors.
    bounds = np.cumsum([0] + [p.rows for p in source.parts])
    want = np.vstack([encoder.encode(texts[a:b]) for a, b in itertools.pairwise(bounds)])
    assert _cosines(got, want).min() >= 0.999, _cosines(got, want).min()
    assert _cosines(got, encoder.encode(texts)).min() >= 0.995  # one call over all rows, as `embed` does


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").is_file(), reason="e5-small is not built (nlp-service setup)")
def test_a_row_the_job_refuses_is_named_by_its_id(rows_csv, items, cluster, tmp_path):
    from nlp_service.errors import BadInputError

    source = plan_input(rows_csv, ["标题", "内容"], "编号", partition_rows=N)
    plugin = BatchModels("embed", CORPORA, MODEL_DIR, max_chars=10)  # every text is longer than that
    with pytest.raises(BadInputError, match=f"id '{items[-N].external_id}': text has [0-9]+ characters"):
        run_job(source, plugin, tmp_path / "out", ["标题", "内容"], "编号", N, scheduler=cluster,
                log=lambda _m: None)
    assert not list((tmp_path / "out").glob("*.parquet"))


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.skipif(not (MODEL_DIR / "manifest.json").is_file(), reason="e5-small is not built (nlp-service setup)")
def test_plugin_loads_with_the_workers_threads_and_never_pickles_a_session(monkeypatch):
    import asyncio
    import pickle
    from types import SimpleNamespace

    from nlp_service.batch import models

    limited: list[int] = []
    monkeypatch.setattr(models, "limit_threads", limited.append)  # not this test process's BLAS pools
    plugin = BatchModels("embed", CORPORA, MODEL_DIR)
    asyncio.run(plugin.setup(SimpleNamespace(state=SimpleNamespace(nthreads=1))))
    assert limited == [1]
    encoder = plugin.loaded.encoder
    assert encoder._session.get_session_options().intra_op_num_threads == 1
    blob = pickle.dumps(plugin)
    assert len(blob) < 2000 and pickle.loads(blob).loaded is None


def test_restart_redoes_only_the_missing_part(rows_csv, classifier_dir, cluster, tmp_path):
    from nlp_service.errors import BadInputError

    out = tmp_path / "out"
    source = plan_input(rows_csv, ["标题", "内容"], "编号", partition_rows=10)
    plugin = BatchModels("route", CORPORA, MODEL_DIR, classifier_dir)
    summary = run_job(source, plugin, out, ["标题", "内容"], "编号", 10, scheduler=cluster, log=lambda _m: None)
    assert summary["written"] == 4
    parts = sorted(out.glob("part-*.parquet"))
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(4)]
    before = {p.name: p.stat().st_mtime_ns for p in parts}
    first = pq.read_table(out).to_pylist()
    parts[2].unlink()
    # The restart goes through the command line and its own LocalCluster.
    r = _cli("route", "--input", str(rows_csv), "--text", "标题", "--text", "内容", "--id", "编号", "--output",
             str(out), "--model", str(classifier_dir), "--workers", "1", "--partition-rows", "10")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["written"], summary["skipped"]) == (1, 3)
    assert "resuming: 3 of 4 parts already written" in r.stderr
    assert "part 00002 written: 10 rows" in r.stderr
    after = {p.name: p.stat().st_mtime_ns for p in sorted(out.glob("part-*.parquet"))}
    assert [n for n in after if after[n] != before[n]] == ["part-00002.parquet"]
    assert pq.read_table(out).to_pylist() == first
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    other = plan_input(rows_csv, ["标题", "内容"], "编号", partition_rows=20)  # another partitioning: refused
    with pytest.raises(BadInputError, match="partition_rows"):
        run_job(other, plugin, out, ["标题", "内容"], "编号", 20, scheduler=cluster, log=lambda _m: None)


def test_missing_column_or_file_is_one_clear_line_and_writes_nothing(rows_csv, classifier_dir, tmp_path):
    out = tmp_path / "out"
    r = _cli("route", "--input", str(rows_csv), "--text", "标题", "--text", "正文", "--id", "编号",
             "--output", str(out), "--model", str(classifier_dir))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: [E001] {rows_csv}: no column '正文'; columns are 编号, 标题, 内容"]
    r = _cli("route", "--input", str(rows_csv), "--text", "标题", "--id", "id", "--output", str(out),
             "--model", str(classifier_dir))
    assert r.returncode == 2 and "no column 'id'" in r.stderr
    r = _cli("route", "--input", str(tmp_path / "absent.parquet"), "--text", "t", "--id", "i", "--output",
             str(out), "--model", str(classifier_dir))
    assert r.returncode == 2 and "absent.parquet: no such file" in r.stderr
    assert not out.exists()
