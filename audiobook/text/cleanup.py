"""Removing what is not the story: site breadcrumbs, ad and URL lines (also disguised
ones such as ``wＷw．xiＡoshＵotxt.neｔt@xt`小$说$天"堂``), blocks of paragraphs repeated
right after themselves, and the user's own patterns. Every removal says why."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from audiobook.errors import AudiobookError
from audiobook.text.hanzi import HANZI

_BREADCRUMB_SEPARATOR = re.compile(r"\s*(?:>|&gt;|»|›|→)\s*")
_URL_SIGN = re.compile(r"www|https?|\.(?:com|net|org|cn|cc|info|tw|me|la|top|vip|xyz)\b")
_URL = re.compile(
    r"(?:https?://|www\.)[\w./\-?=&%#~]+|[\w\-]+(?:\.[\w\-]+)*\.(?:com|net|org|cn|cc)\b[\w./\-?=&%#~]*",
    re.ASCII,
)
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
)
MIN_REPEATED_CHARS = 40  # a repeated block shorter than this is legitimate ("好。")


@dataclass(frozen=True)
class Removal:
    text: str
    reason: str  # "breadcrumb", "ad", "url", "repeated", "pattern: …"


def breadcrumb_parts(line: str) -> list[str] | None:
    """``下书看 > 书名 > 第431章 …`` -> its parts; None when the line is not a breadcrumb."""
    parts = [p for p in _BREADCRUMB_SEPARATOR.split(line) if p]
    if len(parts) >= 3 and all(len(p) <= 40 for p in parts):
        return parts
    return None


def _skeleton(line: str) -> str:
    """The line as an ad filter sees it: compatibility forms folded (ｗ -> w), lower
    case, and only letters, digits, dots and Chinese characters kept."""
    folded = unicodedata.normalize("NFKC", line).lower().replace("。", ".")
    return "".join(ch for ch in folded if ch.isalnum() or ch == ".")


def ad_reason(line: str) -> str | None:
    """Why ``line`` is an ad as a whole, or None. Long lines of story text that merely
    contain a URL are not ads: ``strip_urls`` handles those."""
    skeleton = _skeleton(line)
    cjk = len(HANZI.findall(line))
    if any(phrase in skeleton for phrase in AD_PHRASES) and cjk < 120:
        return "ad"
    if _URL_SIGN.search(skeleton.replace(".", "") if "www" in skeleton else skeleton):
        return "ad" if cjk < 60 or "http" in skeleton else None
    return None


def strip_urls(line: str) -> str:
    return _URL.sub("", line)


def remove_repeats(paragraphs: list[str]) -> tuple[list[str], list[Removal]]:
    """Drop a block of paragraphs that repeats right after itself (A B A B -> A B), the
    longest block first; short repeated lines such as “好。” are kept."""
    kept: list[str] = []
    removed: list[Removal] = []
    i, n = 0, len(paragraphs)
    while i < n:
        size = _repeat_size(paragraphs, i)
        if size:
            kept.extend(paragraphs[i : i + size])
            removed.extend(Removal(p, "repeated") for p in paragraphs[i + size : i + 2 * size])
            i += 2 * size
        else:
            kept.append(paragraphs[i])
            i += 1
    return kept, removed


def _repeat_size(paragraphs: list[str], start: int) -> int:
    """The largest block length L with paragraphs[start:start+L] repeated right after."""
    remaining = len(paragraphs) - start
    for size in range(remaining // 2, 0, -1):
        if paragraphs[start] != paragraphs[start + size]:
            continue
        block = paragraphs[start : start + size]
        if block == paragraphs[start + size : start + 2 * size] and (
            sum(len(p) for p in block) >= MIN_REPEATED_CHARS
        ):
            return size
    return 0


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
    (the chapter splitter needs them); repeated blocks are removed per chapter later."""
    kept: list[str] = []
    removed: list[Removal] = []
    for line in lines:
        if not line.strip():
            kept.append(line)
            continue
        if breadcrumb_parts(line):
            removed.append(Removal(line, "breadcrumb"))
            continue
        hit = next((p for p in patterns if p.search(line)), None)
        if hit is not None:
            removed.append(Removal(line, f"pattern: {hit.pattern}"))
            continue
        reason = ad_reason(line)
        if reason:
            removed.append(Removal(line, reason))
            continue
        stripped = strip_urls(line)
        if stripped != line:
            removed.append(Removal(line, "url"))
            line = stripped
        kept.append(line)
    return kept, removed
