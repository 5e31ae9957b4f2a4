"""Commands that show what the tool would use, without building: the voices a cast can
use, and how a book is read (chapters, segments, speakers)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from audiobook.errors import AudiobookError
from audiobook.options import Settings, output_option, reading_options
from audiobook.speech.engines import ENGINES


def format_option(help_text: str | None = None):
    """--format table|json, as the commands that show things take it."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help=help_text,
    )


@click.command("voices")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    help="Only this engine's voices (default: all).",
)
@format_option("json: one object per voice (engine, name, gender, locale, offsets, description).")
def voices_command(engine: str | None, output_format: str) -> None:
    """List the voices a cast can use."""
    from rich.console import Console

    from audiobook.report import show_voices, voices_json

    engines = [engine] if engine else list(ENGINES)
    if output_format == "json":
        click.echo(json.dumps(voices_json(engines), ensure_ascii=False, indent=1))
    else:
        show_voices(Console(), engines)


@click.command("script")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--chapter", "chapter_number", type=int, metavar="N", help="Only the chapter at position N."
)
@format_option()
@click.option("--removed", is_flag=True, help="List what cleanup removed, and why.")
@click.option(
    "--keep-traditional", is_flag=True, help="Keep Traditional Chinese as it is (for zh-TW voices)."
)
@output_option
@reading_options
def script_command(
    input_path: Path,
    out_dir: Path,
    chapter_number: int | None,
    output_format: str,
    removed: bool,
    keep_traditional: bool,
    settings: Settings,
) -> None:
    """Show how INPUT will be read: chapters, segments, speakers."""
    from rich.console import Console

    from audiobook.report import script_json, show_notes, show_removed, show_script
    from audiobook.text.corrections import correct
    from audiobook.text.script import read_script

    out = Console()
    config = settings.load(input_path)
    script = read_script(input_path, config, keep_traditional)
    book, corrected = correct(script.book, out_dir)
    script = replace(script, book=book)
    show_notes(Console(stderr=True), [*script.notes, *corrected])
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
