"""Chinese word segmentation: the single source of tokens for features, keywords, search and labels.

Two engines hold the same dictionary: jieba (the reference) and rjieba (jieba-rs, about 10x faster).
rjieba keeps ASCII runs such as ``LIST-PUB`` whole where jieba splits them, so those few tokens are re-cut
by jieba; ``bench/bench_segment.py`` measures both speed and agreement.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jieba
import rjieba

from nlp_service.domain.taxonomy import Taxonomy

jieba.setLogLevel(logging.WARNING)

# Where rjieba and jieba part ways: an ASCII letter or digit touching one of jieba's joiner characters.
_JOINED_ASCII = re.compile(r"[A-Za-z0-9][+#&._%\-]|[+#&._%\-][A-Za-z0-9]")
_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@dataclass(frozen=True)
class Entry:
    word: str
    freq: int | None = None
    tag: str | None = None


def read_dictionary(path: Path) -> list[Entry]:
    """``word [freq] [tag]`` lines; ``#`` starts a comment."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        entries.append(Entry(parts[0], freq, tag))
    return entries


def read_wordlist(path: Path) -> set[str]:
    return {w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip() and w[0] != "#"}


class Segmenter:
    """Owns its jieba.Tokenizer and rjieba.Jieba; nothing touches jieba's global state."""

    def __init__(self, entries: Iterable[Entry] = (), stopwords: Iterable[str] = (), fast: bool = True) -> None:
        self.fast = fast
        self.stopwords = frozenset(stopwords)
        self._ref = jieba.Tokenizer()
        self._ref.initialize()
        self._fast = rjieba.Jieba() if fast else None
        for e in entries:
            # One frequency for both engines, so they agree on domain terms.
            freq = e.freq or max(self._ref.suggest_freq(e.word, tune=False), 1000)
            self._ref.add_word(e.word, freq, e.tag)
            if self._fast is not None:
                self._fast.add_word(e.word, freq, e.tag)

    def reference_cut(self, text: str) -> list[str]:
        return self._ref.lcut(text)

    def cut(self, text: str) -> list[str]:
        """All tokens, whitespace and punctuation included, in jieba's segmentation."""
        if self._fast is None:
            return self._ref.lcut(text)
        toks = self._fast.cut(text)
        if not _JOINED_ASCII.search(text):
            return toks
        out: list[str] = []
        for tok in toks:
            if len(tok) > 1 and _JOINED_ASCII.search(tok):
                out.extend(self._ref.lcut(tok))
            else:
                out.append(tok)
        return out

    def tokens(self, text: str) -> list[str]:
        """Content tokens: no whitespace, punctuation or stopwords. What features and search index."""
        return [
            t for t in self.cut(text)
            if not t.isspace() and _WORDLIKE.search(t) and t not in self.stopwords
        ]



def build_segmenter(corpora_dir: Path, taxonomy: Taxonomy | None = None, fast: bool = True) -> Segmenter:
    """The project's segmenter: domain terms, department names, places and stopwords from corpora/."""
    from spacy.lang.zh.stop_words import STOP_WORDS

    entries = read_dictionary(corpora_dir / "dictionary" / "domain_terms.txt")
    if taxonomy is not None:
        entries += [Entry(n, None, "nt") for d in taxonomy.departments for n in d.names]
        entries += [Entry(p, None, "ns") for p in taxonomy.place_names]
    stop = set(STOP_WORDS)
    for path in sorted((corpora_dir / "stopwords").glob("*.txt")):
        stop |= read_wordlist(path)
    return Segmenter(entries, stop, fast=fast)
