"""The command line: options and one-line errors; the work is in ``workflow.py``."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from pathlib import Path

import click
from rich.markup import escape

from audiobook.errors import AudiobookError
from audiobook.inspection import script_command, voices_command
from audiobook.maintenance import cache_command
from audiobook.options import (
    Listening,
    Settings,
    cover_option,
    engine_option,
    listening_options,
    output_option,
    parse_selection,
    ray_option,
    reading_options,
)
from audiobook.speaking import say_command

# The heavy stages (jieba's models, scipy, the voices) are imported inside the commands that
# need them, so that `--help` and `voices` answer at once.


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="audiobook")
def main() -> None:
    """Turn Chinese web novels into chaptered, tagged MP3 audiobooks."""


main.add_command(cache_command)
main.add_command(voices_command)
main.add_command(script_command)
main.add_command(say_command)


@main.command("build")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@output_option
@engine_option
@click.option(
    "--chapters",
    "selection",
    metavar="LIST",
    help="Only these chapters, by position in the book: 1-3,7 or 10-.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 32),
    help="Segments synthesized at once (default: 3 for edge, the CPU count for local).",
)
@click.option("--refresh", is_flag=True, help="Synthesize and rebuild even what is up to date.")
@cover_option
@click.option(
    "--single-file", is_flag=True, help="Also one MP3 of the whole book, a marker per chapter."
)
@click.option("--m4b", is_flag=True, help="Also an M4B audiobook with chapters (needs ffmpeg).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Only say what would be done: nothing is synthesized or written.",
)
@ray_option
@listening_options
@reading_options
def build_command(
    input_path: Path,
    out_dir: Path,
    engine: str,
    selection: str | None,
    jobs: int | None,
    refresh: bool,
    cover_path: Path | None,
    single_file: bool,
    m4b: bool,
    dry_run: bool,
    ray_address: str | None,
    listening: Listening,
    settings: Settings,
) -> None:
    """Read INPUT (a TXT or EPUB novel) aloud into one MP3 per chapter."""
    from audiobook import workflow
    from audiobook.audio.tags import read_cover

    started = time.perf_counter()
    config = settings.load(input_path)
    book = workflow.read_book(input_path, config, out_dir)
    orders = parse_selection(selection, len(book.chapters))
    chosen = [c for c in book.chapters if c.order in orders]
    if (single_file or m4b) and len(chosen) < len(book.chapters):
        raise AudiobookError(
            f"{'--single-file' if single_file else '--m4b'} makes the whole book, and "
            f"--chapters {selection} is {len(chosen)} of its {len(book.chapters)} chapters: "
            "leave out --chapters (chapters already made are reused, not made again)"
        )
    plan = workflow.make_plan(
        book,
        out_dir,
        chosen,
        config,
        refresh=refresh,
        cover=read_cover(cover_path),
        single_voice=listening.single_voice,
        rate=listening.rate,
    )
    if dry_run:
        workflow.dry_run(plan, engine)
        return
    with workflow.book_lock(plan):
        if ray_address is not None:
            [done] = workflow.synthesize_on_ray([plan], engine, jobs, ray_address)
        else:
            done = workflow.synthesize(plan, engine, jobs, f"building {len(chosen)}")
        results = done.results
        workflow.print_summary(plan, results, time.perf_counter() - started, done.counts)
        workflow.raise_if_failed(results)
        if single_file or m4b:
            workflow.whole_book(plan, results, single_file, m4b)


@main.command("preview")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--chapter", "chapter_number", type=int, default=1, show_default=True, metavar="N")
@click.option("--seconds", type=click.IntRange(5, None), metavar="S", help="Only the first S s.")
@click.option("--play", is_flag=True, help="Play it (with ffplay, mpv, mpg123, afplay ...).")
@click.option("--html", "with_html", is_flag=True, help="Also a page: player and transcript.")
@output_option
@engine_option
@click.option("-j", "--jobs", type=click.IntRange(1, 32), help="Segments synthesized at once.")
@listening_options
@reading_options
def preview_command(
    input_path: Path,
    chapter_number: int,
    seconds: int | None,
    play: bool,
    with_html: bool,
    out_dir: Path,
    engine: str,
    jobs: int | None,
    listening: Listening,
    settings: Settings,
) -> None:
    """Hear one chapter of INPUT (or its first seconds) before building the whole book."""
    from audiobook import workflow
    from audiobook.export.preview import PLAYERS, play_file, write_preview_page
    from audiobook.report import format_duration, show_cast
    from audiobook.workflow import err, out

    config = settings.load(input_path)
    book = workflow.read_book(input_path, config, out_dir)
    chosen = [c for c in book.chapters if c.order == chapter_number]
    if not chosen:
        raise AudiobookError(
            f"--chapter {chapter_number}: the book has {len(book.chapters)} chapter(s)"
        )
    limit_ms = seconds * 1000 if seconds else None
    plan = workflow.make_plan(
        book,
        out_dir,
        chosen,
        config,
        limit_ms=limit_ms,
        folder_name="preview",
        keep_cues=True,
        single_voice=listening.single_voice,
        rate=listening.rate,
    )
    with workflow.book_lock(plan):
        plan.chapter_path(chosen[0]).unlink(missing_ok=True)  # always render: for the timings
        done = workflow.synthesize(plan, engine, jobs, f"previewing chapter {chapter_number}")
    [result] = done.results
    cast = done.cast
    workflow.raise_if_failed([result])
    out.print(f"Preview: {escape(str(result.path))} ({format_duration(result.duration_ms)})")
    show_cast(out, cast, book)
    if with_html:
        page = result.path.with_suffix(".html")
        write_preview_page(page, plan, result, cast)
        out.print(f"Page: {escape(str(page))}")
    if play and play_file(result.path) is None:
        names = ", ".join(command[0] for command in PLAYERS)
        err.print(f"No audio player found (looked for {names}): open the file yourself.")


@main.command("podcast")
@click.argument(
    "input_paths", metavar="INPUT...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option("--base-url", required=True, metavar="URL", help="Where OUTDIR will be served.")
@output_option
@cover_option
@engine_option
@click.option("-j", "--jobs", type=click.IntRange(1, 32), help="Segments synthesized at once.")
@ray_option
@listening_options
@reading_options
def podcast_command(
    input_paths: tuple[Path, ...],
    base_url: str,
    out_dir: Path,
    cover_path: Path | None,
    engine: str,
    jobs: int | None,
    ray_address: str | None,
    listening: Listening,
    settings: Settings,
) -> None:
    """Export one or more books as podcasts: chapter MP3s and a feed.xml per book."""
    from audiobook import workflow
    from audiobook.audio.build import UNKNOWN_AUTHOR, BuildPlan
    from audiobook.audio.tags import read_cover
    from audiobook.export.podcast import Episode, check_base_url, write_feed
    from audiobook.workflow import out

    check_base_url(base_url)
    cover = read_cover(cover_path)
    books = []
    for input_path in input_paths:  # read them all first: a bad one stops before any work
        config = settings.load(input_path)
        books.append((workflow.read_book(input_path, config, out_dir), config))
    plans = [
        workflow.make_plan(
            book,
            out_dir,
            book.chapters,
            config,
            cover=cover,
            single_voice=listening.single_voice,
            rate=listening.rate,
        )
        for book, config in books
    ]

    def publish(plan: BuildPlan, results: list) -> None:
        workflow.raise_if_failed(results)
        book = plan.book
        episodes = [
            Episode(r.chapter.order, book.chapter_title(r.chapter), r.path, r.duration_ms)
            for r in results
        ]
        feed = write_feed(
            plan.book_dir,
            title=book.name,
            author=book.author or UNKNOWN_AUTHOR,
            episodes=episodes,
            base_url=base_url,
            cover=cover,
        )
        out.print(f"Feed: {escape(str(feed))} ({len(episodes)} episodes)")

    if ray_address is not None:  # the whole batch at once: every book's chapters in flight
        with ExitStack() as locks:
            for plan in plans:
                locks.enter_context(workflow.book_lock(plan))
            done = workflow.synthesize_on_ray(plans, engine, jobs, ray_address)
            failed = [d for d in done if any(r.error for r in d.results)]
            for plan, synthesis in zip(plans, done, strict=True):
                if synthesis not in failed:
                    publish(plan, synthesis.results)
            for synthesis in failed:
                workflow.raise_if_failed(synthesis.results)
        return
    for plan in plans:
        with workflow.book_lock(plan):
            doing = f"exporting {len(plan.chapters)}"
            publish(plan, workflow.synthesize(plan, engine, jobs, doing).results)


@main.command("cast")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@output_option
@engine_option
@click.option("--reset", is_flag=True, help="Draw the cast again, forgetting edits.")
@reading_options
def cast_command(
    input_path: Path,
    out_dir: Path,
    engine: str,
    reset: bool,
    settings: Settings,
) -> None:
    """Show (and create or complete) the voices cast for INPUT's narrator and characters."""
    from audiobook import workflow
    from audiobook.audio.build import BuildPlan
    from audiobook.cast.casting import prepare_cast
    from audiobook.report import show_cast
    from audiobook.speech.engines.choose import choose_engine
    from audiobook.workflow import out

    config = settings.load(input_path)
    book = workflow.read_book(input_path, config, out_dir)
    engine, _ = asyncio.run(choose_engine(engine, check=False))
    plan = BuildPlan(book=book, out_dir=out_dir, chapters=[])
    with workflow.book_lock(plan):
        cast = prepare_cast(book, plan.book_dir, engine, reset=reset)
    show_cast(out, cast, book)


def run() -> None:
    """Entry point with one-line errors instead of tracebacks."""
    from rich.console import Console

    err = Console(stderr=True)
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        err.print("Interrupted: finished chapter files are kept.")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("Interrupted: finished chapter files are kept.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AudiobookError as exc:
        err.print(f"[red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        message = escape(f"{exc.strerror or exc}{where}")
        err.print(f"[red]Error:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except BrokenProcessPool:
        err.print(
            "[red]Error:[/] a synthesis worker died (out of memory?); rerun to resume",
            soft_wrap=True,
        )
        sys.exit(1)
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("AUDIOBOOK_DEBUG"):
            raise
        err.print(
            f"[red]Internal error:[/] {type(exc).__name__}: {escape(str(exc))} "
            "(set AUDIOBOOK_DEBUG=1 for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
