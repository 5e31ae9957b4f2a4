"""EPUB files shaped as the common generators make them, written by hand so that the tests
need no generator: pandoc (EPUB 3: title page, navigation document in the spine, one file a
chapter) and Calibre (EPUB 2: a cover page, a contents page, several chapters in one file
with the table of contents pointing at anchors)."""

from __future__ import annotations

import zipfile
from pathlib import Path

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="EPUB/content.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""
XHTML = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>{title}</title></head><body{body_attrs}>{body}</body></html>"""


def paragraphs(chapter: int, count: int = 3) -> str:
    return "".join(
        f"<p>第{chapter}章的第{k}段：他说：“我们走吧。”她点了点头，没有说话。</p>"
        for k in range(1, count + 1)
    )


def _ncx(points: list[tuple[str, str]]) -> str:
    nav = "".join(
        f'<navPoint id="p{k}" playOrder="{k}"><navLabel><text>{title}</text></navLabel>'
        f'<content src="{href}"/></navPoint>'
        for k, (title, href) in enumerate(points, 1)
    )
    return (
        '<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">'
        '<head><meta name="dtb:uid" content="x"/></head><docTitle><text>书</text></docTitle>'
        f"<navMap>{nav}</navMap></ncx>"
    )


def _write(path: Path, opf: str, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("EPUB/content.opf", opf)
        for name, content in files.items():
            archive.writestr(f"EPUB/{name}", content)
    return path


def _opf(version: str, manifest: list[str], spine: list[str], extra: str = "") -> str:
    return (
        f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="{version}"'
        ' unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:identifier id="id">x</dc:identifier><dc:title>长夜</dc:title>'
        "<dc:creator>某人</dc:creator><dc:language>zh</dc:language></metadata>"
        f"<manifest>{''.join(manifest)}</manifest>"
        f'<spine toc="ncx">{"".join(spine)}</spine>{extra}</package>'
    )


def pandoc_epub(path: Path, titles: list[str]) -> Path:
    """As `pandoc --toc -o book.epub` writes it."""
    files = {
        "text/title_page.xhtml": XHTML.format(
            title="长夜",
            body_attrs=' epub:type="frontmatter"',
            body='<section epub:type="titlepage" class="titlepage"><h1 class="title">长夜</h1>'
            '<p class="author">某人</p></section>',
        ),
        "nav.xhtml": XHTML.format(
            title="长夜",
            body_attrs=' epub:type="frontmatter"',
            body='<nav epub:type="toc" id="toc"><h1 id="toc-title">Table of Contents</h1><ol>'
            + "".join(
                f'<li><a href="text/ch{k:03d}.xhtml">{t}</a></li>' for k, t in enumerate(titles, 1)
            )
            + '</ol></nav><nav epub:type="landmarks" id="landmarks" hidden="hidden"><ol>'
            '<li><a href="text/title_page.xhtml" epub:type="titlepage">Title Page</a></li>'
            '<li><a href="#toc" epub:type="toc">Table of Contents</a></li></ol></nav>',
        ),
        "toc.ncx": _ncx([(t, f"text/ch{k:03d}.xhtml") for k, t in enumerate(titles, 1)]),
    }
    manifest = [
        '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>',
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="title_page_xhtml" href="text/title_page.xhtml" '
        'media-type="application/xhtml+xml"/>',
    ]
    spine = ['<itemref idref="title_page_xhtml" linear="yes"/>', '<itemref idref="nav"/>']
    for k, title in enumerate(titles, 1):
        files[f"text/ch{k:03d}.xhtml"] = XHTML.format(
            title=title,
            body_attrs=' epub:type="bodymatter"',
            body=f'<section id="c{k}" class="level1"><h1>{title}</h1>{paragraphs(k)}</section>',
        )
        manifest.append(
            f'<item id="ch{k:03d}_xhtml" href="text/ch{k:03d}.xhtml" '
            'media-type="application/xhtml+xml"/>'
        )
        spine.append(f'<itemref idref="ch{k:03d}_xhtml"/>')
    return _write(path, _opf("3.0", manifest, spine), files)


def calibre_epub(path: Path, titles: list[str]) -> Path:
    """As Calibre converts a TXT: a cover page, a contents page, and the chapters split over
    two files at page breaks, the table of contents pointing at anchors inside them."""
    half = (len(titles) + 1) // 2
    parts = [list(enumerate(titles, 1))[:half], list(enumerate(titles, 1))[half:]]
    files = {
        "titlepage.xhtml": XHTML.format(
            title="Cover", body_attrs="", body='<div><img src="cover.jpg" alt="cover"/></div>'
        ),
        "contents.html": XHTML.format(
            title="目录",
            body_attrs="",
            body="<h2>目录</h2>"
            + "".join(
                f'<p><a href="index_split_{n:03d}.html#ch{k}">{t}</a></p>'
                for n, part in enumerate(parts)
                for k, t in part
            ),
        ),
    }
    points = []
    for n, part in enumerate(parts):
        body = "".join(f'<h2 id="ch{k}" class="calibre3">{t}</h2>{paragraphs(k)}' for k, t in part)
        files[f"index_split_{n:03d}.html"] = XHTML.format(title="长夜", body_attrs="", body=body)
        points += [(t, f"index_split_{n:03d}.html#ch{k}") for k, t in part]
    files["toc.ncx"] = _ncx(points)
    manifest = [
        '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>',
        '<item id="titlepage" href="titlepage.xhtml" media-type="application/xhtml+xml"/>',
        '<item id="contents" href="contents.html" media-type="application/xhtml+xml"/>',
        '<item id="s0" href="index_split_000.html" media-type="application/xhtml+xml"/>',
        '<item id="s1" href="index_split_001.html" media-type="application/xhtml+xml"/>',
    ]
    spine = [
        '<itemref idref="titlepage"/>',
        '<itemref idref="contents"/>',
        '<itemref idref="s0"/>',
        '<itemref idref="s1"/>',
    ]
    guide = (
        '<guide><reference type="cover" title="Cover" href="titlepage.xhtml"/>'
        '<reference type="toc" title="目录" href="contents.html"/></guide>'
    )
    return _write(path, _opf("2.0", manifest, spine, guide), files)
