"""The data model every stage works on: a book of chapters of segments.

A segment is one sentence to speak. ``paragraph`` counts paragraphs inside the chapter,
so assembly can put a longer pause where a paragraph ends and chapter markers can start
at a paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Segment:
    text: str
    paragraph: int
    kind: str = "narration"  # "narration" or "speech"
    speaker: str | None = None


@dataclass
class Chapter:
    order: int  # 1-based position in the book; names the output file
    title: str  # what the listener sees: "暗访缙金科技园"
    heading: str  # what is read first: "第431章 暗访缙金科技园"
    number: int | None = None  # the number in the heading, when there is one
    segments: list[Segment] = field(default_factory=list)

    @property
    def characters(self) -> int:
        return sum(len(s.text) for s in self.segments)


@dataclass
class Book:
    title: str
    chapters: list[Chapter]
    author: str | None = None
