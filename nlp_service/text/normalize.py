"""Turn scraped, pasted or typed Chinese text into one clean canonical form.

The steps run until the text stops changing, so ``normalize`` is idempotent by construction: unescaping an
entity can reveal a tag, and removing a tag can join an entity back together.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

import opencc

# Chinese punctuation stays full-width: it is how the text is written, and NFKC would turn "，" into ",".
_KEEP = set("，。！？：；（）、…—“”‘’《》【】〔〕「」『』·～①②③④⑤⑥⑦⑧⑨⑩")
_DROP = dict.fromkeys(map(ord, "\ufffd\u200b\u200c\u200d\u2060\ufeff\u00ad"))

_SCRIPT_STYLE = re.compile(r"<(script|style|noscript|iframe)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
# Fragments left when a page was cut or mis-decoded: "</p", "?/p>", "/div>", "<br".
_TAG_NAMES = r"(?:p|div|span|br|li|ul|ol|a|strong|em|b|i|u|font|td|tr|th|table|tbody|h[1-6]|section|article|img)"
_TAG_FRAGMENT = re.compile(rf"(?:\?/|</|/){_TAG_NAMES}\s*>|</{_TAG_NAMES}\b|<{_TAG_NAMES}\s*/?(?=$|[^a-zA-Z])")
# A Chinese character followed by its pinyin in brackets, as some sites print: 統(tǒng)戰(zhàn).
_PINYIN_NOTE = re.compile(r"([\u3400-\u9fff])[(（]([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7})[)）]")
_SPACES = re.compile(r"[ \t\r\f\v\u3000\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _toned_syllables() -> frozenset[str]:
    """Every toned pinyin syllable pypinyin knows, to tell a pinyin note from an English word in brackets."""
    from pypinyin.pinyin_dict import pinyin_dict

    syllables: set[str] = set()
    for readings in pinyin_dict.values():
        syllables.update(readings.split(","))
    return frozenset(s for s in syllables if any(ord(c) > 127 for c in s))


@cache
def _width_table() -> dict[int, str]:
    """NFKC per character, except the Chinese punctuation we keep (built once, ~65k lookups)."""
    table: dict[int, str] = {}
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if ch in _KEEP:
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch:
            table[cp] = folded
    return table


# Where a block ends the line ends: a page's <nav> run into its <h1> made one "title" of both.
_BLOCK_END = re.compile(r"<(?:br|/(?:p|div|li|tr|td|th|h[1-6]|nav|header|footer|section|article|aside|ul|ol|dd|"
                        r"dt|table|blockquote|title|figcaption))\b[^>]*>", re.I)


def strip_html(text: str) -> str:
    """Remove markup, entities and stray tag fragments, keeping block breaks as newlines."""
    for _ in range(3):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _SCRIPT_STYLE.sub(" ", text)
    text = _COMMENT.sub(" ", text)
    text = _BLOCK_END.sub("\n", text)
    text = _TAG.sub("", text)
    return _TAG_FRAGMENT.sub("", text)


def strip_pinyin_notes(text: str) -> str:
    """``統(tǒng)`` -> ``統``; a bracketed English word after a character is left alone."""
    syllables = _toned_syllables()

    def repl(m: re.Match[str]) -> str:
        return m.group(1) if m.group(2).lower() in syllables else m.group(0)

    return _PINYIN_NOTE.sub(repl, text)


def to_simplified(text: str) -> str:
    return _converter().convert(text)


def fold_width(text: str) -> str:
    """Full-width letters, digits and symbols to ASCII; compatibility forms to their canonical ones."""
    return unicodedata.normalize("NFC", text.translate(_width_table()))


def collapse_whitespace(text: str, keep_newlines: bool = True) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    if not keep_newlines:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def _once(text: str, keep_newlines: bool) -> str:
    text = text.translate(_DROP)
    text = strip_html(text)
    text = strip_pinyin_notes(text)
    text = fold_width(text)
    text = to_simplified(text)
    return collapse_whitespace(text, keep_newlines)


def normalize(text: str, keep_newlines: bool = True) -> str:
    """Clean one text: HTML, pinyin notes, width, traditional -> simplified, whitespace."""
    for _ in range(6):
        cleaned = _once(text, keep_newlines)
        if cleaned == text:
            break
        text = cleaned
    return text
