"""The text stage in a process of its own, for a build.

Reading a novel needs big tables (jieba's dictionary and tagger take 180 MB) and leaves
the memory of its analysis scattered; a build then runs for hours. So the book is read
in a short-lived process: the build's process never holds the tables, and gets the book
back packed (``Book.packed``: a few MB for millions of characters), so its memory does
not grow with the length of the book.
"""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.connection import Connection
from pathlib import Path

from audiobook.config import Config
from audiobook.errors import AudiobookError
from audiobook.model import Book


def read_apart(path: Path, config: Config, out_dir: Path) -> tuple[Book, list[str]]:
    """``read_packed`` in a process of its own; its errors are raised here. Ctrl-C is
    the caller's: the reading process just stops."""
    context = multiprocessing.get_context("spawn")  # a clean process, whatever the caller
    answer, sender = context.Pipe(duplex=False)
    reader = context.Process(target=_read_and_send, args=(sender, path, config, out_dir))
    reader.start()
    sender.close()
    try:
        outcome, value = answer.recv()
    except EOFError:
        raise AudiobookError("reading the book failed: its process died (out of memory?)") from None
    finally:
        if reader.is_alive():
            reader.terminate()
        reader.join()
        answer.close()
    if outcome == "error":
        raise value
    return value


def _read_and_send(sender: Connection, path: Path, config: Config, out_dir: Path) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller handles Ctrl-C
    try:
        sender.send(("book", read_packed(path, config, out_dir)))
    except Exception as exc:  # an error for the caller to report, as if read there
        sender.send(("error", exc))


def read_packed(path: Path, config: Config, out_dir: Path) -> tuple[Book, list[str]]:
    """The book in ``path`` with the reader's corrections, packed, and notes for the user."""
    from audiobook.text.corrections import correct
    from audiobook.text.script import read_script  # its imports load the tables

    script = read_script(path, config)
    book, corrected = correct(script.book, out_dir)
    return book.packed(), [*script.notes, *corrected]
