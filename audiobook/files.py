"""File names that are safe on every file system, files written whole or not at all, and
the TOML parser for every settings and data file."""

from __future__ import annotations

import os
import re
import secrets
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: the same parser, from PyPI
    import tomli as tomllib

__all__ = ["book_folder", "book_lock", "safe_name", "temp_path", "tomllib", "write_atomic"]
LOCK_NAME = ".audiobook.lock"

# Characters Windows, macOS or Linux refuse, mapped to their full-width look-alikes so
# that a Chinese title still reads naturally.
_FULL_WIDTH = str.maketrans(
    {
        "<": "＜",
        ">": "＞",
        ":": "：",
        '"': "＂",
        "/": "／",
        "\\": "＼",
        "|": "｜",
        "?": "？",
        "*": "＊",
    }
)
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}
MAX_NAME_BYTES = 180  # under the common 255-byte limit, leaving room for prefix/suffix


def safe_name(name: str, fallback: str = "untitled") -> str:
    name = unicodedata.normalize("NFC", name).translate(_FULL_WIDTH)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().rstrip(". ")
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    name = name.rstrip(". ")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = f"{name}_" if name else fallback
    return name


def book_folder(out_dir: Path, book_name: str) -> Path:
    """The book's folder: chapters, subtitles, cast, corrections, feed."""
    return out_dir / safe_name(book_name)


def temp_path(path: Path) -> Path:
    """A name for ``path`` while it is being written, unique to this process and call so
    that two writers never share one; hidden, and renamed to ``path`` when whole."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")


@contextmanager
def book_lock(folder: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """One writer per book folder: a second build of the same book waits here for the
    first to finish (``on_wait`` says so), whatever the two processes are."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_NAME)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def write_atomic(path: Path, data: bytes | str, durable: bool = False) -> None:
    """Write ``path`` so that it is either absent, the old file, or whole: never half
    written, even if the process is killed in the middle. The file gets the mode any new
    file gets (0644 under the usual umask), so a web server can serve it. ``durable``
    flushes it to the disk before it takes the name, so that it survives a power cut too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # Not tempfile.mkstemp: its files are 0600 whatever the umask, and the mode survives
    # the rename. A name unique to this process and call keeps concurrent writers apart.
    temp = temp_path(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(raw)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
