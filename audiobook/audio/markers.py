"""Where chapter markers go inside one chapter file."""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER_EVERY_MS = 3 * 60 * 1000  # a new marker at the first paragraph this long after the last
TITLE_CHARS = 16
_CLAUSE = re.compile(r"[，,。！？!?；;：:…—]")


@dataclass(frozen=True)
class Marker:
    start_ms: int
    title: str


def plan_markers(
    chapter_title: str, paragraph_starts: list[tuple[int, str]], every_ms: int = MARKER_EVERY_MS
) -> list[Marker]:
    """A marker at the start titled with the chapter title, then one at each paragraph that
    begins at least ``every_ms`` after the previous marker, titled with its first words.
    ``paragraph_starts`` holds (start in ms, paragraph text), in order."""
    markers = [Marker(0, chapter_title)]
    for start_ms, text in paragraph_starts:
        if start_ms - markers[-1].start_ms >= every_ms:
            markers.append(Marker(start_ms, first_words(text)))
    return markers


def first_words(text: str, limit: int = TITLE_CHARS) -> str:
    text = text.strip().lstrip("“”\"'「『")
    clause = _CLAUSE.split(text, maxsplit=1)[0].strip()
    if len(clause) <= limit and clause:
        return clause + ("…" if len(clause) < len(text.rstrip("。！？!?")) else "")
    return text[:limit] + "…"
