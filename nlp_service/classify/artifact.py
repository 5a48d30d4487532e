"""A trained model is a directory: ``manifest.json`` (what built it, from what, with which versions, how well
it did) and ``model.joblib``. Loading checks the checksum and the versions and refuses a bad artifact."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import joblib

from nlp_service.errors import ArtifactError
from nlp_service.storage.files import atomic_dir, sha256_file

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.joblib"
# Pickles are only safe with the same scikit-learn minor version; these must match to load.
_STRICT = ("scikit-learn",)
_RECORDED = ("scikit-learn", "numpy", "scipy", "jieba", "rjieba", "nlp_service")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _RECORDED:
        try:
            out[name] = version(name)
        except Exception:  # a library missing from metadata is recorded as unknown, not fatal
            out[name] = "unknown"
    return out


def _minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


def save_artifact(obj: Any, out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write to a temporary directory beside ``out_dir`` and swap it in, so a crash leaves the old one."""
    with atomic_dir(out_dir) as tmp:
        joblib.dump(obj, tmp / MODEL_FILE, compress=3)
        full = {
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": library_versions(),
            **manifest,
            "files": {MODEL_FILE: sha256_file(tmp / MODEL_FILE)},
        }
        (tmp / MANIFEST).write_text(json.dumps(full, ensure_ascii=False, indent=2), encoding="utf-8")
    return out_dir


def read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / MANIFEST
    if not path.is_file():
        raise ArtifactError(f"{model_dir}: not a model artifact (no {MANIFEST}); "
                            "train one with `nlp-service train`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{path}: manifest is corrupt ({e})") from e
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"{model_dir}: artifact format {manifest.get('format_version')!r}, "
                            f"this version reads {FORMAT_VERSION}; retrain the model")
    return manifest


def load_artifact(model_dir: Path) -> tuple[Any, dict[str, Any]]:
    manifest = read_manifest(model_dir)
    model_path = model_dir / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactError(f"{model_dir}: {MODEL_FILE} is missing")
    expected = manifest.get("files", {}).get(MODEL_FILE)
    if expected != sha256_file(model_path):
        raise ArtifactError(f"{model_dir}: {MODEL_FILE} does not match its checksum (corrupt or altered)")
    current = library_versions()
    for lib in _STRICT:
        built = manifest.get("versions", {}).get(lib, "unknown")
        if _minor(built) != _minor(current[lib]):
            raise ArtifactError(f"{model_dir}: built with {lib} {built}, running {current[lib]}; "
                                "retrain the model")
    try:
        obj = joblib.load(model_path)
    except Exception as e:  # unpickling errors come in many types
        raise ArtifactError(f"{model_dir}: cannot load {MODEL_FILE} ({type(e).__name__}: {e})") from e
    return obj, manifest
