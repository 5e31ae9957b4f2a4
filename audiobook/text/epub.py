"""EPUB files to text: the spine's documents in reading order, titled from the table of
contents or their headings."""

from __future__ import annotations

import warnings
from pathlib import Path

from audiobook.errors import AudiobookError
from audiobook.text.source import Document, Source


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
