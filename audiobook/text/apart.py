"""The text stage in a process of its own, for a build.

Reading a novel needs big tables (jieba's dictionary and tagger take 180 MB) and leaves
the memory of its analysis scattered; a build then runs for hours. So ``read_packed`` is
run in a short-lived process: the build's process never holds the tables, and gets the
book back packed (``Book.packed``: a few MB for millions of characters), so its memory
does not grow with the length of the book.
"""

from __future__ import annotations

from pathlib import Path

from audiobook.config import Config
from audiobook.model import Book


def read_packed(path: Path, config: Config, out_dir: Path) -> tuple[Book, list[str]]:
    """The book in ``path`` with the reader's corrections, packed, and notes for the user."""
    from audiobook.text.corrections import correct
    from audiobook.text.script import read_script  # its imports load the tables

    script = read_script(path, config)
    book, corrected = correct(script.book, out_dir)
    return book.packed(), [*script.notes, *corrected]
