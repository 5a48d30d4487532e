"""The entity layer: a spaCy Chinese pipeline on our own segmentation, with rule-based entities from corpora/.

Labels: GOV (a government department, ``id`` = department id, so 市交运委 and 交通运输局 resolve to one unit),
GPE (places), ORG (organisations such as 新联会 and 工商联), FIGURE (counts of suggestions; see figures.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp_service.domain.taxonomy import Taxonomy
from nlp_service.text.figures import extract_figures
from nlp_service.text.normalize import normalize
from nlp_service.text.segment import Segmenter

ORGANISATIONS = (
    "新联会", "新的社会阶层人士联谊会", "知联会", "党外知识分子联谊会", "工商联", "工商业联合会", "总商会",
    "政协", "人大", "人大常委会", "统战部", "民建", "民盟", "民进", "农工党", "致公党", "九三学社", "台盟",
    "民革", "欧美同学会", "侨联", "妇联", "团市委", "共青团", "总工会", "残联", "红十字会", "居委会", "村委会",
    "业委会", "物业公司", "商会", "行业协会",
)


@dataclass(frozen=True)
class Entity:
    text: str
    label: str
    start: int
    end: int
    id: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class _SegmenterTokenizer:
    """spaCy tokenizer that delegates to our Segmenter, so entities see the same tokens as everything else."""

    def __init__(self, vocab: spacy.vocab.Vocab, segmenter: Segmenter) -> None:
        self.vocab = vocab
        self.segmenter = segmenter

    def __call__(self, text: str) -> Doc:
        words = [w for w in self.segmenter.cut(text) if w]
        # Keep whitespace inside tokens out of the words: spaCy stores it as trailing space.
        out_words, spaces = [], []
        for w in words:
            if w.isspace() and out_words:
                spaces[-1] = True
                extra = w[1:]
                if extra:
                    out_words.append(extra)
                    spaces.append(False)
            else:
                out_words.append(w)
                spaces.append(False)
        return Doc(self.vocab, words=out_words, spaces=spaces)

    def to_disk(self, path: Path, **kwargs: object) -> None:  # pragma: no cover - spaCy protocol
        pass

    def from_disk(self, path: Path, **kwargs: object) -> _SegmenterTokenizer:  # pragma: no cover
        return self


def build_nlp(segmenter: Segmenter, taxonomy: Taxonomy) -> Language:
    nlp = spacy.blank("zh")
    nlp.tokenizer = _SegmenterTokenizer(nlp.vocab, segmenter)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH", "overwrite_ents": True})
    patterns: list[dict[str, object]] = []
    for dep in taxonomy.departments:
        patterns += [{"label": "GOV", "pattern": n, "id": dep.id} for n in dep.names]
    patterns += [{"label": "GPE", "pattern": p} for p in taxonomy.place_names]
    patterns += [{"label": "ORG", "pattern": o} for o in ORGANISATIONS]
    ruler.add_patterns(patterns)
    return nlp


class EntityExtractor:
    """Entities from the spaCy pipeline plus suggestion figures, with character offsets into the clean text."""

    def __init__(self, segmenter: Segmenter, taxonomy: Taxonomy) -> None:
        self.nlp = build_nlp(segmenter, taxonomy)
        self.taxonomy = taxonomy

    def extract(self, text: str, clean: bool = True) -> list[Entity]:
        """Figures keep their exact character span even where it cuts a token (有近|百条 -> 近百条)."""
        text = normalize(text) if clean else text
        ents = [_entity(e) for e in self.nlp(text).ents]
        for f in extract_figures(text):
            if not any(e.start < f.end and f.start < e.end for e in ents):
                ents.append(Entity(text[f.start : f.end], "FIGURE", f.start, f.end, f.kind))
        return sorted(ents, key=lambda e: e.start)



def _entity(span: Span) -> Entity:
    return Entity(span.text, span.label_, span.start_char, span.end_char, span.ent_id_ or None)
