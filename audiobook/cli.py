"""The command line: ``audiobook build``."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from audiobook.build import BuildPlan, ChapterResult, build
from audiobook.config import load_config
from audiobook.engines import ENGINES
from audiobook.errors import AudiobookError
from audiobook.model import Chapter
from audiobook.reading import load
from audiobook.report import script_json, show_removed, show_script
from audiobook.script import ScriptOptions, make_script
from audiobook.synthesis import Synthesizer

DEFAULT_OUT = Path("output")
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="A TOML file with [cleanup] remove = [regex, ...] (default: audiobook.toml).",
)
err = Console(stderr=True)
out = Console()


def parse_selection(spec: str | None, count: int) -> list[int]:
    """ "1-3,7" -> [1, 2, 3, 7] (chapter order numbers, 1-based); None -> all."""
    if not spec:
        return list(range(1, count + 1))
    chosen: set[int] = set()
    for part in spec.replace("，", ",").split(","):
        part = part.strip()
        found = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+)?)?", part)
        if not found:
            raise AudiobookError(f"--chapters: cannot read {part!r} (use a list like 1-3,7 or 5-)")
        first = int(found[1])
        last = int(found[2]) if found[2] else (count if "-" in part else first)
        if first < 1 or last < first:
            raise AudiobookError(f"--chapters: {part!r} is not a valid range")
        chosen.update(range(first, min(last, count) + 1))
    if not chosen:
        raise AudiobookError(f"--chapters {spec}: the book has only {count} chapter(s)")
    return sorted(chosen)


class RichProgress:
    """Two bars: chapters, and sentences of the chapter being read."""

    def __init__(self, progress: Progress, chapter_count: int) -> None:
        self.progress = progress
        self.chapters = progress.add_task("Chapters", total=chapter_count)
        self.sentences = progress.add_task("Sentences", total=0)

    def chapter_started(self, chapter: Chapter) -> None:
        self.progress.reset(
            self.sentences,
            total=len(chapter.segments),
            description=f"{chapter.order:04d} {chapter.title or ''}",
        )

    def segment_done(self) -> None:
        self.progress.advance(self.sentences)

    def chapter_done(self, result: ChapterResult) -> None:
        self.progress.advance(self.chapters)


def format_duration(ms: int) -> str:
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="audiobook")
def main() -> None:
    """Turn Chinese web novels into chaptered, tagged MP3 audiobooks."""


@main.command("build")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for the book's folder.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="Speech engine: local is the offline voice.",
)
@click.option(
    "--chapters",
    "selection",
    metavar="LIST",
    help="Only these chapters, by position in the book: 1-3,7 or 10-.",
)
@click.option("--refresh", is_flag=True, help="Rebuild chapters even if up to date.")
@config_option
def build_command(
    input_path: Path,
    out_dir: Path,
    engine: str,
    selection: str | None,
    refresh: bool,
    config_path: Path | None,
) -> None:
    """Read INPUT (a TXT or EPUB novel) aloud into one MP3 per chapter."""
    started = time.perf_counter()
    options = ScriptOptions(patterns=load_config(config_path, input_path).remove_patterns)
    book = make_script(load(input_path), input_path.stem, options).book
    if not any(c.segments or c.heading for c in book.chapters):
        raise AudiobookError(f"{input_path}: no text to read")
    orders = parse_selection(selection, len(book.chapters))
    chosen = [c for c in book.chapters if c.order in orders]
    plan = BuildPlan(book=book, out_dir=out_dir, chapters=chosen, refresh=refresh)
    author = f" by {book.author}" if book.author else ""
    err.print(
        f"[bold]{book.name}[/]{author}: {len(book.chapters)} chapter(s), "
        f"building {len(chosen)} with the {engine} engine"
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with (
        Synthesizer(engine) as synth,
        Progress(*columns, console=err, transient=True) as bars,
    ):
        results = build(plan, synth, RichProgress(bars, len(chosen)))
    _print_summary(plan, results, time.perf_counter() - started)


@main.command("script")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--chapter", "chapter_number", type=int, metavar="N", help="Only the chapter at position N."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--removed", is_flag=True, help="List what cleanup removed, and why.")
@click.option(
    "--keep-traditional", is_flag=True, help="Keep Traditional Chinese as it is (for zh-TW voices)."
)
@config_option
def script_command(
    input_path: Path,
    chapter_number: int | None,
    output_format: str,
    removed: bool,
    keep_traditional: bool,
    config_path: Path | None,
) -> None:
    """Show how INPUT will be read: chapters, segments, speakers."""
    options = ScriptOptions(
        patterns=load_config(config_path, input_path).remove_patterns,
        keep_traditional=keep_traditional,
    )
    script = make_script(load(input_path), input_path.stem, options)
    book = script.book
    chapters = book.chapters
    if chapter_number is not None:
        chapters = [c for c in chapters if c.order == chapter_number]
        if not chapters:
            raise AudiobookError(
                f"--chapter {chapter_number}: the book has {len(book.chapters)} chapter(s)"
            )
    if removed:
        show_removed(out, script.removed, output_format)
    elif output_format == "json":
        click.echo(json.dumps(script_json(book, chapters), ensure_ascii=False, indent=1))
    else:
        show_script(out, script, chapters)


def _print_summary(plan: BuildPlan, results: list[ChapterResult], wall: float) -> None:
    table = Table(title=str(plan.book_dir), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Chapter")
    table.add_column("Length", justify="right")
    table.add_column("File")
    for r in results:
        state = " (up to date)" if r.reused else ""
        table.add_row(
            str(r.chapter.order),
            plan.book.chapter_title(r.chapter),
            format_duration(r.duration_ms),
            r.path.name + state,
        )
    out.print(table)
    audio = sum(r.duration_ms for r in results)
    made = sum(not r.reused for r in results)
    out.print(
        f"Wrote {made} of {len(results)} chapter file(s); "
        f"audio {format_duration(audio)}, took {format_duration(int(wall * 1000))}."
    )


def run() -> None:
    """Entry point with one-line errors instead of tracebacks."""
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
        err.print(f"[red]Error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[red]Error:[/] {exc.strerror or exc}{where}", highlight=False, soft_wrap=True)
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
            f"[red]Internal error:[/] {type(exc).__name__}: {exc} "
            "(set AUDIOBOOK_DEBUG=1 for the traceback)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(2)
