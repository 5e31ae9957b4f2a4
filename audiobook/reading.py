"""Input files to text: decoding, with one-line errors for what is not a novel."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from audiobook.errors import AudiobookError

# Tried in order; GB18030 is a superset of GBK and GB2312.
ENCODINGS = ("utf-8", "gb18030")


def read_text(path: Path) -> str:
    """The text of a TXT file in UTF-8 (with or without BOM) or GB18030."""
    if not path.exists():
        raise AudiobookError(f"{path}: no such file")
    if path.is_dir():
        raise AudiobookError(f"{path}: is a folder, not a text file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudiobookError(f"{path}: cannot read ({exc.strerror})") from None
    if not data.strip():
        raise AudiobookError(f"{path}: the file is empty")
    return decode(data, path)


def decode(data: bytes, path: Path) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        raise AudiobookError(f"{path}: looks like a binary file, not a text file")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
    raise AudiobookError(f"{path}: cannot decode the text (expected UTF-8 or GB18030)")


def _looks_like_text(text: str) -> bool:
    """Rejects bytes that happen to decode but are not prose (control codes, unassigned
    or private-use characters)."""
    sample = text[:20000]
    bad = sum(
        1
        for ch in sample
        if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\n\r\t\f"
    )
    return bad <= len(sample) * 0.01
