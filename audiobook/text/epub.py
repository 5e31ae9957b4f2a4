"""EPUB files to text: the chapters of the spine in reading order, titled from the table
of contents or their headings.

What the common generators (pandoc, Calibre, Sigil, ebooklib) put in the spine besides the
story is left out: the navigation document, ``linear="no"`` items, and cover, title,
contents and copyright pages (known by the guide or landmarks, by their ``epub:type``, or,
for a contents page, by being mostly links). A document holding several chapters is split
where the table of contents points inside it, or else at its headings.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path
from urllib.parse import unquote

from lxml.etree import LxmlError

from audiobook.errors import AudiobookError
from audiobook.text.source import Document, Source

NOT_STORY = {"cover", "titlepage", "title-page", "toc", "copyright-page", "copyright", "landmarks"}
_EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
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
    "br",
}
_HEADINGS = ("h1", "h2", "h3", "h4")
MIN_LINKS = 3  # a page that is mostly these many links or more is a contents page


def load_epub(path: Path) -> Source:
    with warnings.catch_warnings():  # ebooklib warns about its own future defaults
        warnings.simplefilter("ignore")
        from ebooklib import ITEM_DOCUMENT, epub

        try:
            book = epub.read_epub(str(path), options={"ignore_ncx": False})
        except Exception as exc:  # ebooklib raises zip, KeyError and its own errors
            raise AudiobookError(f"{path}: not a readable EPUB ({exc})") from None
    toc = _toc_entries(book.toc)
    skipped = {_href(g.get("href", "")) for g in book.guide if g.get("type") in NOT_STORY}
    documents = []
    notes = []
    for idref, linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT or isinstance(item, epub.EpubNav):
            if isinstance(item, epub.EpubNav):
                with contextlib.suppress(ValueError, LxmlError):  # broken: no landmarks
                    skipped |= _landmarks(item.get_content())
            continue
        if str(linear).lower() == "no" or item.get_name() in skipped:
            continue
        name = item.get_name()
        try:
            sections = _sections(item.get_content(), toc.get(name, {}))
        except (ValueError, LxmlError) as exc:  # an empty or broken document: the rest is read
            notes.append(f"{path}: {name} skipped, it cannot be read ({exc or 'empty'})")
            continue
        for title, text in sections:
            if text.strip():
                documents.append(Document(text=text, title=title))
    if not documents:
        raise AudiobookError(f"{path}: the EPUB has no text")
    return Source(
        documents=documents,
        title=_first_metadata(book, "title"),
        author=_first_metadata(book, "creator"),
        encoding="epub",
        notes=notes,
    )


def _first_metadata(book, name: str) -> str | None:
    values = book.get_metadata("DC", name)
    return values[0][0].strip() if values and values[0][0] else None


def _href(href: str) -> str:
    return unquote(href.split("#")[0])


def _toc_entries(toc) -> dict[str, dict[str, str]]:
    """Document name -> {fragment ("" for the document itself) -> title}, from ebooklib's
    nested table of contents."""
    entries: dict[str, dict[str, str]] = {}

    def add(link) -> None:
        href = getattr(link, "href", None)
        if href:
            fragment = href.split("#", 1)[1] if "#" in href else ""
            entries.setdefault(_href(href), {}).setdefault(fragment, link.title)

    def walk(items) -> None:
        for entry in items:
            if isinstance(entry, tuple):
                add(entry[0])
                walk(entry[1])
            else:
                add(entry)

    walk(toc)
    return entries


def _landmarks(nav: bytes) -> set[str]:
    """Documents the navigation document's landmarks name as cover, title or contents."""
    root = _parse(nav)
    return {
        _href(a.get("href", ""))
        for a in root.iter("a")
        if (a.get("epub:type") or a.get(_EPUB_TYPE) or "") in NOT_STORY
    }


def _parse(content: bytes):
    import lxml.html

    root = lxml.html.fromstring(content)
    for junk in root.xpath("//script|//style|//head"):
        junk.drop_tree()
    return root


def _is_front_page(root) -> bool:
    """A cover, title, contents or copyright page by its own markup, or a page that is
    mostly links (a contents page)."""
    for node in root.iter():
        kinds = (node.get("epub:type") or "").split() + (node.get("class") or "").split()
        if NOT_STORY & set(kinds):
            return True
    links = [a for a in root.iter("a") if a.get("href")]
    text = "".join(root.text_content().split())
    linked = sum(len("".join(a.text_content().split())) for a in links)
    return len(links) >= MIN_LINKS and linked >= 0.6 * len(text)


def _sections(content: bytes, toc: dict[str, str]) -> list[tuple[str | None, str]]:
    """(title, text with one line per block) of each chapter in an XHTML document: split
    where the table of contents points inside it, else at its top-level headings when it
    has several. A front page gives none."""
    root = _parse(content)
    if _is_front_page(root):
        return []
    starts = {node: toc[node.get("id")] for node in root.iter() if node.get("id") in toc}
    if not starts:
        for tag in _HEADINGS:
            headings = list(root.iter(tag))
            if len(headings) >= 2:
                starts = {node: None for node in headings}
                break
    sections: list[list] = [[toc.get(""), None, []]]  # title, first heading, text pieces
    for event, node in _walk(root):
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if event == "start":
            if node in starts and any(piece.strip() for piece in sections[-1][2]):
                sections.append([starts[node], None, []])
            elif node in starts:
                sections[-1][0] = sections[-1][0] or starts[node]
            if tag in _HEADINGS and sections[-1][1] is None:
                sections[-1][1] = " ".join(node.text_content().split()) or None
            if tag in _BLOCKS:
                sections[-1][2].append("\n")
            if node.text and tag:
                sections[-1][2].append(node.text)
        else:
            if tag in _BLOCKS:
                sections[-1][2].append("\n")
            if node.tail and node is not root:
                sections[-1][2].append(node.tail)
    return [(title or heading, "".join(pieces)) for title, heading, pieces in sections]


def _walk(root):
    from lxml import etree

    return etree.iterwalk(root, events=("start", "end"))
