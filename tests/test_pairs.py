"""The pair decision: features that see what the embedding blurs, an artifact that refuses tampering, the CLI's
one answer per row, and the shipped model's figures on real pairs it never saw."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, SHARED_DATA, needs_shared

from nlp_service.errors import ArtifactError
from nlp_service.pairs.features import Side, names_in, scalars
from nlp_service.pairs.model import PairModel, why

PAIRS = ROOT / "models" / "pairs"


def _side(text, names=frozenset()):
    v = np.ones(4, np.float32) / 2
    return Side(text, list(text), v, frozenset(names))


def test_different_numbers_and_places_count_against():
    a = _side("望江小区3号楼电梯坏了", {"望江小区"})
    b = _side("望江小区5号楼电梯坏了", {"望江小区"})
    c = _side("朝阳小区3号楼电梯坏了", {"朝阳小区"})
    s = scalars(a, b)
    assert s["different_numbers"] == 1 and s["same_names"] == 1
    assert scalars(a, c)["different_names"] == 1 and scalars(a, c)["same_numbers"] == 1
    reasons = why(a, b)
    assert any("数字不同" in r for r in reasons["against"]) and any("望江小区" in r for r in reasons["for"])
    assert any("地点/单位不同" in r for r in why(a, c)["against"])
    assert names_in("临江区滨江街道路灯不亮", ["滨江街道", "临江区", "东湖区"]) == {"滨江街道", "临江区"}


def test_the_artifact_refuses_tampering(tmp_path):
    copy = tmp_path / "pairs"
    shutil.copytree(PAIRS, copy)
    assert PairModel.load(copy).threshold == json.loads((PAIRS / "manifest.json").read_text())["threshold"]
    model_file = next(p for p in copy.iterdir() if p.name != "manifest.json")
    model_file.write_bytes(model_file.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ArtifactError, match="checksum"):
        PairModel.load(copy)


@pytest.fixture(scope="module")
def e5():
    from nlp_service.embedding import build_e5_small

    return build_e5_small(ROOT / "models" / "embedding" / "e5-small")  # a no-op when it is built


def test_cli_prints_one_answer_per_row_in_order(tmp_path, e5):
    path = tmp_path / "pairs.csv"
    path.write_text("x,y\n临江区滨江街道路灯坏了,滨江街道那边路灯不亮了\n怎么办理护照,今天天气很好\n"
                    "望江小区3号楼电梯坏了,望江小区5号楼电梯坏了\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "nlp_service.cli", "pairs", "--data", str(path), "--a", "x",
                        "--b", "y"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["row"] for o in out] == [2, 3, 4]
    assert all({"duplicate", "probability", "why"} <= set(o) for o in out)
    assert out[0]["probability"] > out[1]["probability"] and out[1]["duplicate"] is False
    bad = subprocess.run([sys.executable, "-m", "nlp_service.cli", "pairs", "--data", str(path), "--a", "x",
                          "--b", "nope"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert bad.returncode == 2 and "nope" in bad.stderr


@needs_shared(SHARED_DATA / "lcqmc_dev.tsv")
def test_shipped_figures_beat_the_raw_cosine_on_unseen_pairs():
    figures = json.loads((PAIRS / "manifest.json").read_text())["evaluation"]
    for kind in ("lcqmc", "bq"):
        ours, cosine = figures[kind]["model"], figures[kind]["cosine_0.94"]
        assert ours["accuracy"] > cosine["accuracy"] and ours["precision"] > cosine["precision"], kind
