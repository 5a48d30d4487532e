"""One text analysed once: cleaned, segmented, entity-tagged and embedded into one value.

Routing, similar items, duplicates, storage and the response all read the same ``Document``, so "more like
this" embeds exactly the string that was stored, and no stage cleans or segments a text a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nlp_service.domain.records import item_text
from nlp_service.text.entities import Entity
from nlp_service.text.pipeline import TextPipeline

NAMED = ("GOV", "GPE", "ORG")  # the entity labels that name a unit, a place or an organisation


@dataclass(frozen=True)
class Document:
    text: str  # as stored: title and body joined by ``item_text``
    clean: str  # normalised, what every model reads
    tokens: list[str]
    vector: np.ndarray | None = None  # L2-normalised sentence embedding of ``clean``
    entities: tuple[Entity, ...] = ()
    names: frozenset[str] = field(default_factory=frozenset)  # units, places and organisations named


class Analyzer:
    """Builds Documents; ``embed`` maps clean texts to vectors (the index store's encoder)."""

    def __init__(self, pipeline: TextPipeline, embed: Callable[[list[str]], np.ndarray] | None = None) -> None:
        self.pipeline = pipeline
        self.embed = embed

    def analyze(self, text: str, *, vector: bool = True, entities: bool = True) -> Document:
        return self.analyze_many([text], vector=vector, entities=entities)[0]

    def item(self, title: str | None, body: str | None, **kw: bool) -> Document:
        return self.analyze(item_text(title, body), **kw)

    def analyze_many(self, texts: Sequence[str], *, vector: bool = True, entities: bool = False
                     ) -> list[Document]:
        cleans = [self.pipeline.clean(t) for t in texts]
        vecs = self.embed(cleans) if vector and self.embed is not None and cleans else None
        out = []
        for i, (text, clean) in enumerate(zip(texts, cleans, strict=True)):
            ents = tuple(self.pipeline.entity_extractor.extract(clean, clean=False)) if entities else ()
            out.append(Document(text, clean, self.pipeline.segmenter.tokens(clean),
                                None if vecs is None else vecs[i], ents,
                                frozenset(e.text for e in ents if e.label in NAMED)))
        return out
