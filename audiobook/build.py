"""The build stage: a cast book to one tagged MP3 per chapter.

Each segment becomes a job for the runner, which puts its audio in the segment cache;
chapters are then stitched from the cache one at a time and streamed to disk, so memory
does not grow with the book. A chapter whose file already exists and was made from the
same segments, voices and settings is left as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from mutagen.id3 import ID3, TALB, TPE1, TRCK

from audiobook.audio import (
    BIT_RATE_KBPS,
    AudioSegment,
    Mp3Writer,
    clip_from_samples,
    decode,
    silence,
)
from audiobook.cache import SegmentCache, segment_key
from audiobook.casting import voice_for
from audiobook.engines import SAMPLE_RATE, Engine, speakable
from audiobook.errors import AudiobookError
from audiobook.files import safe_name
from audiobook.markers import MARKER_EVERY_MS, plan_markers
from audiobook.model import Book, Chapter, Segment
from audiobook.runner import Job, RetryPolicy, Runner, SegmentFailed
from audiobook.tags import ChapterTags, read_source_key, write_tags
from audiobook.voices import Voice

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
    error: str | None = None  # why the chapter could not be made (the file is then absent)


class BuildProgress(Protocol):
    def segments_planned(self, count: int) -> None: ...

    def segment_finished(self, how: str) -> None: ...

    def chapter_done(self, result: ChapterResult) -> None: ...


@dataclass
class BuildPlan:
    book: Book
    out_dir: Path
    chapters: list[Chapter]
    pauses: Pauses = field(default_factory=Pauses)
    refresh: bool = False
    marker_every_ms: int = MARKER_EVERY_MS

    @property
    def book_dir(self) -> Path:
        return self.out_dir / safe_name(self.book.name)

    def chapter_path(self, chapter: Chapter) -> Path:
        title = safe_name(self.book.chapter_title(chapter))
        return self.book_dir / f"{chapter.order:04d} {title}.mp3"


@dataclass(frozen=True)
class Line:
    """One thing the listener hears: the heading (``segment`` None) or a segment."""

    segment: Segment | None
    job: Job | None  # None: nothing to say (punctuation only), only the pause around it


def chapter_lines(chapter: Chapter, voices: dict[str | None, Voice], engine: Engine) -> list[Line]:
    def line(segment: Segment | None, text: str) -> Line:
        if not speakable(text):
            return Line(segment, None)
        voice = voice_for(voices, segment)
        return Line(
            segment, Job(segment_key(engine.name, engine.version, voice, text), text, voice)
        )

    heading = [line(None, chapter.heading)] if chapter.heading else []
    return heading + [line(s, s.text) for s in chapter.segments]


async def build_book(
    plan: BuildPlan,
    engine: Engine,
    voices: dict[str | None, Voice],
    progress: BuildProgress,
    cache: SegmentCache | None = None,
    concurrency: int | None = None,
    retry: RetryPolicy | None = None,
) -> list[ChapterResult]:
    """Start ``engine``, run the build through a runner, and stop the engine."""
    await engine.start()
    try:
        runner = Runner(
            engine,
            cache or SegmentCache(),
            concurrency=concurrency,
            retry=retry,
            progress=progress,
            refresh=plan.refresh,
        )
        async with runner:
            return await build(plan, runner, voices, progress)
    finally:
        await engine.close()


async def build(
    plan: BuildPlan,
    runner: Runner,
    voices: dict[str | None, Voice],
    progress: BuildProgress,
) -> list[ChapterResult]:
    """Every chapter of the plan, in order. Segments are synthesized ahead by the runner
    while finished chapters are stitched; a chapter whose segments failed is reported
    and the others are still made."""
    engine = runner.engine
    todo = []
    results: dict[int, ChapterResult] = {}
    for chapter in plan.chapters:
        lines = chapter_lines(chapter, voices, engine)
        key = source_key(plan, chapter, lines)
        path = plan.chapter_path(chapter)
        if not plan.refresh and path.exists() and read_source_key(path) == key:
            duration = _retag_existing(plan, chapter, path)
            results[chapter.order] = ChapterResult(chapter, path, duration, reused=True)
            progress.chapter_done(results[chapter.order])
        else:
            todo.append((chapter, lines, key))
    jobs = [line.job for _, lines, _ in todo for line in lines if line.job]
    progress.segments_planned(len({job.key for job in jobs}))
    runner.schedule(jobs)
    for chapter, lines, key in todo:
        try:
            await runner.wait(line.job.key for line in lines if line.job)
        except SegmentFailed as exc:
            result = ChapterResult(chapter, plan.chapter_path(chapter), 0, False, str(exc))
        else:
            # Stitching is CPU work: on a thread, so that the runner keeps going meanwhile.
            result = await asyncio.to_thread(
                render_chapter, plan, chapter, lines, key, runner.cache, engine.name
            )
        results[chapter.order] = result
        progress.chapter_done(result)
    return [results[c.order] for c in plan.chapters]


def source_key(plan: BuildPlan, chapter: Chapter, lines: list[Line]) -> str:
    """Everything the file of a chapter depends on, hashed: the segment keys cover the
    engine, voices and texts."""
    payload = {
        "pauses": asdict(plan.pauses),
        "bit_rate": BIT_RATE_KBPS,
        "title": plan.book.chapter_title(chapter),
        "lines": [
            [line.segment.paragraph if line.segment else -1, line.job.key if line.job else ""]
            for line in lines
        ],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def render_chapter(
    plan: BuildPlan,
    chapter: Chapter,
    lines: list[Line],
    key: str,
    cache: SegmentCache,
    engine: str,
) -> ChapterResult:
    """Stitch the chapter's cached segments, with pauses, into its MP3 file."""
    path = plan.chapter_path(chapter)
    pauses = plan.pauses
    writer = Mp3Writer(path, SAMPLE_RATE)
    paragraph_starts: list[tuple[int, str]] = []
    try:
        writer.append(silence(pauses.lead_in, SAMPLE_RATE))
        previous: Segment | None = None
        for line in lines:
            segment = line.segment
            if segment is None:
                writer.append(_clip(cache, line))
                writer.append(silence(pauses.after_heading, SAMPLE_RATE))
                continue
            if previous is not None:
                writer.append(silence(_gap(pauses, previous, segment), SAMPLE_RATE))
            if previous is None or segment.paragraph != previous.paragraph:
                paragraph_starts.append(
                    (writer.position_ms, _paragraph_text(chapter, segment.paragraph))
                )
            writer.append(_clip(cache, line))
            previous = segment
        writer.append(silence(pauses.tail, SAMPLE_RATE))
        part = writer.finish()
        duration = writer.position_ms
        write_tags(part, _tags(plan, chapter, duration, key, paragraph_starts, engine))
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    return ChapterResult(chapter, path, duration, reused=False)


def _clip(cache: SegmentCache, line: Line) -> AudioSegment:
    if line.job is None:
        return silence(0, SAMPLE_RATE)
    speech = cache.get(line.job.key)
    if speech is None:
        raise AudiobookError(f"segment missing from the cache: {line.job.text[:20]!r}")
    return clip_from_samples(decode(speech), SAMPLE_RATE)


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
    engine: str,
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
        engine=engine,
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
