"""What the commands do once their options are read: read the book, pick the engine and
cast it, synthesize with progress bars, and report. The command line (``cli.py``) only
parses options and calls these."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from audiobook import files
from audiobook.audio.build import UNKNOWN_AUTHOR, BuildPlan, ChapterResult, build_book, pending
from audiobook.audio.tags import read_engine
from audiobook.cast.casting import Cast, cast_path, draw_cast, heard_as, load_cast, prepare_cast
from audiobook.config import Config
from audiobook.errors import AudiobookError
from audiobook.files import safe_name
from audiobook.model import Book
from audiobook.report import format_duration, show_notes
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines.choose import choose_engine, get_engine
from audiobook.speech.pronounce import Lexicon
from audiobook.speech.runner import CACHED, FAILED, SYNTHESIZED
from audiobook.text.apart import read_apart
from audiobook.text.corrections import FILE_NAME as CORRECTIONS
from audiobook.text.corrections import write_template

err = Console(stderr=True)
out = Console()


class RichProgress:
    """Two bars: chapters finished, and segments with how each was obtained."""

    def __init__(self, progress: Progress, chapter_count: int) -> None:
        self.progress = progress
        self.counts = {CACHED: 0, SYNTHESIZED: 0, FAILED: 0}
        self.chapters = progress.add_task("Chapters", total=chapter_count)
        self.segments = progress.add_task(self._describe(), total=0)

    def _describe(self) -> str:
        c = self.counts
        failed = f", [red]{c[FAILED]} failed[/]" if c[FAILED] else ""
        return f"Segments: {c[SYNTHESIZED]} new, {c[CACHED]} cached{failed}"

    def segments_planned(self, count: int) -> None:
        self.progress.update(self.segments, total=count)

    def segment_finished(self, how: str) -> None:
        self.counts[how] += 1
        self.progress.update(self.segments, advance=1, description=self._describe())

    def chapter_done(self, result: ChapterResult) -> None:
        self.progress.advance(self.chapters)


def make_plan(book: Book, out_dir: Path, chapters: list, config: Config, **options) -> BuildPlan:
    """The plan for ``chapters`` of ``book`` with the pauses and loudness of ``config``."""
    return BuildPlan(
        book=book,
        out_dir=out_dir,
        chapters=chapters,
        pauses=config.pauses,
        level=config.level,
        lexicon=Lexicon(config.pronounce),
        **options,
    )


@dataclass
class Synthesis:
    results: list[ChapterResult]
    cast: Cast  # the cast that was used
    counts: dict[str, int]  # segments by how they were obtained


def synthesize(plan: BuildPlan, engine: str, jobs: int | None, doing: str) -> Synthesis:
    """Pick the engine, cast the book, and build the plan's chapters with progress bars."""
    engine, why = asyncio.run(choose_engine(engine))
    cast, voices = _cast(plan, engine)
    book = plan.book
    author = f" by {escape(book.author)}" if book.author else ""
    err.print(
        f"[bold]{escape(book.name)}[/]{author}: {len(book.chapters)} chapter(s), "
        f"{doing} with {why}; cast in {escape(str(cast.path))}",
        highlight=False,
    )
    with Progress(*_columns(), console=err, transient=True) as bars:
        progress = RichProgress(bars, len(plan.chapters))
        cache = SegmentCache()
        job = build_book(plan, get_engine(engine, workers=jobs), voices, progress, cache, jobs)
        results = asyncio.run(job)
    if cache.repaired:
        err.print(
            f"[yellow]Note:[/] {cache.repaired} damaged cache entr"
            f"{'y was' if cache.repaired == 1 else 'ies were'} dropped and synthesized again."
        )
    _warn_if_mixed(plan, engine)
    return Synthesis(results, cast, progress.counts)


class BatchBars:
    """A bar per book of a batch built on Ray: its segments, and its chapters done."""

    def __init__(self, progress: Progress, plans: list[BuildPlan]) -> None:
        self.progress = progress
        self.plans = plans
        self.counts = [{CACHED: 0, SYNTHESIZED: 0, FAILED: 0} for _ in plans]
        self.chapters = [0] * len(plans)
        self.rows = [progress.add_task(self._describe(b), total=0) for b in range(len(plans))]

    def _describe(self, book: int) -> str:
        c = self.counts[book]
        failed = f", [red]{c[FAILED]} failed[/]" if c[FAILED] else ""
        name = escape(self.plans[book].book.name)
        done = f"{self.chapters[book]}/{len(self.plans[book].chapters)} chapters"
        return f"{name}: {done}; segments {c[SYNTHESIZED]} new, {c[CACHED]} cached{failed}"

    def segments_planned(self, book: int, count: int) -> None:
        self.progress.update(self.rows[book], total=count)

    def segments_finished(self, book: int, how: str, count: int) -> None:
        self.counts[book][how] += count
        self.progress.update(self.rows[book], advance=count, description=self._describe(book))

    def chapter_done(self, book: int, result: ChapterResult) -> None:
        self.chapters[book] += 1
        self.progress.update(self.rows[book], description=self._describe(book))


def synthesize_on_ray(
    plans: list[BuildPlan], engine: str, cpus: int | None, address: str
) -> list[Synthesis]:
    """Cast every book, then build all their chapters as Ray tasks (``audio/cluster.py``)."""
    from audiobook.audio import cluster

    engine, why = asyncio.run(choose_engine(engine))
    casts, voices = zip(*(_cast(plan, engine) for plan in plans), strict=True)
    address = cluster.address_of(address)
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    with err.status(f"Joining {where} ..." if address else f"Starting {where} ..."):
        cluster.connect(address, cpus, engine)
    try:
        err.print(
            f"{len(plans)} book(s), {sum(len(p.chapters) for p in plans)} chapter(s) with {why} "
            f"on {where} ({cluster.cpu_count()} CPUs)",
            highlight=False,
        )
        with Progress(*_columns(), console=err, transient=True) as progress:
            bars = BatchBars(progress, plans)
            batch = list(zip(plans, voices, strict=True))
            results = cluster.build_batch(batch, get_engine(engine), bars)
    finally:
        cluster.disconnect()
    for plan in plans:
        _warn_if_mixed(plan, engine)
    return [Synthesis(*done) for done in zip(results, casts, bars.counts, strict=True)]


def _cast(plan: BuildPlan, engine: str) -> tuple[Cast, dict]:
    """The book's cast (its file made or completed) and the voices heard, with the
    warnings and the corrections template that go with them."""
    cast = prepare_cast(plan.book, plan.book_dir, engine)
    _warn_unsayable(plan, engine)
    write_template(plan.book_dir / CORRECTIONS, plan.book)
    return cast, heard_as(cast.voices(), plan.single_voice, plan.rate)


def _columns() -> tuple:
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def _warn_unsayable(plan: BuildPlan, engine: str) -> None:
    """Once per word: a reading the online voices cannot be given (no homophones)."""
    if engine != "edge" or not any(e.pinyin for e in plan.lexicon.own.values()):
        return
    words: set[str] = set()
    for chapter in plan.chapters:
        for text in (chapter.heading, *(s.text for s in chapter.segments)):
            words.update(plan.lexicon.unsayable_online(text))
    for word in sorted(words):
        reading = " ".join(plan.lexicon.own[word].pinyin)
        err.print(
            f"[yellow]Warning:[/] the edge voices cannot be told to read {word} as {reading} "
            f'(no characters have that reading); give it a {{ say = "..." }} instead.',
            highlight=False,
        )


def whole_book(plan: BuildPlan, results: list[ChapterResult], mp3: bool, m4b: bool) -> None:
    from audiobook.export.m4b import write_m4b
    from audiobook.export.wholebook import BookInfo, Part, join_mp3

    parts = [Part(r.path, plan.book.chapter_title(r.chapter)) for r in results]
    cover = plan.cover
    info = BookInfo(
        title=plan.book.name,
        author=plan.book.author or UNKNOWN_AUTHOR,
        cover=cover.data if cover else None,
        cover_mime=cover.mime if cover else "image/jpeg",
    )
    name = plan.book_dir / safe_name(plan.book.name)
    if mp3:
        join_mp3(parts, name.with_suffix(".mp3"), info)
        path = escape(str(name.with_suffix(".mp3")))
        out.print(f"Whole book: {path} ({len(parts)} chapter markers)")
    if m4b:
        with err.status("Encoding the M4B (AAC) ..."):
            write_m4b(parts, name.with_suffix(".m4b"), info)
        out.print(f"Whole book: {escape(str(name.with_suffix('.m4b')))} ({len(parts)} chapters)")


def dry_run(plan: BuildPlan, engine: str) -> None:
    """Say what a build of the plan would do, synthesizing nothing and writing nothing."""
    name, why = asyncio.run(choose_engine(engine))
    book = plan.book
    existing = load_cast(cast_path(plan.book_dir, name), name)
    voices = heard_as(draw_cast(book, name, existing).voices(), plan.single_voice, plan.rate)
    done, jobs = pending(plan, get_engine(name), voices)
    cache = SegmentCache()
    to_send = [key for key in jobs if plan.refresh or key not in cache]
    cached = len(jobs) - len(to_send)
    characters = sum(jobs[key] for key in to_send)
    speakers = len({v.sound for v in voices.values()})
    out.print(
        f"[bold]{escape(book.name)}[/]: {len(plan.chapters)} chapter(s) with {why}, "
        f"{done} already made; {len(book.characters)} character(s), {speakers} voice(s).",
        highlight=False,
    )
    what = "requests" if name == "edge" else "sentences"
    out.print(
        f"{len(jobs)} {what} for the other chapters: {cached} in the cache, "
        f"{len(to_send)} to synthesize ({characters:,} characters). Nothing was synthesized.",
        highlight=False,
    )


@contextmanager
def book_lock(plan: BuildPlan) -> Iterator[None]:
    """Hold the book's folder: another build of the same book waits until this one ends."""

    def waiting() -> None:
        err.print(
            f"Waiting for another build of this book to finish ({escape(str(plan.book_dir))}) ...",
            highlight=False,
            soft_wrap=True,
        )

    with files.book_lock(plan.book_dir, waiting):
        yield


def raise_if_failed(results: list[ChapterResult]) -> None:
    failed = [r for r in results if r.error]
    if failed:
        raise AudiobookError(
            f"{len(failed)} chapter(s) not made ({failed[0].error}); "
            "finished segments are cached: rerun to resume"
        )


def read_book(input_path: Path, config: Config, out_dir: Path) -> Book:
    """The book, with the speakers corrected in its folder's speakers.toml. Read in a
    process of its own (text/apart.py), so that the build's memory stays small."""
    book, notes = read_apart(input_path, config, out_dir)
    show_notes(err, notes)
    if not any(c.segments or c.heading for c in book.chapters):
        raise AudiobookError(f"{input_path}: no text to read")
    return book


def _warn_if_mixed(plan: BuildPlan, engine: str) -> None:
    """Say so when the book's folder now holds chapters read by different engines."""
    others = sorted(
        {e for f in plan.book_dir.glob("*.mp3") if (e := read_engine(f)) and e != engine}
    )
    if others:
        err.print(
            f"[yellow]Note:[/] some chapters in {escape(str(plan.book_dir))} were read by the "
            f"{', '.join(others)} engine and these by {engine}; "
            f"rerun with --engine {others[0]} --refresh for one voice throughout.",
            highlight=False,
            soft_wrap=True,
        )


def print_summary(
    plan: BuildPlan, results: list[ChapterResult], wall: float, counts: dict[str, int]
) -> None:
    table = Table(title=escape(str(plan.book_dir)), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Chapter")
    table.add_column("Length", justify="right")
    table.add_column("File")
    for r in results:
        state = " (up to date)" if r.reused else ""
        table.add_row(
            str(r.chapter.order),
            Text(plan.book.chapter_title(r.chapter)),
            format_duration(r.duration_ms) if not r.error else "[red]failed[/]",
            Text(r.path.name + state if not r.error else ""),
        )
    out.print(table)
    audio = sum(r.duration_ms for r in results)
    made = sum(not r.reused and not r.error for r in results)
    out.print(
        f"Wrote {made} of {len(results)} chapter file(s); "
        f"audio {format_duration(audio)}, took {format_duration(int(wall * 1000))}; "
        f"segments: {counts[SYNTHESIZED]} synthesized, {counts[CACHED]} from the cache"
        + (f", {counts[FAILED]} failed." if counts[FAILED] else ".")
    )
