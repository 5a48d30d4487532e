"""Training, calibrated prediction, artifacts that refuse to load when damaged, and the train/predict CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import CORPORA, ROOT

from nlp_service.classify.artifact import load_artifact
from nlp_service.classify.evaluate import coverage_curve, expected_calibration_error, threshold_for_precision
from nlp_service.classify.training import TrainConfig, corpus_checksum, package, train_classifier
from nlp_service.errors import ArtifactError
from nlp_service.storage.corpus import load_suggestions


@pytest.fixture(scope="module")
def labelled(segmenter):
    items = load_suggestions(CORPORA)
    return [segmenter.tokens(s.text) for s in items], [s.topic for s in items]


@pytest.fixture(scope="module")
def trained(labelled, tmp_path_factory):
    docs, labels = labelled
    config = TrainConfig(cv=3)
    model, metrics = train_classifier(docs, labels, config)
    out = tmp_path_factory.mktemp("art") / "topic"
    package(model, metrics, out, config, name="topic", source="corpus", checksum=corpus_checksum(
        [" ".join(d) for d in docs], labels), n=len(docs))
    return model, metrics, out


def test_metrics_are_real(trained, labelled):
    _, metrics, _ = trained
    assert metrics["n"] == round(len(labelled[0]) * 0.2)
    assert 0.4 < metrics["macro_f1"] <= 1.0  # 16 topics, ~65 examples each: far above chance (1/16)
    assert 0 <= metrics["ece"] < 0.2
    assert set(metrics["per_class"]) == set(labelled[1])


def test_probabilities_sum_to_one_and_explain(trained, segmenter):
    model = trained[0]
    pred = model.predict([segmenter.tokens("学校门口接送孩子的车太多，早上堵得走不动")])[0]
    assert pred.label in model.classes_
    assert abs(sum(model.predict_proba([["堵车"]])[0]) - 1) < 1e-6
    assert pred.reasons and all(isinstance(w, str) for w in pred.reasons)


def test_artifact_round_trip_and_refusals(trained):
    _, _, out = trained
    model, manifest = load_artifact(out)
    assert manifest["labels"] == model.classes_ and manifest["training"]["rows"] > 0
    assert {"scikit-learn", "numpy", "jieba", "python"} <= set(manifest["versions"])
    blob = out / "model.joblib"
    data = blob.read_bytes()
    blob.write_bytes(data[:-10] + b"0123456789")
    with pytest.raises(ArtifactError, match="checksum"):
        load_artifact(out)
    blob.write_bytes(data)
    m = json.loads((out / "manifest.json").read_text())
    m["versions"]["scikit-learn"] = "0.1.0"
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ArtifactError, match="retrain"):
        load_artifact(out)
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="corrupt"):
        load_artifact(out)
    with pytest.raises(ArtifactError, match="not a model artifact"):
        load_artifact(out.parent / "nothing")


def test_calibration_helpers():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(probs, y) == pytest.approx((0.1 + 0.2 + 0.6 + 0.3) / 4)
    curve = coverage_curve(probs, y, 4)
    assert [c["accuracy"] for c in curve] == [1.0, 1.0, 1.0, 0.75]
    assert threshold_for_precision(probs, y, 1.0)["coverage"] == 0.75


def test_train_and_predict_cli(tmp_path):
    import csv

    rows = [("路灯坏了晚上很黑", "城管"), ("垃圾桶满了没人清运", "城管"), ("占道经营太乱", "城管"),
            ("公交车班次太少", "交通"), ("地铁换乘太远", "交通"), ("红绿灯时间太短", "交通")] * 6
    with (tmp_path / "t.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["标题", "内容", "类别"])
        for i, (t, y) in enumerate(rows):
            w.writerow([t, f"第{i}条", y])
    out = tmp_path / "m"
    r = subprocess.run([sys.executable, "-m", "nlp_service.cli", "train", "--data", str(tmp_path / "t.csv"),
                        "--text", "标题", "--text", "内容", "--label", "类别", "--out", str(out)],
                       capture_output=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    assert "macro-F1" in r.stderr.decode()
    with (tmp_path / "p.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["标题"], ["路灯不亮"], ["公交太挤"]])
    r = subprocess.run([sys.executable, "-m", "nlp_service.cli", "predict", "--model", str(out), "--data",
                        str(tmp_path / "p.csv"), "--text", "标题"], capture_output=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    preds = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [p["row"] for p in preds] == [2, 3]
    assert [p["label"] for p in preds] == ["城管", "交通"]
    assert all(0.5 < p["probability"] <= 1 for p in preds)
    r = subprocess.run([sys.executable, "-m", "nlp_service.cli", "train", "--data", str(tmp_path / "t.csv"),
                        "--text", "nope", "--label", "类别", "--out", str(out)], capture_output=True, cwd=ROOT)
    assert r.returncode == 2 and "no column 'nope'" in r.stderr.decode()
