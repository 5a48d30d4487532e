"""Find and mask personal data (phones, mainland ID numbers, e-mail, bank cards) for display and export.

Stored text keeps the original; masking happens on the way out, by role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![0-9])(?:\d[ -]?){15,18}\d(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0\d{2,3}-\d{7,8}(?![0-9])")


@dataclass(frozen=True)
class PiiSpan:
    kind: str  # phone | id_number | email | bank_card
    start: int
    end: int
    text: str


def valid_id_number(s: str) -> bool:
    """Mainland resident ID: region digits, a real birth date and the ISO 7064 check character."""
    if len(s) != 18 or not s[:17].isdigit():
        return False
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == s[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def find_pii(text: str) -> list[PiiSpan]:
    """Non-overlapping spans, the more specific kinds first (an ID number is not also a card)."""
    spans: list[PiiSpan] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, m: re.Match[str]) -> None:
        if any(m.start() < e and s < m.end() for s, e in taken):
            return
        spans.append(PiiSpan(kind, m.start(), m.end(), m.group(0)))
        taken.append((m.start(), m.end()))

    for m in _EMAIL.finditer(text):
        add("email", m)
    for m in _ID.finditer(text):
        if valid_id_number(m.group(0)):
            add("id_number", m)
    for m in _MOBILE.finditer(text):
        add("phone", m)
    for m in _LANDLINE.finditer(text):
        add("phone", m)
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 16 <= len(digits) <= 19 and luhn_ok(digits):
            add("bank_card", m)
    return sorted(spans, key=lambda s: s.start)


def _mask_one(span: PiiSpan) -> str:
    s = span.text
    if span.kind == "email":
        user, _, domain = s.partition("@")
        return f"{user[:1]}***@{domain}"
    digits = re.sub(r"\D", "", s)
    if span.kind == "phone":
        return digits[:3] + "****" + digits[-4:]
    if span.kind == "id_number":
        return s[:3] + "*" * 11 + s[-4:]
    return "**** **** **** " + digits[-4:]


def mask_pii(text: str) -> str:
    out, pos = [], 0
    for span in find_pii(text):
        out.append(text[pos : span.start])
        out.append(_mask_one(span))
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
