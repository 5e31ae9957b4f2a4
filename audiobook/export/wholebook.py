"""The whole book as one MP3, made from the chapter MP3s the build already wrote.

``join_mp3`` copies the MPEG audio frames of every chapter into one file without decoding
(see ``mpeg``) and puts a chapter marker (ID3 CHAP) at each chapter's start.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import APIC, CHAP, CTOC, ID3, TALB, TCON, TIT2, TLAN, TPE1, CTOCFlags

from audiobook.audio.tags import chapters_in_order
from audiobook.errors import AudiobookError
from audiobook.export.mpeg import Stream, copy_frames, ms
from audiobook.files import temp_path


@dataclass(frozen=True)
class Part:
    path: Path  # a finished chapter MP3 (CBR MPEG-2 layer III, 24 kHz mono, 64 kbit/s, ID3v2)
    title: str  # the chapter title for its marker


@dataclass(frozen=True)
class BookInfo:
    title: str
    author: str
    cover: bytes | None = None  # JPEG or PNG bytes: APIC (front cover) / M4B cover
    cover_mime: str = "image/jpeg"


MAX_TOC_CHILDREN = 255  # a CTOC frame's entry count is one byte
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets unused: times are authoritative
TAG_PADDING = 1024  # room for a tagger's later edits without rewriting the whole book


def part_lengths(parts: list[Part], stream: Stream) -> list[int]:
    """Each part's length in samples, reading headers only."""
    return [copy_frames(part.path, stream, None) for part in parts]


def chapter_starts(
    parts: list[Part], lengths: list[int], sample_rate: int
) -> list[tuple[int, str]]:
    markers = []
    elapsed = 0
    for part, length in zip(parts, lengths, strict=True):
        markers.append((ms(elapsed, sample_rate), part.title))
        elapsed += length
    return markers


def check_parts(parts: list[Part]) -> None:
    if not parts:
        raise AudiobookError("no chapter files to join")
    for part in parts:
        if not part.path.is_file():
            raise AudiobookError(f"chapter file not found: {part.path}")


def join_mp3(parts: list[Part], out: Path, info: BookInfo) -> list[tuple[int, str]]:
    """One MP3 of every part in order, with a chapter marker (CHAP) at each part's start.
    Returns the (start_ms, title) markers."""
    check_parts(parts)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(out)
    # The tag goes in front of the audio, but its CHAP times are known only once the audio
    # is copied. Times are fixed-size fields, so a tag rendered with zero times has the size
    # of the final one: reserve that much, copy the audio, then write the real tag over it.
    # This avoids a second full rewrite of a file that may be hundreds of MB.
    placeholder = _render_tag(info, [(0, p.title) for p in parts], 0)
    stream = Stream()
    lengths: list[int] = []
    try:
        with open(temp, "wb") as file:
            file.write(placeholder)
            for part in parts:
                lengths.append(copy_frames(part.path, stream, file.write))
            markers = chapter_starts(parts, lengths, stream.sample_rate)
            tag = _render_tag(info, markers, ms(sum(lengths), stream.sample_rate))
            if len(tag) != len(placeholder):  # cannot happen with fixed padding; be safe
                raise RuntimeError("ID3 tag size changed between placeholder and final tag")
            file.seek(0)
            file.write(tag)
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return markers


def _render_tag(info: BookInfo, markers: list[tuple[int, str]], total_ms: int) -> bytes:
    """The complete ID3v2.3 tag (header, frames, padding) as bytes."""
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[info.title]))
    id3.add(TALB(encoding=3, text=[info.title]))
    id3.add(TPE1(encoding=3, text=[info.author]))
    id3.add(TCON(encoding=3, text=["Audiobook"]))
    id3.add(TLAN(encoding=3, text=["chi"]))
    if info.cover:
        id3.add(APIC(encoding=3, mime=info.cover_mime, type=3, desc="", data=info.cover))
    ids = [f"chp{i}" for i in range(len(markers))]
    for i, (start, title) in enumerate(markers):
        end = markers[i + 1][0] if i + 1 < len(markers) else total_ms
        id3.add(
            CHAP(
                element_id=ids[i],
                start_time=start,
                end_time=max(end, start),
                start_offset=NO_OFFSET,
                end_offset=NO_OFFSET,
                sub_frames=[TIT2(encoding=3, text=[title])],
            )
        )
    for toc in _tocs(ids, info.title):
        id3.add(toc)
    buffer = io.BytesIO()
    # A fixed padding keeps the tag size independent of the file it goes in front of
    # (mutagen's default padding depends on the size of the audio after it).
    id3.save(buffer, v2_version=3, v1=0, padding=lambda _info: TAG_PADDING)
    return chapters_in_order(buffer.getvalue())


def _tocs(chapter_ids: list[str], book_title: str) -> list[CTOC]:
    """The tables of contents: one top-level ordered CTOC listing every CHAP when they fit
    in one (255), else a tree whose inner CTOCs each hold at most 255 entries, titled with
    the chapter numbers they cover, so a player that shows nested tables lists ranges."""
    tocs: list[CTOC] = []
    # Each level: (element id, first chapter number, last chapter number) of its entries.
    level = [(cid, i + 1, i + 1) for i, cid in enumerate(chapter_ids)]
    depth = 0
    while len(level) > MAX_TOC_CHILDREN:
        upper = []
        for n, group in enumerate(_groups(level, MAX_TOC_CHILDREN)):
            element_id = f"toc{depth}_{n}" if depth else f"toc{n}"
            first, last = group[0][1], group[-1][2]
            tocs.append(
                CTOC(
                    element_id=element_id,
                    flags=CTOCFlags.ORDERED,
                    child_element_ids=[entry[0] for entry in group],
                    sub_frames=[TIT2(encoding=3, text=[f"第{first}–{last}章"])],
                )
            )
            upper.append((element_id, first, last))
        level = upper
        depth += 1
    tocs.append(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=[entry[0] for entry in level],
            sub_frames=[TIT2(encoding=3, text=[book_title])],
        )
    )
    return tocs


def _groups(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
