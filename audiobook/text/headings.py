"""What a chapter heading looks like: every shape readers meet, each line matched alone.

Strong shapes cannot be mistaken for prose, and every one found is a heading:
``第N章/回/节/话`` and ``第N卷/集/部/篇`` (volumes) with Chinese, Arabic, full-width or
financial numerals, optionally after the book title on the same line, in brackets
(【第一章】, 〖…〗) or after ``☆、``; ``卷五 标题``; the named parts of a novel (序章 楔子 正文
尾声 后记 番外 简介 文案 …); ``Chapter/Part/Episode N``.

Weak shapes are also what prose or a list inside a chapter can look like: a bare number on
its own line (1, 01, 一百七十), ``1、标题`` / ``一、标题``, ``书名(12)``, ``☆、标题``,
``正文 标题``. Which of them, if any, heads a book's chapters is decided per book
(``chapters.choose_headings``).

Prose that merely starts like a heading (第二天…, 第二，…, 第二回合…) is not one: a heading
is followed by a separator or the end of the line and holds no sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiobook.text.normalize import normalize_spaces

MAX_HEADING_CHARS = 60
_NUMERAL = r"[0-9０-９〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟]+"
_SEPARATOR = r"[\s:：、.．\-—·]"
_TITLE = r"[^。！？!?，,；;]{0,40}?"
_TAIL = rf"(?:$|{_SEPARATOR}+(?P<title>{_TITLE})\s*$)"
_NUMBERED = re.compile(
    rf"^(?P<prefix>[^\s。！？!?，,]{{0,30}}?)\s*"
    rf"(?P<marker>第\s*(?P<number>{_NUMERAL})\s*(?P<unit>[章回节卷集部篇话]))" + _TAIL
)
SPECIAL_PARTS = (
    "序章",
    "序言",
    "序幕",
    "楔子",
    "引子",
    "引言",
    "前言",
    "尾声",
    "后记",
    "後記",
    "番外",
    "终章",
    "終章",
    "完本感言",
    "上架感言",
    "内容简介",
    "作品简介",
    "简介",
    "文案",
    "正文",
)
_SPECIAL = re.compile(rf"^(?P<marker>(?:{'|'.join(SPECIAL_PARTS)})(?P<number>{_NUMERAL})?)" + _TAIL)
_ENGLISH = re.compile(
    r"^(?P<marker>(?:chapter|part|episode|ch\.)\s*(?P<number>\d+))" + _TAIL, re.IGNORECASE
)
_VOLUME = re.compile(rf"^(?P<marker>卷\s*(?P<number>{_NUMERAL}))" + _TAIL)
_BRACKETS = re.compile(r"^[【〖\[［]\s*(?P<inner>[^】〗\]］]{1,40}?)\s*[】〗\]］]\s*(?P<rest>.*)$")
_STAR = re.compile(r"^☆\s*[、,，.]?\s*(?P<rest>.+)$")
# weak shapes
_SHORT_NUMERAL = r"[0-9０-９]{1,4}|[〇零一二三四五六七八九十百千两]{1,8}"
_BARE = re.compile(rf"^(?P<marker>(?P<number>{_SHORT_NUMERAL}))$")
_ENUMERATED = re.compile(
    rf"^(?P<marker>(?P<number>{_SHORT_NUMERAL}))\s*[、.．]\s*(?P<title>{_TITLE})$"
)
_COUNTED = re.compile(
    rf"^(?P<marker>(?P<prefix>[^\s（(]{{1,20}}?)\s*[（(]\s*(?P<number>{_NUMERAL})\s*[)）])$"
)
_ZHENGWEN = re.compile(rf"^(?P<marker>正文)\s+(?P<title>{_TITLE})$")
_VOLUME_UNITS = "卷集部篇"
STRONG_FAMILIES = ("numbered", "volume", "special", "english")

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
    marker: str  # 第431章, 序言, Chapter 3, 01
    number: int | None
    title: str  # the text after the marker, may be empty
    prefix: str = ""  # text before the marker on the same line (often the book title)
    volume: bool = False  # 第一卷: a part above chapters
    family: str = "numbered"  # which shape matched: see STRONG_FAMILIES and match_weak

    @property
    def spoken(self) -> str:
        return f"{self.marker} {self.title}".strip()

    @property
    def display_title(self) -> str:
        return self.title or self.marker

    @property
    def strong(self) -> bool:
        return self.family in STRONG_FAMILIES


def match_heading(line: str) -> Heading | None:
    """The heading a line is, strong or weak; None for prose."""
    line = normalize_spaces(line)
    if not line or len(line) > MAX_HEADING_CHARS:
        return None
    return _match_strong(line) or _match_weak(line)


def _match_strong(line: str) -> Heading | None:
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
    for pattern, family in ((_SPECIAL, "special"), (_ENGLISH, "english"), (_VOLUME, "volume")):
        found = pattern.match(compact if family == "special" else line)
        if found:
            return Heading(
                marker=re.sub(r"\s+", " ", found["marker"]),
                number=parse_number(found["number"]) if found["number"] else None,
                title=(found["title"] or "").strip(),
                volume=family == "volume",
                family=family,
            )
    for wrapper in (_BRACKETS, _STAR):  # 【第一章】 标题, ☆、第一章
        found = wrapper.match(line)
        if found:
            inner = found.groupdict().get("inner")
            text = f"{inner} {found['rest']}".strip() if inner else found["rest"]
            heading = _match_strong(text)
            if heading is not None:
                return heading
    return None


def _match_weak(line: str) -> Heading | None:
    found = _STAR.match(line)
    if found and not _has_sentence(found["rest"]):
        return Heading(marker="", number=None, title=found["rest"].strip(), family="star")
    for pattern, family in (
        (_BARE, "bare"),
        (_ENUMERATED, "enumerated"),
        (_COUNTED, "counted"),
        (_ZHENGWEN, "zhengwen"),
    ):
        found = pattern.match(line)
        if not found:
            continue
        groups = found.groupdict()
        number = parse_number(groups["number"]) if groups.get("number") else None
        if groups.get("number") and number is None:
            continue
        title = (groups.get("title") or "").strip()
        if family == "zhengwen":
            return Heading(marker="", number=None, title=title, family=family)
        # 书名(12): the book's name is the family's, so two books' counts never mix
        prefix = (groups.get("prefix") or "").strip()
        marker = found["marker"] if family != "counted" else line
        return Heading(marker=marker, number=number, title=title, prefix=prefix, family=family)
    return None


def _has_sentence(text: str) -> bool:
    return bool(re.search(r"[。！？!?，,；;“”]", text))
