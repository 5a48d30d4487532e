"""One partition in, its output table out: what ``embed`` and ``predict`` compute for each row, as Arrow."""

from __future__ import annotations

from typing import Any

from nlp_service.batch.models import Loaded
from nlp_service.errors import BadInputError


def embed_table(models: Loaded, ids: Any, texts: list[str]) -> Any:
    """``id`` beside ``vector`` (list of float32, unit length): the `embed` command's vectors."""
    import pyarrow as pa

    vecs = models.encoder.encode(_each(ids, texts, models.pipeline.for_embedding))
    dim = vecs.shape[1]
    offsets = pa.array(range(0, (len(texts) + 1) * dim, dim), type=pa.int32())
    vectors = pa.ListArray.from_arrays(offsets, pa.array(vecs.reshape(-1), type=pa.float32()))
    return pa.table({"id": ids, "vector": vectors})


def route_table(models: Loaded, ids: Any, texts: list[str], k: int = 3) -> Any:
    """``id`` beside ``label``, ``probability`` and ``top`` (a list of {label, probability}): what `predict`
    prints for the row."""
    import pyarrow as pa

    from nlp_service.classify.predict import text_tokens

    segmenter = models.pipeline.segmenter
    results = models.classifier.predict_tokens(_each(ids, texts, lambda t: text_tokens(segmenter, t)), k)
    return pa.table({
        "id": ids,
        "label": pa.array([r["label"] for r in results]),
        "probability": pa.array([r["probability"] for r in results], type=pa.float64()),
        "top": pa.array([r["top"] for r in results]),
    })


def _each(ids: Any, texts: list[str], fn: Any) -> list[Any]:
    """``fn`` over the texts; a row it refuses (a text over the length limit) is named by its id."""
    out = []
    for i, t in enumerate(texts):
        try:
            out.append(fn(t))
        except BadInputError as e:
            raise BadInputError(f"id {ids[i].as_py()!r}: {e.message}") from e
    return out
