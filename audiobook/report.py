"""How things are shown: the script's JSON interface and tables, casts, voices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from audiobook.cast.casting import OTHERS, Cast
from audiobook.cast.voices import catalogue
from audiobook.model import Book, Chapter, Segment

if TYPE_CHECKING:  # only for hints: importing the script stage loads jieba's models
    from audiobook.text.cleanup import Removal
    from audiobook.text.script import Script

SPEAKER_COLOURS = [
    "cyan",
    "magenta",
    "green",
    "yellow",
    "blue",
    "red",
    "bright_cyan",
    "bright_magenta",
    "bright_green",
    "bright_yellow",
    "bright_blue",
]


def _segment_json(segment: Segment) -> dict:
    entry = {"kind": segment.kind, "speaker": segment.speaker, "text": segment.text}
    if segment.kind == "speech":
        entry["confidence"] = segment.confidence
    return entry


def script_json(book: Book, chapters: list[Chapter]) -> dict:
    """The stable JSON interface of ``audiobook script --format json`` (see README)."""
    return {
        "book": {"title": book.title},
        "characters": [
            {"name": c.name, "gender": c.gender, "aliases": list(c.aliases)}
            for c in book.characters
        ],
        "chapters": [
            {
                "number": chapter.number,
                "title": chapter.title,
                "segments": [_segment_json(s) for s in chapter.segments],
            }
            for chapter in chapters
        ],
    }


def show_notes(console: Console, notes: list[str]) -> None:
    """What reading the book noticed (padding dropped, bytes replaced, a chapter too long),
    one line each."""
    for note in notes:
        console.print(f"[yellow]Note:[/] {escape(note)}", highlight=False)


def show_removed(console: Console, removed: list[Removal], output_format: str) -> None:
    if output_format == "json":
        import json

        console.print_json(
            json.dumps([{"reason": r.reason, "text": r.text} for r in removed], ensure_ascii=False)
        )
        return
    table = Table(title=f"Removed: {len(removed)} line(s)", title_justify="left")
    table.add_column("Why")
    table.add_column("Text")
    for removal in removed:
        table.add_row(removal.reason, Text(removal.text))
    console.print(table)


def show_script(console: Console, script: Script, chapters: list[Chapter]) -> None:
    book = script.book
    colours = {
        c.name: SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)] for i, c in enumerate(book.characters)
    }
    console.print(Text(f"{book.name}" + (f" · {book.author}" if book.author else ""), style="bold"))
    if script.converted:
        console.print("Traditional Chinese, read as Simplified.", style="dim")
    for chapter in chapters:
        console.print()
        console.print(Text(f"{chapter.order}. {book.chapter_title(chapter)}", style="bold"))
        paragraph = None
        line = Text()
        for segment in chapter.segments:
            if segment.paragraph != paragraph and line:
                console.print(line)
                line = Text()
            paragraph = segment.paragraph
            if segment.kind == "speech":
                who = (segment.speaker or "?") + ("?" if segment.unsure else "")
                style = colours.get(segment.speaker or "", "white")
                line.append(f"[{who}]“{segment.text}”", style=style)
            else:
                line.append(segment.text)
        if line:
            console.print(line)
    if book.characters:
        table = Table(title="Characters", title_justify="left")
        table.add_column("Name")
        table.add_column("Gender")
        table.add_column("Lines", justify="right")
        table.add_column("Aliases")
        lines = {c.name: 0 for c in book.characters}
        for chapter in chapters:
            for segment in chapter.segments:
                if segment.speaker in lines:
                    lines[segment.speaker] += 1
        for c in book.characters:
            table.add_row(
                Text(c.name, style=colours[c.name]),
                c.gender,
                str(lines[c.name]),
                Text("、".join(c.aliases)),
            )
        console.print(table)


def show_cast(console: Console, cast: Cast, book: Book) -> None:
    voices = cast.voices()
    title = escape(f"Cast of {book.name} ({cast.engine}): {cast.path}")
    table = Table(title=title, title_justify="left")
    for column in ("Role", "Gender", "Lines", "Voice", "Voice gender"):
        table.add_column(column, justify="right" if column == "Lines" else "left", no_wrap=True)
    table.add_row("(narrator)", "", "", voices[None].describe(), voices[None].gender)
    table.add_row("(unknown speaker)", "", "", voices[OTHERS].describe(), voices[OTHERS].gender)
    for name, role in cast.characters.items():
        voice = voices[name]
        table.add_row(Text(name), role.gender, str(role.lines), voice.describe(), voice.gender)
    console.print(table)


def show_voices(console: Console, engines: list[str]) -> None:
    table = Table(title_justify="left")
    for column in ("Engine", "Voice", "Gender", "Locale", "Offsets", "Style"):
        table.add_column(column, no_wrap=column != "Style")
    for engine in engines:
        for name, voice in catalogue(engine).items():
            table.add_row(engine, name, voice.gender, voice.locale, voice.offsets_text, voice.style)
    console.print(table)


def voices_json(engines: list[str]) -> list[dict]:
    """Every voice of ``engines`` as plain data, for scripts that pick voices."""
    return [
        {
            "engine": engine,
            "name": name,
            "gender": voice.gender,
            "locale": voice.locale,
            "rate": voice.rate_text,
            "pitch": voice.pitch_text,
            "description": voice.style,
        }
        for engine in engines
        for name, voice in catalogue(engine).items()
    ]


def format_duration(ms: int) -> str:
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def format_size(size: int) -> str:
    """Bytes for people: 25.3 MB."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")
