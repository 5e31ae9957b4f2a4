"""EPUBs as pandoc, Calibre and ebooklib make them give exactly their chapters."""

from __future__ import annotations

import warnings
from pathlib import Path

from audiobook.text.reading import load
from audiobook.text.script import make_script
from tests.epubs import calibre_epub, pandoc_epub, paragraphs

TITLES = ["开端", "相遇", "离别"]


def chapters_of(path: Path) -> list[tuple[str | None, str]]:
    book = make_script(load(path), path.stem).book
    return [(c.title, c.segments[0].text) for c in book.chapters]


def test_pandoc_title_page_and_navigation_are_not_chapters(tmp_path: Path) -> None:
    path = pandoc_epub(tmp_path / "book.epub", TITLES)
    assert chapters_of(path) == [(t, f"第{k}章的第1段：他说：") for k, t in enumerate(TITLES, 1)]
    assert make_script(load(path), "x").book.title == "长夜"


def test_calibre_cover_contents_and_chapters_sharing_a_file(tmp_path: Path) -> None:
    titles = [*TITLES, "重逢", "尾声"]
    path = calibre_epub(tmp_path / "book.epub", titles)
    assert chapters_of(path) == [(t, f"第{k}章的第1段：他说：") for k, t in enumerate(titles, 1)]


def test_ebooklib_book_with_nav_in_spine_and_headings_inside_one_document(tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ebooklib import epub

        book = epub.EpubBook()
        book.set_identifier("x")
        book.set_title("长夜")
        book.set_language("zh")
        one = epub.EpubHtml(title="开端", file_name="one.xhtml", lang="zh")
        one.content = f"<h1>开端</h1>{paragraphs(1)}"
        two = epub.EpubHtml(title="相遇", file_name="two.xhtml", lang="zh")
        two.content = f"<h1>相遇</h1>{paragraphs(2)}<h1>离别</h1>{paragraphs(3)}"
        copyright_page = epub.EpubHtml(title="版权", file_name="rights.xhtml", lang="zh")
        copyright_page.content = '<section epub:type="copyright-page"><p>版权所有</p></section>'
        for item in (one, two, copyright_page):
            book.add_item(item)
        book.toc = [one, two]
        book.add_item(epub.EpubNcx())
        book.add_item(epub.EpubNav())
        book.spine = ["nav", one, two, copyright_page]
        path = tmp_path / "book.epub"
        epub.write_epub(str(path), book)
    assert chapters_of(path) == [(t, f"第{k}章的第1段：他说：") for k, t in enumerate(TITLES, 1)]


def test_an_empty_or_broken_document_is_skipped_with_a_note(tmp_path: Path) -> None:
    import zipfile

    whole = pandoc_epub(tmp_path / "whole.epub", TITLES)
    damaged = tmp_path / "damaged.epub"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("ch002.xhtml"):
                data = b""  # a spine document with nothing in it
            target.writestr(item, data)
    source = load(damaged)
    assert [n for n in source.notes if "ch002.xhtml skipped" in n]
    titles = [title for title, _ in chapters_of(damaged)]
    assert titles == ["开端", "离别"]
