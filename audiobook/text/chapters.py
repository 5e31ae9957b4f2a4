"""Chapter headings, and lines split into chapters at them.

Recognised: ``第N章/回/节/卷/集/部`` with Chinese, Arabic or full-width numerals
(optionally after the book title on the same line), the named parts of a novel (序章 序言
楔子 引子 尾声 后记 番外 终章 …), and ``Chapter N``. Prose that merely starts like a heading
(第二天…, 第二，…, 第二回合…) is not one: a heading is followed by a separator or the end
of the line and holds no sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audiobook.text.normalize import normalize_spaces

_NUMERAL = r"[0-9０-９〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟]+"
_SEPARATOR = r"[\s:：、.．\-—·]"
_TITLE = r"[^。！？!?，,；;]{0,40}?"
_NUMBERED = re.compile(
    rf"^(?P<prefix>[^\s。！？!?，,]{{0,30}}?)\s*"
    rf"(?P<marker>第\s*(?P<number>{_NUMERAL})\s*(?P<unit>[章回节卷集部篇]))"
    rf"(?:$|{_SEPARATOR}+(?P<title>{_TITLE})\s*$)"
)
SPECIAL_PARTS = (
    "序章",
    "序言",
    "序幕",
    "楔子",
    "引子",
    "前言",
    "尾声",
    "后记",
    "後記",
    "番外",
    "终章",
    "終章",
    "完本感言",
    "正文",
)
_SPECIAL = re.compile(
    rf"^(?P<marker>(?:{'|'.join(SPECIAL_PARTS)})(?P<number>{_NUMERAL})?)"
    rf"(?:$|{_SEPARATOR}+(?P<title>{_TITLE})\s*$)"
)
_ENGLISH = re.compile(
    rf"^(?P<marker>chapter\s+(?P<number>\d+))(?:$|{_SEPARATOR}+(?P<title>{_TITLE})\s*$)",
    re.IGNORECASE,
)
_VOLUME_UNITS = "卷集部篇"

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
    marker: str  # 第431章, 序言, Chapter 3
    number: int | None
    title: str  # the text after the marker, may be empty
    prefix: str = ""  # text before the marker on the same line (often the book title)
    volume: bool = False  # 第一卷: a part above chapters

    @property
    def spoken(self) -> str:
        return f"{self.marker} {self.title}".strip()

    @property
    def display_title(self) -> str:
        return self.title or self.marker


def match_heading(line: str) -> Heading | None:
    line = normalize_spaces(line)
    if len(line) > 60:
        return None
    found = _NUMBERED.match(line)
    if found:
        return Heading(
            marker=re.sub(r"\s+", "", found["marker"]),
            number=parse_number(found["number"]),
            title=(found["title"] or "").strip(),
            prefix=found["prefix"].strip(),
            volume=found["unit"] in _VOLUME_UNITS,
        )
    # 序 言 / 后 记 written with a space between the characters
    compact = re.sub(r"^(\S)\s(\S)(?=$|\s)", r"\1\2", line)
    for pattern in (_SPECIAL, _ENGLISH):
        found = pattern.match(compact)
        if found:
            number = parse_number(found["number"]) if found["number"] else None
            return Heading(
                marker=found["marker"], number=number, title=(found["title"] or "").strip()
            )
    return None


@dataclass
class RawChapter:
    heading: Heading | None
    lines: list[str] = field(default_factory=list)
    volume: str | None = None


def split_chapters(lines: list[str]) -> tuple[list[str], list[RawChapter]]:
    """(front matter before the first heading, chapters). A volume heading followed
    directly by a chapter heading is not a chapter of its own: it names the volume of the
    chapters after it. The same heading twice in a row makes one chapter."""
    front: list[str] = []
    chapters: list[RawChapter] = []
    volume: str | None = None
    for line in lines:
        heading = match_heading(line) if line.strip() else None
        if heading is None:
            (chapters[-1].lines if chapters else front).append(line)
            continue
        last = chapters[-1] if chapters else None
        empty = last is not None and not any(s.strip() for s in last.lines)
        if empty and last.heading == heading:
            continue  # a repeated heading line
        if empty and last.heading and last.heading.volume:
            chapters.pop()  # the volume heading only opens the volume
        if heading.volume:
            volume = heading.spoken
        chapters.append(RawChapter(heading=heading, volume=volume))
    return front, chapters
