"""Input files to text: TXT in any common Chinese encoding, or EPUB.

This is an edge of the pipeline: everything after it works on strings.
"""

from __future__ import annotations

import codecs
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from audiobook.errors import AudiobookError

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


@dataclass
class Document:
    """A run of text: the whole TXT file, or one EPUB spine item with its title."""

    text: str
    title: str | None = None


@dataclass
class Source:
    documents: list[Document]
    title: str | None = None  # from the file's metadata (EPUB), if any
    author: str | None = None
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


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


def load_epub(path: Path) -> Source:
    """Spine items in reading order, each titled from the table of contents or its first
    heading; items without text (cover, navigation) are left out."""
    with warnings.catch_warnings():  # ebooklib warns about its own future defaults
        warnings.simplefilter("ignore")
        from ebooklib import ITEM_DOCUMENT, epub

        try:
            book = epub.read_epub(str(path), options={"ignore_ncx": False})
        except Exception as exc:  # ebooklib raises zip, KeyError and its own errors
            raise AudiobookError(f"{path}: not a readable EPUB ({exc})") from None
    toc_titles = _toc_titles(book.toc)
    documents = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT:
            continue
        heading, text = _html_text(item.get_content())
        if not text.strip():
            continue
        title = toc_titles.get(item.get_name()) or heading
        documents.append(Document(text=text, title=title))
    if not documents:
        raise AudiobookError(f"{path}: the EPUB has no text")
    return Source(
        documents=documents,
        title=_first_metadata(book, "title"),
        author=_first_metadata(book, "creator"),
        encoding="epub",
    )


def _first_metadata(book, name: str) -> str | None:
    values = book.get_metadata("DC", name)
    return values[0][0].strip() if values and values[0][0] else None


def _toc_titles(toc) -> dict[str, str]:
    """href (without #fragment, URL-decoded) -> title, from a nested ebooklib TOC."""
    from urllib.parse import unquote

    titles: dict[str, str] = {}

    def walk(entries) -> None:
        for entry in entries:
            if isinstance(entry, tuple):
                section, children = entry
                if getattr(section, "href", None):
                    titles.setdefault(unquote(section.href.split("#")[0]), section.title)
                walk(children)
            elif getattr(entry, "href", None):
                titles.setdefault(unquote(entry.href.split("#")[0]), entry.title)

    walk(toc)
    return titles


_BLOCKS = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "section",
    "tr",
    "pre",
    "article",
}


def _html_text(content: bytes) -> tuple[str | None, str]:
    """(first heading, text with one line per block) of an XHTML document."""
    import lxml.html

    root = lxml.html.fromstring(content)
    for junk in root.xpath("//script|//style|//head"):
        junk.drop_tree()
    heading = None
    for node in root.xpath("//h1|//h2|//h3|//h4"):
        heading = " ".join(node.text_content().split())
        if heading:
            break
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for node in root.iter():
        if isinstance(node.tag, str) and node.tag.lower() in _BLOCKS:
            node.tail = "\n" + (node.tail or "")
            if node.text:
                node.text = "\n" + node.text
    return heading, root.text_content()
