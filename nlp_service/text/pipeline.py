"""The text pipeline as one object: clean -> segment -> keywords -> entities, built from corpora/."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from nlp_service.domain.records import MAX_TEXT_CHARS, check_length
from nlp_service.domain.taxonomy import Taxonomy, load_taxonomy
from nlp_service.errors import BadInputError
from nlp_service.text.entities import Entity, EntityExtractor
from nlp_service.text.keywords import keywords
from nlp_service.text.normalize import normalize
from nlp_service.text.segment import Segmenter, build_segmenter


class TextPipeline:
    """Heavy parts (dictionaries, spaCy) load on first use, so a CLI call pays only for what it runs."""

    def __init__(self, corpora_dir: Path, max_chars: int = MAX_TEXT_CHARS) -> None:
        self.corpora_dir = corpora_dir
        self.max_chars = max_chars

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return load_taxonomy(self.corpora_dir)

    @cached_property
    def segmenter(self) -> Segmenter:
        return build_segmenter(self.corpora_dir, self.taxonomy)

    @cached_property
    def entity_extractor(self) -> EntityExtractor:
        return EntityExtractor(self.segmenter, self.taxonomy)

    def clean(self, text: str) -> str:
        cleaned = normalize(check_length(text, self.max_chars))
        if not cleaned:
            raise BadInputError("text is empty after cleaning")
        return cleaned

    def for_embedding(self, text: str) -> str:
        """What the encoder reads of one text: the cleaned text, or the text as given when cleaning leaves
        nothing (a blank cell, a cell of markup only), so one such row in a large file does not stop a job."""
        return normalize(check_length(text, self.max_chars)) or text

    def tokens(self, text: str) -> list[str]:
        return self.segmenter.tokens(self.clean(text))

    def keywords(self, text: str, k: int = 10, method: str = "tfidf") -> list[tuple[str, float]]:
        return keywords(self.tokens(text), k, method)

    def entities(self, text: str) -> list[Entity]:
        return self.entity_extractor.extract(self.clean(text), clean=False)
