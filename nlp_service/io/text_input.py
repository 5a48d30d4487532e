"""Read one text from a file or standard input, refusing binary, mis-encoded or empty input clearly."""

from __future__ import annotations

import sys
from pathlib import Path

from nlp_service.errors import BadInputError


def decode_text(data: bytes, source: str, encoding: str = "utf-8") -> str:
    if b"\x00" in data[:8192]:
        raise BadInputError(f"{source}: looks like a binary file (NUL bytes), not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        hint = " If it is GBK/GB18030 (common for Excel exports), pass --encoding gb18030." if encoding.lower(
        ).replace("-", "") == "utf8" else ""
        raise BadInputError(
            f"{source}: not valid {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}).{hint}"
        ) from e
    except LookupError as e:
        raise BadInputError(f"unknown encoding {encoding!r}") from e
    if not text.strip():
        raise BadInputError(f"{source}: empty input")
    return text


def read_text(path: str | None, encoding: str = "utf-8") -> str:
    """``None`` or ``-`` reads standard input."""
    if path in (None, "-"):
        return decode_text(sys.stdin.buffer.read(), "standard input", encoding)
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{path}: no such file")
    return decode_text(p.read_bytes(), path, encoding)
