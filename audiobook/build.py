"""The build stage: a parsed book to one tagged MP3 per chapter.

Chapters are rendered one at a time and streamed to disk, so memory does not grow with
the book. A chapter whose file already exists and was made from the same text with the
same voice and settings is not synthesized again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from mutagen.id3 import ID3, TALB, TPE1, TRCK

from audiobook.audio import BIT_RATE_KBPS, Mp3Writer, clip_from_samples, silence
from audiobook.engines import Engine
from audiobook.files import safe_name
from audiobook.markers import MARKER_EVERY_MS, plan_markers
from audiobook.model import Book, Chapter, Segment
from audiobook.synthesis import Synthesizer
from audiobook.tags import ChapterTags, read_source_key, write_tags

UNKNOWN_AUTHOR = "佚名"


@dataclass(frozen=True)
class Pauses:
    """Silences in milliseconds."""

    lead_in: int = 300
    after_heading: int = 1000
    sentence: int = 350
    trailing_off: int = 650  # after a sentence that ends in …… or ——
    paragraph: int = 800
    tail: int = 1200


@dataclass
class ChapterResult:
    chapter: Chapter
    path: Path
    duration_ms: int
    reused: bool  # the existing file was already up to date


class BuildProgress(Protocol):
    def chapter_started(self, chapter: Chapter) -> None: ...

    def segment_done(self) -> None: ...

    def chapter_done(self, result: ChapterResult) -> None: ...


@dataclass
class BuildPlan:
    book: Book
    out_dir: Path
    chapters: list[Chapter]
    voice: object = None
    pauses: Pauses = field(default_factory=Pauses)
    refresh: bool = False
    marker_every_ms: int = MARKER_EVERY_MS

    @property
    def book_dir(self) -> Path:
        return self.out_dir / safe_name(self.book.name)

    def chapter_path(self, chapter: Chapter) -> Path:
        title = safe_name(self.book.chapter_title(chapter))
        return self.book_dir / f"{chapter.order:04d} {title}.mp3"


def build(plan: BuildPlan, synth: Synthesizer, progress: BuildProgress) -> list[ChapterResult]:
    results = []
    for chapter in plan.chapters:
        progress.chapter_started(chapter)
        result = render_chapter(plan, chapter, synth, progress)
        progress.chapter_done(result)
        results.append(result)
    return results


def source_key(plan: BuildPlan, chapter: Chapter, engine: Engine) -> str:
    """Everything the audio of a chapter depends on, hashed."""
    payload = {
        "engine": engine.name,
        "engine_version": engine.version,
        "voice": repr(plan.voice),
        "pauses": asdict(plan.pauses),
        "bit_rate": BIT_RATE_KBPS,
        "heading": chapter.heading,
        "title": plan.book.chapter_title(chapter),
        "segments": [[s.paragraph, s.kind, s.speaker, s.text] for s in chapter.segments],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def render_chapter(
    plan: BuildPlan, chapter: Chapter, synth: Synthesizer, progress: BuildProgress
) -> ChapterResult:
    engine = synth.engine
    path = plan.chapter_path(chapter)
    key = source_key(plan, chapter, engine)
    if not plan.refresh and path.exists() and read_source_key(path) == key:
        duration = _retag_existing(plan, chapter, path)
        for _ in chapter.segments:
            progress.segment_done()
        return ChapterResult(chapter, path, duration, reused=True)

    rate = engine.sample_rate
    pauses = plan.pauses
    texts = ([chapter.heading] if chapter.heading else []) + [s.text for s in chapter.segments]
    writer = Mp3Writer(path, rate)
    paragraph_starts: list[tuple[int, str]] = []
    try:
        audio = synth.run(texts, plan.voice)
        writer.append(silence(pauses.lead_in, rate))
        if chapter.heading:
            writer.append(clip_from_samples(next(audio), rate))
            writer.append(silence(pauses.after_heading, rate))
        previous = None
        for segment, samples in zip(chapter.segments, audio, strict=True):
            if previous is not None:
                writer.append(silence(_gap(pauses, previous, segment), rate))
            if previous is None or segment.paragraph != previous.paragraph:
                paragraph_starts.append(
                    (writer.position_ms, _paragraph_text(chapter, segment.paragraph))
                )
            writer.append(clip_from_samples(samples, rate))
            previous = segment
            progress.segment_done()
        writer.append(silence(pauses.tail, rate))
        part = writer.finish()
        duration = writer.position_ms
        write_tags(part, _tags(plan, chapter, duration, key, paragraph_starts))
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    return ChapterResult(chapter, path, duration, reused=False)


def _gap(pauses: Pauses, before: Segment, after: Segment) -> int:
    """The silence between two sentences: longer across paragraphs, and after a
    sentence that trails off."""
    if after.paragraph != before.paragraph:
        return pauses.paragraph
    if before.text.rstrip("”’」』）)\"'").endswith(("…", "—")):
        return pauses.trailing_off
    return pauses.sentence


def _paragraph_text(chapter: Chapter, paragraph: int) -> str:
    return "".join(s.text for s in chapter.segments if s.paragraph == paragraph)


def _tags(
    plan: BuildPlan,
    chapter: Chapter,
    duration_ms: int,
    key: str,
    paragraph_starts: list[tuple[int, str]],
) -> ChapterTags:
    title = plan.book.chapter_title(chapter)
    return ChapterTags(
        title=title,
        album=plan.book.name,
        artist=plan.book.author or UNKNOWN_AUTHOR,
        track=chapter.order,
        total=len(plan.book.chapters),
        duration_ms=duration_ms,
        markers=plan_markers(title, paragraph_starts[1:], plan.marker_every_ms),
        source_key=key,
    )


def _retag_existing(plan: BuildPlan, chapter: Chapter, path: Path) -> int:
    """Refresh the book-level tags of an up-to-date file (the book may have gained
    chapters since) and return its duration from its chapter frames."""
    id3 = ID3(path)
    id3.setall("TRCK", [TRCK(encoding=3, text=[f"{chapter.order}/{len(plan.book.chapters)}"])])
    id3.setall("TALB", [TALB(encoding=3, text=[plan.book.name])])
    id3.setall("TPE1", [TPE1(encoding=3, text=[plan.book.author or UNKNOWN_AUTHOR])])
    id3.save(path, v2_version=3)
    return max((f.end_time for f in id3.getall("CHAP")), default=0)
