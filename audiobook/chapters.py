"""Lines of a novel to a book: its title and author, chapters at their headings, and the
site clutter that is not to be read (breadcrumbs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiobook.model import Book, Chapter, Segment
from audiobook.sentences import split_sentences

_NUMERAL = r"[0-9０-９〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟]+"
# "第431章 暗访缙金科技园", optionally after the book title on the same line. The marker
# is followed by a separator or the end of the line, so prose such as 第二回合 is no heading.
_HEADING = re.compile(
    rf"^(?P<prefix>[^\s。！？!?，,]{{0,30}}?)\s*"
    rf"(?P<marker>第\s*(?P<number>{_NUMERAL})\s*[章回节卷集部])"
    rf"(?:$|[\s:：、.．\-—]+(?P<title>[^。！？!?]{{0,40}}?)[\s。]*$)"
)
_BREADCRUMB_SEPARATOR = re.compile(r"\s*(?:>|&gt;|»|›)\s*")
_AUTHOR = re.compile(r"^\s*作\s*者\s*[:：]\s*(?P<author>\S.{0,30}?)\s*$")
_BOOK_MARKS = re.compile(r"《(?P<title>[^》]{1,40})》")
_SPACES = re.compile(r"[\s\u3000\u00a0\u2002-\u200b\ufeff]+")

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_DIGITS |= {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}


def parse_number(numeral: str) -> int | None:
    """431, ４３１, 四百三十一, 四三一 -> 431; None when it is not a number."""
    numeral = numeral.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if numeral.isdigit():
        return int(numeral)
    if all(c in _DIGITS for c in numeral):  # digit by digit: 四三一
        return int("".join(str(_DIGITS[c]) for c in numeral))
    total, section, digit = 0, 0, 0
    for c in numeral:
        if c in _DIGITS:
            digit = _DIGITS[c]
        elif c in _UNITS:
            section += (digit or 1) * _UNITS[c]
            digit = 0
        elif c == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            return None
    return total + section + digit


@dataclass(frozen=True)
class Heading:
    marker: str  # 第431章
    number: int | None
    title: str  # text after the marker, may be empty
    prefix: str  # text before the marker on the same line (often the book title)

    @property
    def spoken(self) -> str:
        return f"{self.marker} {self.title}".strip()


def match_heading(line: str) -> Heading | None:
    found = _HEADING.match(line)
    if not found:
        return None
    return Heading(
        marker=_SPACES.sub("", found["marker"]),
        number=parse_number(found["number"]),
        title=(found["title"] or "").strip(),
        prefix=found["prefix"].strip(),
    )


def breadcrumb_parts(line: str) -> list[str] | None:
    """``下书看 > 书名 > 第431章 …`` -> its parts; None when the line is not a breadcrumb."""
    parts = [p for p in _BREADCRUMB_SEPARATOR.split(line) if p]
    if len(parts) >= 3 and all(len(p) <= 40 for p in parts):
        return parts
    return None


def clean_line(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def build_book(text: str, fallback_title: str) -> Book:
    """The book in ``text``; ``fallback_title`` (the file name) titles a book, and a
    chapter, that names none itself."""
    title_votes: list[str] = []
    author: str | None = None
    chapters: list[Chapter] = []
    preface: list[str] = []  # paragraphs before the first heading
    current: list[str] | None = None

    for raw in text.split("\n"):
        line = clean_line(raw)
        if not line:
            continue
        crumbs = breadcrumb_parts(line)
        if crumbs:
            title_votes.extend(crumbs[1:-1])
            continue
        heading = match_heading(line)
        if heading:
            if heading.prefix:
                title_votes.append(heading.prefix)
            previous = chapters[-1] if chapters else None
            if previous and not current and previous.heading == heading.spoken:
                continue  # the same heading twice in a row: one chapter
            chapters.append(
                Chapter(
                    order=len(chapters) + 1,
                    title=heading.title or heading.marker,
                    heading=heading.spoken,
                    number=heading.number,
                )
            )
            current = []
            continue
        if current is None:
            found_author = _AUTHOR.match(line)
            if found_author and author is None:
                author = found_author["author"]
                continue
            marks = _BOOK_MARKS.fullmatch(line)
            if marks:
                title_votes.append(marks["title"])
                continue
            preface.append(line)
        else:
            current.append(line)
            chapters[-1].segments.extend(_paragraph_segments(line, len(current) - 1))

    book_title = _pick_title(title_votes) or fallback_title
    if preface and (not chapters or _has_prose(preface)):
        # without headings the whole text is one chapter titled after the file (the
        # file name is not read aloud: it is often an id)
        opening = Chapter(order=0, title="前言" if chapters else fallback_title, heading="")
        for i, paragraph in enumerate(preface):
            opening.segments.extend(_paragraph_segments(paragraph, i))
        chapters.insert(0, opening)
    for order, chapter in enumerate(chapters, start=1):
        chapter.order = order
    return Book(title=book_title, chapters=chapters, author=author)


def _paragraph_segments(paragraph: str, index: int) -> list[Segment]:
    return [Segment(text=s, paragraph=index) for s in split_sentences(paragraph)]


def _pick_title(votes: list[str]) -> str | None:
    if not votes:
        return None
    return max(set(votes), key=lambda v: (votes.count(v), -votes.index(v)))


def _has_prose(paragraphs: list[str]) -> bool:
    """Front matter worth reading: more than a line or two of sentences."""
    return sum(len(p) for p in paragraphs) >= 100
