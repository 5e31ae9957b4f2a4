"""Input files to text: TXT in any common Chinese encoding, or EPUB.

This is an edge of the pipeline: everything after it works on strings.
"""

from __future__ import annotations

import codecs
import threading
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


MAX_BINARY_SHARE = 0.01  # NUL and control bytes beyond this share: not a text file
MAX_BAD_SHARE = 0.001  # bytes that may fail to decode and be replaced (a stray byte)
_CONTROL = bytes(c for c in range(32) if c not in b"\t\n\r\f\x1a\x1b")
_replaced = threading.local()


def _count_and_replace(error: UnicodeDecodeError) -> tuple[str, int]:
    _replaced.offsets.append(error.start)
    return "\ufffd", error.end


codecs.register_error("audiobook-count", _count_and_replace)


def load(path: Path, encoding: str | None = None) -> Source:
    """The text of a TXT or EPUB file, or a one-line AudiobookError. ``encoding``
    overrides detection for a TXT."""
    data = _read_bytes(path)
    if data.startswith(_ZIP) and (path.suffix.lower() == ".epub" or _is_epub(data)):
        return load_epub(path)
    text, used, notes = decode(data, path, encoding)
    return Source(documents=[Document(text)], encoding=used, notes=notes)


def read_text(path: Path, encoding: str | None = None) -> str:
    """The text of a TXT file (UTF-8, UTF-16/32 with BOM, GB18030 or Big5)."""
    return decode(_read_bytes(path), path, encoding)[0]


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


def decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """Text, the encoding it was read with, and notes for the user: NUL padding dropped,
    a few undecodable bytes replaced. A file is refused only when it is binary (NULs and
    control bytes beyond a small share) or mostly undecodable."""
    notes: list[str] = []
    if encoding is not None:
        _check_encoding(encoding)
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None)
    if bom is None and encoding is None:
        data, padding = _drop_padding(data, path)
        if padding:
            notes.append(f"{path.name}: {padding} NUL byte(s) of padding dropped")
    encoding = encoding or bom or _detect(data, path)
    text, bad = _decode_counting(data, encoding)
    if len(bad) > max(1, len(data) * MAX_BAD_SHARE):
        raise AudiobookError(
            f"{path}: cannot decode the text as {encoding} ({len(bad)} bad bytes, the first "
            f"on line {_line_of(data, bad[0])}); name the encoding with --encoding"
        )
    if bad:
        notes.append(
            f"{path.name}: {len(bad)} byte(s) could not be read as {encoding} and were "
            f"replaced (the first on line {_line_of(data, bad[0])}, byte {bad[0]})"
        )
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise AudiobookError(f"{path}: the file is empty")
    # Binary data is almost never valid UTF-8, but it often decodes as UTF-16 or GB18030
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig") and not _looks_like_text(text):
        raise AudiobookError(f"{path}: cannot decode the text (not a known Chinese encoding)")
    return text, encoding, notes


def _check_encoding(name: str) -> None:
    try:
        codecs.lookup(name)
    except LookupError:
        raise AudiobookError(
            f"--encoding {name}: no such encoding (try gb18030, big5, utf-8)"
        ) from None


def _drop_padding(data: bytes, path: Path) -> tuple[bytes, int]:
    """Without NUL bytes, when they (and other control bytes) are a trace; a file where they
    are common is binary."""
    nuls = data.count(0)
    controls = len(data) - len(data.translate(None, _CONTROL))
    # valid UTF-8 is text with a few more stray control bytes: binary data seldom is (the
    # whole file is decoded for that only when the control bytes are past the usual share)
    if controls > len(data) * MAX_BINARY_SHARE and (
        controls > len(data) * 10 * MAX_BINARY_SHARE or not _is_utf8(data.replace(b"\x00", b""))
    ):
        raise AudiobookError(f"{path}: looks like a binary file, not a text file")
    return (data.replace(b"\x00", b""), nuls) if nuls else (data, 0)


def _decode_counting(data: bytes, encoding: str) -> tuple[str, list[int]]:
    """The text with undecodable bytes replaced, and the byte offsets where they were."""
    _replaced.offsets = []
    text = data.decode(encoding, errors="audiobook-count")
    return text, _replaced.offsets


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _is_utf8(data: bytes) -> bool:
    """All but a trace of the bytes are UTF-8: stray control bytes in it do not make it
    binary."""
    return len(_decode_counting(data, "utf-8")[1]) <= len(data) * MAX_BAD_SHARE


def _detect(data: bytes, path: Path) -> str:
    """UTF-8 when all but a trace of the bytes are UTF-8, else what the detector finds
    among the Chinese encodings, else GB18030 or Big5, whichever reads as text."""
    if _is_utf8(data):
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS).best()
    # the detector's choice first; but Big5 bytes can decode as GB18030 without an error
    # into unassigned characters, so a choice that does not read as text yields
    for name in dict.fromkeys([*([best.encoding] if best else []), "gb18030", "big5"]):
        text, bad = _decode_counting(data, name)
        if len(bad) <= max(1, len(data) * MAX_BAD_SHARE) and _looks_like_text(text):
            return name
    raise AudiobookError(
        f"{path}: cannot decode the text (expected UTF-8, UTF-16, GB18030 or Big5)"
    )


def _looks_like_text(text: str) -> bool:
    """Rejects bytes that happen to decode but are not prose (unassigned or private-use
    characters; stray control codes are the binary check's business, on the bytes)."""
    sample = text[:20000]
    bad = sum(1 for ch in sample if unicodedata.category(ch) in ("Co", "Cn", "Cs"))
    return bad <= len(sample) * 0.01


def _is_epub(data: bytes) -> bool:
    return b"application/epub+zip" in data[:200]
