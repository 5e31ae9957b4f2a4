"""Lines split into chapters at their headings, the heading shapes chosen per book.

Every strong heading (see ``headings``) is one. Of the weak shapes, at most one family heads
a book's chapters: the one whose numbers form a coherent sequence through the file (each
larger than the last, few and small gaps, chapters of plausible length) and that outnumbers
the strong chapter headings, so that a year on its own line, a numbered list inside a
chapter or a line of prose never splits a chapter. A table of contents (a run of headings
with nothing between them) is left out. ``--chapter-pattern`` replaces the choice.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from audiobook.text.headings import Heading, match_heading, parse_number
from audiobook.text.normalize import normalize_spaces

MIN_WEAK_CHAPTERS = 3
MIN_COHERENCE = 0.6  # of a weak family's lines that must fall in its number sequence
MAX_GAP = 20  # a number this far past the last one is not the next chapter (a year)
MIN_MEDIAN_CHARS = 50  # a weak family's chapters are longer than a list's items
CONTENTS_RUN = 3  # chapter headings in a row with nothing between: a table of contents
_ANY_NUMERAL = re.compile(
    r"[0-9０-９]+|[〇零一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟]+"
)


@dataclass
class RawChapter:
    heading: Heading | None
    lines: list[str] = field(default_factory=list)
    volume: str | None = None


@dataclass
class Split:
    front: list[str]  # lines before the first heading
    chapters: list[RawChapter]
    contents: list[str] = field(default_factory=list)  # a table of contents, left out


def split_chapters(lines: list[str], pattern: re.Pattern[str] | None = None) -> Split:
    """A volume heading followed directly by a chapter heading is not a chapter of its
    own: it names the volume of the chapters after it. The same heading twice in a row
    makes one chapter; 正文 right before a heading only marks where the story starts."""
    headings, contents = choose_headings(lines, pattern)
    glued = {} if pattern else _glued_headings(lines, headings)
    front: list[str] = []
    chapters: list[RawChapter] = []
    volume: str | None = None
    for index, line in enumerate(lines):
        heading = headings.get(index)
        if index in contents:
            continue
        if index in glued:  # “…睡意。八”: the story's end, then the next chapter's heading
            line, heading = glued[index]
            (chapters[-1].lines if chapters else front).append(line)
            chapters.append(RawChapter(heading=heading, volume=volume))
            continue
        if heading is None:
            (chapters[-1].lines if chapters else front).append(line)
            continue
        last = chapters[-1] if chapters else None
        empty = last is not None and not any(s.strip() for s in last.lines)
        if empty and last.heading == heading:
            continue  # a repeated heading line
        if empty and last.heading and (last.heading.volume or last.heading.marker == "正文"):
            chapters.pop()  # the volume heading only opens the volume
        if heading.volume:
            volume = heading.spoken
        chapters.append(RawChapter(heading=heading, volume=volume))
    return Split(front, chapters, [lines[i] for i in sorted(contents)])


def choose_headings(
    lines: list[str], pattern: re.Pattern[str] | None = None
) -> tuple[dict[int, Heading], set[int]]:
    """(line index -> heading, indexes of table-of-contents lines)."""
    if pattern is not None:
        return _user_headings(lines, pattern), set()
    found = {i: h for i, line in enumerate(lines) if (h := match_heading(line)) is not None}
    contents = _contents(found, lines)
    strong = {i: h for i, h in found.items() if h.strong and i not in contents}
    strong_chapters = sum(1 for h in strong.values() if h.family != "special" and not h.volume)
    families: dict[tuple[str, str], list[int]] = {}
    for i, h in found.items():
        if not h.strong and i not in contents:
            families.setdefault((h.family, h.prefix), []).append(i)
    volumes = sorted(i for i, h in strong.items() if h.volume)
    sizes = _line_offsets(lines)
    best: list[int] = []
    for members in families.values():
        kept = _in_sequence(members, found, volumes)
        if (
            len(kept) >= max(MIN_WEAK_CHAPTERS, strong_chapters + 1, len(best) + 1)
            and len(kept) >= MIN_COHERENCE * len(_in_range(members, kept, found))
            and _median_length(kept, sizes) >= MIN_MEDIAN_CHARS
        ):
            best = kept
    return strong | {i: found[i] for i in best}, contents


def _glued_headings(lines: list[str], headings: dict[int, Heading]) -> dict[int, tuple]:
    """Bare-number headings a download glued to the end of the paragraph before (…平安的
    睡意。八): where the chosen sequence skips a number, a paragraph between that ends a
    sentence and then says exactly that number. Line index -> (the paragraph, heading)."""
    members = sorted(i for i, h in headings.items() if h.family == "bare")
    glued: dict[int, tuple] = {}
    for start, end in itertools.pairwise(members):
        low, high = headings[start].number, headings[end].number
        if low is None or high is None or high - low < 2:
            continue
        chinese = not headings[start].marker.isdigit()
        wanted = low + 1
        for i in range(start + 1, end):
            numeral = _chinese(wanted) if chinese else str(wanted)
            found = re.match(rf"^(.*[。！？!?…”’])\s*{numeral}\s*$", lines[i])
            if found and wanted < high:
                glued[i] = (
                    found[1],
                    Heading(marker=numeral, number=wanted, title="", family="bare"),
                )
                wanted += 1
    return glued


def _chinese(number: int) -> str:
    """1-99 in Chinese numerals, as chapter headings write them: 八, 十八, 二十四."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(number, 10)
    if not tens:
        return digits[ones]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _user_headings(lines: list[str], pattern: re.Pattern[str]) -> dict[int, Heading]:
    """Lines that start with the user's pattern; its groups ``number`` and ``title``
    are used when it has them."""
    headings = {}
    for i, line in enumerate(lines):
        text = normalize_spaces(line)
        found = pattern.match(text) if text else None
        if not found:
            continue
        groups = found.groupdict()
        numeral = groups.get("number") or (m[0] if (m := _ANY_NUMERAL.search(found[0])) else None)
        title = groups.get("title") or text[found.end() :].strip(" :：、.-—")
        marker = found[0].strip() if "title" not in groups else ""
        headings[i] = Heading(
            marker=marker or title,
            number=parse_number(numeral) if numeral else None,
            title=title if marker else "",
            family="pattern",
        )
    return headings


def _contents(found: dict[int, Heading], lines: list[str]) -> set[int]:
    """Strong chapter headings in runs of CONTENTS_RUN or more with only blank lines
    between them: a table of contents, not chapters."""
    contents: set[int] = set()
    run: list[int] = []

    def end_run() -> None:
        chapter_like = [k for k in run if found[k].family != "special" and not found[k].volume]
        if len(chapter_like) >= CONTENTS_RUN:
            contents.update(run)
        run.clear()

    for i, line in enumerate(lines):
        if not line.strip():
            continue
        heading = found.get(i)
        if heading is None or not heading.strong:
            end_run()
            continue
        last = found[run[-1]] if run else None
        if last and (last == heading or (heading.number or 0) <= (last.number or 0)):
            end_run()  # the numbers start again: the chapters themselves begin here
        run.append(i)
    end_run()
    return contents


def _in_sequence(members: list[int], found: dict[int, Heading], volumes: list[int]) -> list[int]:
    """The members whose numbers increase through each volume (the longest increasing
    run of them), without a jump too large to be the next chapter. Families without
    numbers (☆、标题) keep every member."""
    if any(found[i].number is None for i in members):
        return members
    kept: list[int] = []
    for segment in _by_volume(members, volumes):
        previous = None
        for i in _longest_increasing(segment, [found[i].number for i in segment]):
            number = found[i].number
            if previous is None or number - previous <= MAX_GAP:
                kept.append(i)
                previous = number
    return kept


def _in_range(members: list[int], kept: list[int], found: dict[int, Heading]) -> list[int]:
    """The members whose numbers are not far beyond the sequence: a year (2008) is no
    rival of chapter 60, a second list item 2 is."""
    if not kept or found[kept[0]].number is None:
        return members
    top = max(found[i].number for i in kept) + MAX_GAP
    return [i for i in members if found[i].number <= top]


def _by_volume(members: list[int], volumes: list[int]) -> list[list[int]]:
    segments: dict[int, list[int]] = {}
    for i in members:
        segments.setdefault(bisect.bisect(volumes, i), []).append(i)
    return list(segments.values())


def _longest_increasing(items: list[int], numbers: list[int]) -> list[int]:
    """The longest subsequence of ``items`` with strictly increasing ``numbers``, in
    O(n log n) (patience sorting)."""
    tails: list[int] = []  # tails[k]: the smallest last number of a run of length k+1
    tail_at: list[int] = []  # ... and the position that holds it
    parent = [-1] * len(items)
    for k, number in enumerate(numbers):
        at = bisect.bisect_left(tails, number)
        if at == len(tails):
            tails.append(number)
            tail_at.append(k)
        else:
            tails[at] = number
            tail_at[at] = k
        parent[k] = tail_at[at - 1] if at else -1
    out = []
    k = tail_at[-1] if tail_at else -1
    while k != -1:
        out.append(items[k])
        k = parent[k]
    return out[::-1]


def _line_offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.strip()))
    return offsets


def _median_length(members: list[int], offsets: list[int]) -> float:
    """The median number of characters from each member to the next (or the end)."""
    if not members:
        return 0
    ends = [*members[1:], len(offsets) - 1]
    pairs = zip(members, ends, strict=True)
    lengths = sorted(offsets[end] - offsets[start] for start, end in pairs)
    return lengths[len(lengths) // 2]
