"""The build stage: a cast book to one tagged MP3 per chapter, with subtitles.

Each sentence becomes a job for the runner, which puts its audio in the segment cache;
chapters are then rendered from the cache one at a time (``render.py``), so memory does
not grow with the book. A chapter whose files exist and were made from the same
sentences, voices and settings is left as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from audiobook.audio.clips import BIT_RATE_KBPS, Mp3Writer
from audiobook.audio.markers import MARKER_EVERY_MS, plan_markers
from audiobook.audio.render import Line, RawChapter, lay_out
from audiobook.audio.runs import group_runs, placed
from audiobook.audio.subtitles import Cue, lrc, srt
from audiobook.audio.tags import ChapterTags, Cover, read_source_key, update_book_tags, write_tags
from audiobook.cast.casting import voice_for
from audiobook.cast.voices import Voice
from audiobook.config import Level, Pauses
from audiobook.files import book_folder, safe_name, write_atomic
from audiobook.model import Book, Chapter, Segment
from audiobook.speech.cache import SegmentCache, segment_key
from audiobook.speech.engines import SAMPLE_RATE, Engine, speakable
from audiobook.speech.pronounce import Lexicon
from audiobook.speech.runner import Job, RetryPolicy, Runner, SegmentFailed
from audiobook.text.sentences import split_sentences

UNKNOWN_AUTHOR = "佚名"
RENDER_VERSION = 2  # bump when the same cached audio would now be rendered differently


@dataclass
class ChapterResult:
    chapter: Chapter
    path: Path
    duration_ms: int
    reused: bool  # the existing file was already up to date
    error: str | None = None  # why the chapter could not be made (the file is then absent)
    cues: list[Cue] = field(default_factory=list)  # empty for a reused chapter


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
    level: Level = field(default_factory=Level)
    refresh: bool = False
    marker_every_ms: int = MARKER_EVERY_MS
    cover: Cover | None = None
    limit_ms: int | None = None  # stop each chapter after this much (previews)
    folder_name: str = ""  # chapter files in this folder of the book's folder (previews)
    single_voice: bool = False  # every line in the narrator's voice
    keep_cues: bool = False  # each result keeps where its sentences are heard (previews)
    rate: int = 0  # percent added to every voice's rate
    lexicon: Lexicon = field(default_factory=Lexicon)  # readings of words ([pronounce])

    @property
    def book_dir(self) -> Path:
        """The book's folder: chapters, subtitles, cast, feed."""
        return book_folder(self.out_dir, self.book.name)

    def chapter_path(self, chapter: Chapter) -> Path:
        title = safe_name(self.book.chapter_title(chapter))
        return self.book_dir / self.folder_name / f"{chapter.order:04d} {title}.mp3"


def subtitle_paths(path: Path) -> tuple[Path, Path]:
    return path.with_suffix(".lrc"), path.with_suffix(".srt")


def chapter_lines(
    chapter: Chapter,
    voices: dict[str | None, Voice],
    engine: Engine,
    lexicon: Lexicon | None = None,
) -> list[Line]:
    """The sentences of a chapter in reading order, each with the job that voices it: the
    line as the engine is given it (``pronounce.py``). A quote of several sentences is
    several lines: one request each, one subtitle each."""
    lexicon = lexicon or Lexicon()

    def line(segment: Segment | None, text: str) -> Line:
        if not speakable(text):
            return Line(segment, text, None)
        voice = voice_for(voices, segment)
        spoken = lexicon.spoken(text, engine.name)
        key = segment_key(engine.name, engine.version, voice, spoken)
        return Line(segment, text, Job(key, spoken, voice))

    lines = [line(None, chapter.heading)] if chapter.heading else []
    for segment in chapter.segments:
        sentences = split_sentences(segment.text) if segment.kind == "speech" else [segment.text]
        lines += [line(segment, sentence) for sentence in sentences or [segment.text]]
    return group_runs(lines, engine.run_bytes, _key_maker(engine))


def _key_maker(engine: Engine):
    def key_of(text: str, voice: Voice) -> str:
        return segment_key(engine.name, engine.version, voice, text)

    return key_of


def limit_lines(lines: list[Line], limit_ms: int | None) -> list[Line]:
    """The first lines, about ``limit_ms`` of them at a speaking rate of 4.3 characters a
    second (rendering stops at the limit anyway; this keeps synthesis to what is heard)."""
    if limit_ms is None:
        return lines
    budget = limit_ms / 1000 * 4.3 * 1.2
    kept = []
    for line in lines:
        kept.append(line)
        budget -= len(line.text)
        if budget <= 0:
            break
    return kept


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


WINDOW_JOBS = 400  # jobs scheduled ahead of the chapter being rendered, at least one chapter


async def build(
    plan: BuildPlan,
    runner: Runner,
    voices: dict[str | None, Voice],
    progress: BuildProgress,
) -> list[ChapterResult]:
    """Every chapter of the plan, in order. Sentences are synthesized a window ahead by the
    runner while finished chapters are rendered, so memory does not grow with the book; a
    chapter whose sentences failed is reported and the others are still made."""
    engine = runner.engine
    # counted first: each chapter's lines are made again when its turn comes
    progress.segments_planned(len(pending(plan, engine, voices)[1]))
    ahead: deque[tuple[Chapter, list[Line], str]] = deque()
    chapters = iter(plan.chapters)
    results: list[ChapterResult] = []

    def schedule_ahead() -> None:
        while sum(len(lines) for _, lines, _ in ahead) < WINDOW_JOBS or not ahead:
            chapter = next(chapters, None)
            if chapter is None:
                return
            lines = limit_lines(chapter_lines(chapter, voices, engine, plan.lexicon), plan.limit_ms)
            key = source_key(plan, chapter, lines)
            path = plan.chapter_path(chapter)
            if not plan.refresh and up_to_date(path, key):
                duration = retag_existing(plan, chapter, path)
                results.append(ChapterResult(chapter, path, duration, reused=True))
                progress.chapter_done(results[-1])
                continue
            runner.schedule(line.job for line in lines if line.job)
            ahead.append((chapter, lines, key))

    # Rendering is CPU work: on a thread, so that the runner keeps going meanwhile. Always
    # the same one: each thread that allocates gets its own malloc arena, and with the
    # event loop's pool of threads the process grew by 250 MB over a book.
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1, thread_name_prefix="render") as renderer:
        schedule_ahead()
        while ahead:
            chapter, lines, key = ahead.popleft()
            keys = [line.job.key for line in lines if line.job]
            try:
                lines, keys = await voice_lines(runner, lines)
            except SegmentFailed as exc:
                result = ChapterResult(chapter, plan.chapter_path(chapter), 0, False, str(exc))
            else:
                schedule_ahead()  # the next chapters' requests go out while this one renders
                result = await loop.run_in_executor(
                    renderer, render_chapter, plan, chapter, lines, key, runner.cache, engine.name
                )
                if not plan.keep_cues:
                    result.cues = []  # a preview's page needs them; a book does not
            still = {line.job.key for _, later, _ in ahead for line in later if line.job}
            runner.forget(k for k in keys if k not in still)  # shared with a later chapter: kept
            results.append(result)
            progress.chapter_done(result)
            schedule_ahead()
    by_order = {r.chapter.order: r for r in results}
    return [by_order[c.order] for c in plan.chapters]


async def voice_lines(runner: Runner, lines: list[Line]) -> tuple[list[Line], list[str]]:
    """The lines, once the runner has synthesized their jobs (scheduled already), placed
    in their runs' audio; and every job key they took. Runs the service read as other
    sentences are synthesized again, one sentence at a time."""
    keys = [line.job.key for line in lines if line.job]
    await runner.wait(keys)
    lines, again = placed(lines, runner.cache, _key_maker(runner.engine))
    if again:
        runner.schedule(again)
        await runner.wait(job.key for job in again)
        keys += [job.key for job in again]
    return lines, keys


def pending(
    plan: BuildPlan, engine: Engine, voices: dict[str | None, Voice]
) -> tuple[int, dict[str, int]]:
    """What a build of the plan would do: how many chapters are already up to date, and
    the jobs (one request each for the online voices) of the others, each once, as cache
    key -> characters. Only keys are kept, so that counting a long book stays small."""
    done, jobs = 0, {}
    for chapter in plan.chapters:
        lines = limit_lines(chapter_lines(chapter, voices, engine, plan.lexicon), plan.limit_ms)
        key = source_key(plan, chapter, lines)
        if not plan.refresh and up_to_date(plan.chapter_path(chapter), key):
            done += 1
        else:
            jobs.update({line.job.key: len(line.job.text) for line in lines if line.job})
    return done, jobs


def source_key(plan: BuildPlan, chapter: Chapter, lines: list[Line]) -> str:
    """Everything the files of a chapter depend on, hashed: the job keys cover the
    engine, voices and texts."""
    payload = {
        "render": RENDER_VERSION,
        "pauses": asdict(plan.pauses),
        "level": asdict(plan.level),
        "bit_rate": BIT_RATE_KBPS,
        "limit": plan.limit_ms,
        "cover": hashlib.sha256(plan.cover.data).hexdigest() if plan.cover else None,
        "title": plan.book.chapter_title(chapter),
        "lines": [
            [
                line.segment.paragraph if line.segment else -1,
                line.segment.speaker if line.segment else None,
                line.text,
                line.job.key if line.job else "",
            ]
            for line in lines
        ],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def up_to_date(path: Path, key: str) -> bool:
    lyrics, subtitles = subtitle_paths(path)
    return path.exists() and lyrics.exists() and subtitles.exists() and read_source_key(path) == key


def render_chapter(
    plan: BuildPlan,
    chapter: Chapter,
    lines: list[Line],
    key: str,
    cache: SegmentCache,
    engine: str,
) -> ChapterResult:
    """The chapter's MP3 (tagged, markers, cover) and its LRC and SRT subtitles."""
    path = plan.chapter_path(chapter)
    raw = RawChapter(path.parent)
    writer = Mp3Writer(path, SAMPLE_RATE)
    try:
        cues = lay_out(raw, lines, plan.pauses, cache, plan.limit_ms)
        raw.encode(writer, plan.level)
        part = writer.part
        duration = writer.position_ms
        write_tags(part, _tags(plan, chapter, duration, key, _paragraph_starts(cues), engine))
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    finally:
        raw.close()
    _write_subtitles(plan, chapter, path, cues, duration)
    return ChapterResult(chapter, path, duration, reused=False, cues=cues)


def _paragraph_starts(cues: list[Cue]) -> list[tuple[int, str]]:
    """(start, text) of each paragraph after the heading, for chapter markers."""
    starts: dict[int, list] = {}
    for cue in cues:
        if cue.paragraph >= 0:
            starts.setdefault(cue.paragraph, [cue.start_ms, ""])[1] += cue.text
    return [(start, text) for start, text in starts.values()]


def _write_subtitles(
    plan: BuildPlan, chapter: Chapter, path: Path, cues: list[Cue], duration: int
) -> None:
    lyrics, subtitles = subtitle_paths(path)
    title = plan.book.chapter_title(chapter)
    artist = plan.book.author or UNKNOWN_AUTHOR
    write_atomic(subtitles, srt(cues))
    write_atomic(
        lyrics, lrc(cues, title=title, artist=artist, album=plan.book.name, length_ms=duration)
    )


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
        cover=plan.cover,
    )


def retag_existing(plan: BuildPlan, chapter: Chapter, path: Path) -> int:
    return update_book_tags(
        path,
        track=chapter.order,
        total=len(plan.book.chapters),
        album=plan.book.name,
        artist=plan.book.author or UNKNOWN_AUTHOR,
    )
