"""Speakers the reader corrected, kept in ``speakers.toml`` in the book's folder.

A correction names a chapter (its heading as ``audiobook script`` shows it, its title, or
its position) and the opening words of a quote, and says who speaks that quote:

    ["第3章 重逢"]
    "你怎么又来了" = "林晚"
    "好吧，" = { speaker = "老周", gender = "male" }

Keyed by words rather than by position, a correction survives re-reading the book (new
cleanup, new chapters). Every quote of the chapter that starts with the words takes the
speaker; a speaker the book did not know joins its characters, and so the cast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from audiobook.errors import AudiobookError
from audiobook.files import book_folder, tomllib, write_atomic
from audiobook.model import Book, Chapter, Character

FILE_NAME = "speakers.toml"
GENDERS = ("male", "female", "unknown")
_NOT_WORDS = re.compile(r"\W")
HEADER = """\
# Speakers you corrected for 《{title}》. Each table is a chapter (its heading as
# `audiobook script` shows it, or its position); each line names a quote by its opening
# words and says who speaks it. The next build re-reads only the lines that changed.
#
# ["第3章 重逢"]
# "你怎么又来了" = "林晚"
# "好吧，" = {{ speaker = "老周", gender = "male" }}
"""


@dataclass(frozen=True)
class Correction:
    chapter: str
    starts: str
    speaker: str
    gender: str = "unknown"


def load_corrections(path: Path) -> list[Correction]:
    """The corrections in ``path`` (none when it does not exist), or a one-line error
    naming the file and the entry."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AudiobookError(f"{path}: not a valid TOML file ({exc})") from None
    corrections = []
    for chapter, quotes in data.items():
        if not isinstance(quotes, dict):
            raise AudiobookError(f'{path}: ["{chapter}"] must be a table of "words" = "name"')
        for starts, value in quotes.items():
            if isinstance(value, dict):
                speaker, gender = value.get("speaker"), value.get("gender", "unknown")
            else:
                speaker, gender = value, "unknown"
            if not isinstance(speaker, str) or not speaker.strip() or gender not in GENDERS:
                raise AudiobookError(
                    f'{path}: ["{chapter}"] "{starts}" needs a speaker name'
                    f" (and a gender of {', '.join(GENDERS)})"
                )
            corrections.append(Correction(str(chapter), starts, speaker.strip(), gender))
    return corrections


def apply_corrections(book: Book, corrections: list[Correction]) -> tuple[Book, list[str]]:
    """The book with the corrected speakers, and a line for each correction that matched
    no quote (a typo, or a quote that is gone)."""
    unused = []
    chapters = list(book.chapters)
    characters = list(book.characters)
    known = {c.name for c in characters} | {a for c in characters for a in c.aliases}
    for correction in corrections:
        at = next((k for k, c in enumerate(chapters) if _names(c, correction.chapter)), None)
        words = _key(correction.starts)
        hits = 0
        if at is not None and words:
            segments = list(chapters[at].segments)
            for k, segment in enumerate(segments):
                if segment.kind == "speech" and _key(segment.text).startswith(words):
                    segments[k] = replace(
                        segment, speaker=correction.speaker, confidence=1.0, cue="corrected"
                    )
                    hits += 1
            chapters[at] = replace(chapters[at], segments=segments)
        if not hits:
            unused.append(f'["{correction.chapter}"] "{correction.starts}"')
        elif correction.speaker not in known:
            characters.append(Character(correction.speaker, correction.gender))
            known.add(correction.speaker)
    return replace(book, chapters=chapters, characters=characters), unused


def correct(book: Book, out_dir: Path) -> tuple[Book, list[str]]:
    """The book with the corrections in its folder under ``out_dir`` applied, and notes
    for the user."""
    path = book_folder(out_dir, book.name) / FILE_NAME
    book, unused = apply_corrections(book, load_corrections(path))
    notes = [f"{path}: no quote of the book matches {entry}" for entry in unused]
    return book, notes


def write_template(path: Path, book: Book) -> None:
    """A commented example, so that a reader finds where corrections go."""
    if not path.exists():
        write_atomic(path, HEADER.format(title=book.name))


def _names(chapter: Chapter, name: str) -> bool:
    return name.strip() in (chapter.heading, chapter.title, str(chapter.order))


def _key(text: str) -> str:
    return _NOT_WORDS.sub("", text)
