"""The data model every stage works on: a book of chapters of segments.

A segment is one sentence to speak, or one quoted speech. ``paragraph`` counts paragraphs
inside the chapter, so assembly can put a longer pause where a paragraph ends and chapter
markers can start at a paragraph.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

UNSURE_BELOW = 0.5  # a speaker's confidence under this is shown as uncertain


@dataclass(frozen=True)
class Segment:
    text: str
    paragraph: int
    kind: str = "narration"  # "narration" or "speech"
    speaker: str | None = None
    confidence: float | None = None  # of the speaker (0-1), for speech
    cue: str | None = None  # what decided the speaker ("tag after", "reply", ...)

    @property
    def unsure(self) -> bool:
        """Speech whose speaker is more likely wrong than not: marked for the reader."""
        return self.kind == "speech" and (self.confidence or 0.0) < UNSURE_BELOW


class PackedSegments(Sequence[Segment]):
    """A chapter's segments kept compressed (a tenth of their size as objects) and made
    again each time they are read: a build holds every chapter of a long novel, but
    reads one at a time."""

    def __init__(self, segments: Iterable[Segment]) -> None:
        rows = [(s.text, s.paragraph, s.kind, s.speaker, s.confidence, s.cue) for s in segments]
        self._count = len(rows)
        self._packed = zlib.compress(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), 1)

    def _unpacked(self) -> list[Segment]:
        return [Segment(*row) for row in pickle.loads(zlib.decompress(self._packed))]

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Segment]:
        return iter(self._unpacked())

    def __getitem__(self, index):  # type: ignore[override]: an int or a slice
        return self._unpacked()[index]


@dataclass
class Character:
    name: str
    gender: str = "unknown"  # "male", "female" or "unknown"
    aliases: list[str] = field(default_factory=list)


@dataclass
class Chapter:
    order: int  # 1-based position in the book; names the output file
    title: str | None  # what the listener sees: "暗访缙金科技园"; None if the text has none
    heading: str  # what is read first: "第431章 暗访缙金科技园"; "" reads nothing
    number: int | None = None  # the number in the heading, when there is one
    volume: str | None = None  # "第一卷 风起" when the book has volumes
    segments: Sequence[Segment] = field(default_factory=list)  # a list, or PackedSegments

    @property
    def characters(self) -> int:
        return sum(len(s.text) for s in self.segments)


@dataclass
class Book:
    title: str | None  # as the text (or EPUB metadata) gives it; None if it does not
    chapters: list[Chapter]
    author: str | None = None
    fallback_title: str = "untitled"  # the file name, for folders and tags
    characters: list[Character] = field(default_factory=list)

    def packed(self) -> Book:
        """The same book with each chapter's segments compressed (``PackedSegments``)."""
        chapters = [replace(c, segments=PackedSegments(c.segments)) for c in self.chapters]
        return replace(self, chapters=chapters)

    @property
    def name(self) -> str:
        return self.title or self.fallback_title

    def chapter_title(self, chapter: Chapter) -> str:
        return chapter.title or self.name
