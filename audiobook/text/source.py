"""What reading a file gives the text stages: its runs of text and what the file says of
itself."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Document:
    """A run of text: the whole TXT file, or one EPUB spine item with its title."""

    text: str
    title: str | None = None


@dataclass
class Source:
    documents: list[Document]
    title: str | None = None  # from the file's metadata (EPUB), if any
    author: str | None = None
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)
