"""Input files to text: TXT in any common Chinese encoding, or EPUB.

This is an edge of the pipeline: everything after it works on strings.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from audiobook.errors import AudiobookError
from audiobook.text.epub import load_epub
from audiobook.text.source import Document, Source

# What the detector may choose from when the bytes are not UTF-8: Chinese novels come in
# GB18030 (a superset of GBK and GB2312) or Big5, and rarely anything else.
_ZIP = b"PK\x03\x04"
CANDIDATE_ENCODINGS = ["gb18030", "big5", "big5hkscs", "utf_16", "utf_32"]
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def load(path: Path) -> Source:
    """The text of a TXT or EPUB file, or a one-line AudiobookError."""
    data = _read_bytes(path)
    if data.startswith(_ZIP) and (path.suffix.lower() == ".epub" or _is_epub(data)):
        return load_epub(path)
    text, encoding = decode(data, path)
    return Source(documents=[Document(text)], encoding=encoding)


def read_text(path: Path) -> str:
    """The text of a TXT file (UTF-8, UTF-16/32 with BOM, GB18030 or Big5)."""
    return decode(_read_bytes(path), path)[0]


def _read_bytes(path: Path) -> bytes:
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
    return data


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and the encoding it was read with."""
    encoding = _detect(data, path)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise AudiobookError(f"{path}: cannot decode the text as {encoding}") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise AudiobookError(f"{path}: the file is empty")
    if not _looks_like_text(text):
        raise AudiobookError(f"{path}: cannot decode the text (not a known Chinese encoding)")
    return text, encoding


def _detect(data: bytes, path: Path) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    if b"\x00" in data:
        raise AudiobookError(f"{path}: looks like a binary file, not a text file")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS).best()
    if best is None:
        raise AudiobookError(
            f"{path}: cannot decode the text (expected UTF-8, UTF-16, GB18030 or Big5)"
        )
    return best.encoding


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


def _is_epub(data: bytes) -> bool:
    return b"application/epub+zip" in data[:200]
