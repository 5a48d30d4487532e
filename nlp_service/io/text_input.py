"""Read one text from a file or standard input, refusing binary, mis-encoded or empty input clearly."""

from __future__ import annotations

import sys
from pathlib import Path

from nlp_service.errors import BadInputError

_BOM = b"\xef\xbb\xbf"


def is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")


def encoding_hint(encoding: str) -> str:
    return (" If it is GBK/GB18030 (common for Excel exports in China), pass --encoding gb18030."
            if is_utf8(encoding) else "")


def decode_text(data: bytes, source: str, encoding: str = "utf-8") -> str:
    """The text of ``data``. A byte that does not decode is named by line and byte offset in the file (the
    error's context carries ``offset``, so a reader of rows can name the row and column too)."""
    if b"\x00" in data[:8192]:
        raise BadInputError(f"{source}: looks like a binary file (NUL bytes), not text")
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as e:
        offset = skip + e.start
        line = data.count(b"\n", 0, offset) + 1
        raise BadInputError(
            f"{source}: not valid {encoding} at line {line} (byte offset {offset}: 0x{data[offset]:02x})."
            f"{encoding_hint(encoding)}", offset=offset, line=line
        ) from e
    except LookupError as e:
        raise BadInputError(f"unknown encoding {encoding!r}") from e
    if not text.strip():
        raise BadInputError(f"{source}: empty input (no text at all)")
    return text


def read_text(path: str | None, encoding: str = "utf-8") -> str:
    """``None`` or ``-`` reads standard input."""
    if path in (None, "-"):
        return decode_text(sys.stdin.buffer.read(), "standard input", encoding)
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{path}: no such file")
    return decode_text(p.read_bytes(), path, encoding)
