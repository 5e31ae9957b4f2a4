"""Removing what is not the story: site breadcrumbs and notices, ads and URLs (also
disguised ones such as ``wＷw．xiＡoshＵotxt.neｔt@xt`小$说$天"堂``), blocks of paragraphs
repeated right after themselves, and the user's own patterns. Every removal says why.

Cleanup cuts clutter, never story: an ad or a domain glued into a story paragraph is cut
out of it and the paragraph stays. A whole line goes only when nothing but clutter is left.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from audiobook.errors import AudiobookError
from audiobook.text.hanzi import HANZI, HANZI_RANGES
from audiobook.text.headings import match_heading

_BREADCRUMB_SEPARATOR = re.compile(r"\s*(?:>|&gt;|»|›|→)\s*")
_SENTENCE_MARKS = re.compile(r"[。！？!?，,；;“”\"「」『』‘’]")
_URL_SIGN = re.compile(
    r"www|https?|://|\.(?:com|net|org|cn|cc|info|tw|me|la|top|vip|xyz|co|io|tv|so)(?![a-z])"
)
# A run of Latin text (after folding full-width forms): where a URL or domain hides.
_LATIN_RUN = re.compile(r"[0-9a-z][!-~]*(?: [!-~]+)*")
AD_PHRASES = (
    "小说天堂",
    "最新章节",
    "手机阅读",
    "手机版阅读",
    "本章未完",
    "请收藏",
    "加入书签",
    "免费阅读",
    "笔趣阁",
    "百度搜索",
    "书友群",
    "推荐票",
    "求月票",
    "txt下载",
    "电子书下载",
    "全文阅读",
    "无弹窗",
    "更新最快",
    "最快更新",
    "记住本站",
    "本站地址",
    "一秒记住",
)
# An ad phrase may be disguised with a few symbols between its characters (小$说"//天,堂).
_AD_PHRASE = re.compile(
    "|".join(rf"[^{HANZI_RANGES}]{{0,4}}".join(map(re.escape, p)) for p in AD_PHRASES),
    re.IGNORECASE,
)
# What is left of an ad line once its URL is cut (天才一秒记住本站地址：): short, and with
# the words of an ad.
_AD_WORDS = re.compile(
    r"本站|网址|网站|地址|域名|阅读|下载|章节|收藏|书签|访问|搜索|手机|点击|首发|更新|推荐"
)
# A site's notice at the top or bottom of a download: who collected it, where to get more.
_NOTICE = re.compile(
    r"本书由.{0,30}(?:整理|收集|制作|提供|首发)|请(?:登陆|登录|访问)|更多.{0,10}(?:下载|小说|电子书)"
    r"|仅供.{0,10}(?:交流|学习|预览|试读)|版权归.{0,20}所有|(?:电子书|txt).{0,6}(?:下载|网)"
)
NOTICE_LINES = 8  # non-blank lines at each end of a document where notices are looked for
MAX_NOTICE_CHARS = 200
BREADCRUMB_TOP_LINES = 10  # a breadcrumb is near the top of a document
MIN_REPEATED_CHARS = 40  # a repeated block shorter than this is legitimate ("好。")
MAX_REPEAT_CANDIDATES = 32  # block sizes tried per paragraph: keeps the search linear


@dataclass(frozen=True)
class Removal:
    text: str
    reason: str  # "breadcrumb", "notice", "ad", "ad fragment", "url", "repeated", "pattern: …"


def breadcrumb_parts(line: str) -> list[str] | None:
    """``下书看 > 书名 > 第431章 …`` -> its parts; None when the line is not shaped like a
    breadcrumb (never a line with quotes or sentence punctuation)."""
    if len(line) > 120 or _SENTENCE_MARKS.search(line):
        return None
    parts = [p for p in _BREADCRUMB_SEPARATOR.split(line.strip()) if p]
    if len(parts) >= 3 and all(len(p) <= 40 for p in parts):
        return parts
    return None


def _fold(line: str) -> str:
    """The line as an ad filter sees it, position for position: compatibility forms folded
    (ｗ -> w, ． -> .), lower case; a character that folds to several stays as it is."""
    out = []
    for ch in line:
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out).replace("。", ".")


def ad_spans(line: str) -> list[tuple[int, int]]:
    """Where the line holds a URL, a domain or an ad phrase (disguised or not)."""
    folded = _fold(line)
    spans = [m.span() for m in _LATIN_RUN.finditer(folded) if _URL_SIGN.search(m[0])]
    spans += [m.span() for m in _AD_PHRASE.finditer(folded)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def cut_ads(line: str) -> tuple[str | None, list[Removal]]:
    """(the line without its ads, what was cut). None when nothing but an ad is left: no
    hanzi, or a short rest that reads like an ad (天才一秒记住本站地址：)."""
    spans = ad_spans(line)
    if not spans:
        return line, []
    rest = _without(line, spans)
    hanzi = _hanzi_count(rest)
    if hanzi < 2 or (hanzi < 30 and _AD_WORDS.search(rest)):
        return None, [Removal(line, "ad")]
    cuts = [line[a:b] for a, b in spans]
    reason = "url" if all(_URL_SIGN.search(_fold(c)) for c in cuts) else "ad fragment"
    return rest, [Removal(c, reason) for c in cuts]


def _ad_line(line: str) -> bool:
    """A line at the top or bottom of a download that holds an ad and talks like one (专题
    网址…, 提供…在线阅读): the site's, however long."""
    spans = ad_spans(line)
    if not spans:
        return False
    rest = _without(line, spans)
    return bool(_AD_WORDS.search(rest)) or _hanzi_count(rest) < 2


def _without(line: str, spans: list[tuple[int, int]]) -> str:
    pieces, at = [], 0
    for start, end in spans:
        pieces.append(line[at:start])
        at = end
    return "".join([*pieces, line[at:]])


def _hanzi_count(text: str) -> int:
    return len(HANZI.findall(text))


def remove_repeats(paragraphs: list[str]) -> tuple[list[str], list[Removal]]:
    """Drop a block of paragraphs that repeats right after itself (A B A B -> A B), the
    longest block first; short repeated lines such as “好。” are kept. Linear: blocks are
    compared by rolling hash, and only a bounded number of sizes is tried per paragraph."""
    ids = _paragraph_ids(paragraphs)
    hashes = _RollingHash(ids)
    following = _next_same(ids)
    kept: list[str] = []
    removed: list[Removal] = []
    i, n = 0, len(paragraphs)
    while i < n:
        size = _repeat_size(paragraphs, ids, hashes, following, i)
        if size:
            kept.extend(paragraphs[i : i + size])
            removed.extend(Removal(p, "repeated") for p in paragraphs[i + size : i + 2 * size])
            i += 2 * size
        else:
            kept.append(paragraphs[i])
            i += 1
    return kept, removed


def _paragraph_ids(paragraphs: list[str]) -> list[int]:
    index: dict[str, int] = {}
    return [index.setdefault(p, len(index)) for p in paragraphs]


def _next_same(ids: list[int]) -> list[int]:
    """For each position, the next position holding the same paragraph (or -1)."""
    following = [-1] * len(ids)
    last: dict[int, int] = {}
    for k in range(len(ids) - 1, -1, -1):
        following[k] = last.get(ids[k], -1)
        last[ids[k]] = k
    return following


def _repeat_size(paragraphs, ids, hashes, following, start: int) -> int:
    """The largest block length L (of the first candidates) with paragraphs[start:start+L]
    repeated right after."""
    limit = (len(ids) - start) // 2
    sizes = []
    j = following[start]
    while j != -1 and j - start <= limit and len(sizes) < MAX_REPEAT_CANDIDATES:
        sizes.append(j - start)
        j = following[j]
    for size in reversed(sizes):
        same = hashes.equal(start, start + size, size)
        if same and ids[start : start + size] == ids[start + size : start + 2 * size]:
            block = paragraphs[start : start + size]
            if sum(len(p) for p in block) >= MIN_REPEATED_CHARS:
                return size
    return 0


class _RollingHash:
    """Polynomial hashes of every prefix, so that two blocks compare in constant time."""

    BASE, MOD = 1_000_003, (1 << 61) - 1

    def __init__(self, ids: list[int]) -> None:
        self.prefix = [0]
        self.power = [1]
        for value in ids:
            self.prefix.append((self.prefix[-1] * self.BASE + value + 1) % self.MOD)
            self.power.append(self.power[-1] * self.BASE % self.MOD)

    def block(self, start: int, size: int) -> int:
        end = start + size
        return (self.prefix[end] - self.prefix[start] * self.power[size]) % self.MOD

    def equal(self, a: int, b: int, size: int) -> bool:
        return self.block(a, size) == self.block(b, size)


def compile_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise AudiobookError(
                f"cleanup pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
    return compiled


def clean_lines(
    lines: list[str], patterns: list[re.Pattern[str]] = ()
) -> tuple[list[str], list[Removal]]:
    """Lines without clutter, and what was removed. Headings and blank lines are kept
    (the chapter splitter needs them); repeated blocks are removed per chapter later. A
    breadcrumb is near the top, or ends with a chapter heading (a page per chapter)."""
    edges = _edge_lines(lines)
    kept: list[str] = []
    removed: list[Removal] = []
    seen = 0  # non-blank lines so far
    for number, line in enumerate(lines):
        if not line.strip():
            kept.append(line)
            continue
        seen += 1
        crumbs = breadcrumb_parts(line)
        if crumbs and (seen <= BREADCRUMB_TOP_LINES or match_heading(crumbs[-1])):
            removed.append(Removal(line, "breadcrumb"))
            continue
        hit = next((p for p in patterns if p.search(line)), None)
        if hit is not None:
            removed.append(Removal(line, f"pattern: {hit.pattern}"))
            continue
        if number in edges and len(line) <= MAX_NOTICE_CHARS:
            # the top and bottom of a download are the site's: a notice, or an ad line
            if _ad_line(line):
                removed.append(Removal(line, "ad"))
                continue
            if _NOTICE.search(line):
                removed.append(Removal(line, "notice"))
                continue
        rest, cut = cut_ads(line)
        removed += cut
        if rest is not None:
            kept.append(rest)
    return kept, removed


def _edge_lines(lines: list[str]) -> set[int]:
    """Indexes of the first and last few non-blank lines."""
    filled = [k for k, line in enumerate(lines) if line.strip()]
    return set(filled[:NOTICE_LINES] + filled[-NOTICE_LINES:])
