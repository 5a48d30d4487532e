"""Sentence vectors from the e5-small directory that ``builder`` writes: a float32 baseline and a fast path.

The fast path (the default) is what the service uses: ONNX Runtime on int8 weights, batches of similar length
(and fewer texts per batch when they are long), an LRU cache keyed by the text's sha1, and duplicates inside
one call encoded once. Measured on this 2-core machine it is 3-4x the float32 sentence-transformers throughput
on short sentences with mean cosine ~0.997 to its vectors (bench/bench_embed.py prints the current numbers).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp_service.embedding.builder import MANIFEST, QUERY_PREFIX, missing_files, read_manifest
from nlp_service.embedding.onnx_int8 import build_onnx_int8, no_progress_bars, onnx_is_current, onnx_model_path
from nlp_service.errors import ArtifactError, BadInputError, ModelNotReadyError
from nlp_service.storage.files import sha256_file

BUILD_HINT = "build it with `python training/build_embedding_model.py`"
# Texts x padded length per ONNX call. Short sentences still go 32 at a time, 512-token texts 2 at a time:
# measured on long messages, 1-2k tokens per call takes half the time of 16k (32 x 512), whose attention
# buffers grow to hundreds of MB instead of staying in cache.
TOKENS_PER_BATCH = 1024
# ORT's fused SkipLayerNormalization kernel measured ~10% slower here than Add + LayerNormalization.
_DISABLED_ORT_FUSIONS = ["SkipLayerNormFusion"]


def _check_model_dir(model_dir: Path) -> dict[str, Any]:
    """Refuse early, with a message that says what to do, rather than fail deep inside a loader."""
    if not model_dir.is_dir():
        raise ModelNotReadyError(f"no embedding model at {model_dir}; {BUILD_HINT}")
    manifest = read_manifest(model_dir)
    if manifest is None:
        raise ArtifactError(f"{model_dir}: incomplete embedding model (no readable manifest.json); {BUILD_HINT}")
    bad = missing_files(model_dir, manifest)
    if bad:
        raise ArtifactError(f"{model_dir}: files missing or truncated: {', '.join(bad[:5])}; {BUILD_HINT}")
    return manifest


def _cpu_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Encoder:
    """L2-normalised e5 vectors (float32, one row per text, in input order); e5's "query: " prefix is added here.

    ``fast=False`` is plain sentence-transformers on torch float32, kept as the reference the fast path is
    measured against. Safe to share between threads: model calls are serialised by a lock (two cores gain
    nothing from running two batches at once).
    """

    def __init__(self, model_dir: Path, fast: bool = True, cache_size: int = 50_000,
                 max_seq_length: int = 512, threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.fast = fast
        self.max_seq_length = max_seq_length
        manifest = _check_model_dir(self.model_dir)
        self._prefix = str(manifest.get("query_prefix", QUERY_PREFIX))
        self._dim = int(manifest.get("dim", 384))
        self._cache_size = cache_size if fast else 0
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._threads = threads or _cpu_threads()
        if fast:
            self._tokenizer = self._load_tokenizer()
            self._session = self._load_session()
        else:
            self._st = self._load_sentence_transformer()

    @property
    def dim(self) -> int:
        return self._dim

    # --- loading -----------------------------------------------------------------------------------------------

    def _load_tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        except Exception as e:  # the tokenizers library raises plain Exception for unreadable files
            raise ArtifactError(f"{self.model_dir}: cannot read tokenizer.json ({e}); {BUILD_HINT}") from e
        tokenizer.enable_truncation(self.max_seq_length)
        tokenizer.no_padding()
        pad_id = tokenizer.token_to_id("<pad>")
        if pad_id is None:
            raise ArtifactError(f"{self.model_dir}: tokenizer.json has no <pad> token; {BUILD_HINT}")
        self._pad_id = int(pad_id)
        return tokenizer

    def _load_session(self) -> Any:
        """The int8 ONNX model, exported on first use (~30 s) and reused; a broken export is redone once."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        for attempt in (1, 2):
            if not onnx_is_current(self.model_dir):
                try:
                    build_onnx_int8(self.model_dir)
                except OSError as e:  # e.g. a read-only deployment that skipped the build step
                    raise ArtifactError(f"{self.model_dir}: cannot write the int8 ONNX copy ({e}); "
                                        f"{BUILD_HINT} where the directory is writable") from e
            path = onnx_model_path(self.model_dir)
            try:
                return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=_DISABLED_ORT_FUSIONS)
            except Exception as e:  # ORT raises its own exception types for a bad graph file
                if attempt == 2:
                    raise ArtifactError(f"{path}: cannot load the ONNX model ({e})") from e
                (path.parent / MANIFEST).unlink(missing_ok=True)  # forces a fresh export
        raise AssertionError("unreachable")

    def _load_sentence_transformer(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer

        try:
            with no_progress_bars():
                model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True,
                                            model_kwargs={"dtype": torch.float32, "add_pooling_layer": False})
        except Exception as e:  # safetensors / transformers raise many types for a damaged directory
            raise ArtifactError(f"{self.model_dir}: cannot load the model ({type(e).__name__}: {e}); "
                                f"{BUILD_HINT}") from e
        model.max_seq_length = self.max_seq_length
        return model

    # --- encoding ----------------------------------------------------------------------------------------------

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors for ``texts`` (n x dim, float32, unit length). Repeated texts are encoded once."""
        if isinstance(texts, str):
            raise BadInputError("encode() takes a list of texts, not a single string")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise BadInputError(f"text {i} is {type(t).__name__}, not str")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        if not self.fast:
            with self._model_lock:
                vecs = self._st.encode([self._prefix + t for t in texts], batch_size=batch_size,
                                       convert_to_numpy=True, normalize_embeddings=True)
            return np.asarray(vecs, dtype=np.float32)
        keys = [hashlib.sha1(t.encode("utf-8")).digest() for t in texts]
        todo: dict[bytes, list[int]] = {}
        with self._cache_lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is None:
                    todo.setdefault(key, []).append(i)
                else:
                    self._cache.move_to_end(key)
                    out[i] = hit
        if todo:
            firsts = [rows[0] for rows in todo.values()]
            vecs = self._encode_onnx([texts[i] for i in firsts], batch_size)
            for rows, vec in zip(todo.values(), vecs, strict=True):
                out[rows] = vec
            self._remember(list(todo), vecs)
        return out

    def _remember(self, keys: list[bytes], vecs: np.ndarray) -> None:
        if self._cache_size <= 0:
            return
        with self._cache_lock:
            for key, vec in zip(keys, vecs, strict=True):
                row = vec.copy()
                row.flags.writeable = False
                self._cache[key] = row
                self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def _encode_onnx(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Tokenise, sort by length, run batches capped by texts and by tokens, and put rows back in order."""
        encodings = self._tokenizer.encode_batch([self._prefix + t for t in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        start = 0
        while start < len(order):
            # Sorted ascending, so the longest text of a candidate batch is its last one.
            longest = int(lengths[order[min(start + batch_size, len(order)) - 1]])
            size = max(1, min(batch_size, TOKENS_PER_BATCH // max(longest, 1)))
            idx = order[start : start + size]
            start += size
            width = int(lengths[idx].max())
            ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, j in enumerate(idx):
                ids[row, : lengths[j]] = encodings[j].ids
                mask[row, : lengths[j]] = 1
            with self._model_lock:
                out[idx] = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


def fingerprint(model_dir: Path) -> dict[str, str]:
    """Which embedding model this is, for artifacts that read its vectors: the folder's name and the sha256 of
    its weights (the source checksum the builder recorded, else the weights file's own)."""
    manifest = read_manifest(model_dir) or {}
    sha = manifest.get("source_sha256")
    if not sha:
        weights = model_dir / "model.safetensors"
        sha = sha256_file(weights) if weights.is_file() else "absent"
    return {"name": model_dir.name, "sha256": sha}
