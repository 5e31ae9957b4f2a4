"""ID3v2.3 tags for a chapter file, with chapter markers (CTOC + CHAP) that players show.

ID3v2.3 is written rather than 2.4 because ffmpeg has been seen writing 2.4 chapter frame
sizes wrongly, and 2.3 is what most players read best.
"""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import (
    APIC,
    CHAP,
    CTOC,
    ID3,
    TALB,
    TCON,
    TIT2,
    TLAN,
    TPE1,
    TRCK,
    TSSE,
    TXXX,
    CTOCFlags,
    Frames,
)

from audiobook import __version__
from audiobook.audio.markers import Marker
from audiobook.errors import AudiobookError
from audiobook.files import temp_path

NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets unused: times are authoritative
SOURCE_KEY = "audiobook:source"  # what the file was made from, to skip it when unchanged
ENGINE_KEY = "audiobook:engine"  # which engine read it, to tell when a book mixes engines


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str  # "image/jpeg" or "image/png"


def read_cover(path: Path | None) -> Cover | None:
    """A cover image from a file: JPEG or PNG, told by its first bytes, not its name."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise AudiobookError(f"{path}: is a folder, not an image") from None
    if data.startswith(b"\xff\xd8\xff"):
        return Cover(data, "image/jpeg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Cover(data, "image/png")
    raise AudiobookError(f"{path}: a cover must be a JPEG or PNG image")


@dataclass(frozen=True)
class ChapterTags:
    title: str
    album: str
    artist: str
    track: int
    total: int
    duration_ms: int
    markers: list[Marker]
    source_key: str
    engine: str = ""
    cover: Cover | None = None


def write_tags(path: Path, tags: ChapterTags) -> None:
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    id3.add(TALB(encoding=3, text=[tags.album]))
    id3.add(TPE1(encoding=3, text=[tags.artist]))
    id3.add(TRCK(encoding=3, text=[f"{tags.track}/{tags.total}"]))
    id3.add(TCON(encoding=3, text=["Audiobook"]))
    id3.add(TLAN(encoding=3, text=["chi"]))
    id3.add(TSSE(encoding=3, text=[f"audiobook {__version__}"]))
    id3.add(TXXX(encoding=3, desc=SOURCE_KEY, text=[tags.source_key]))
    id3.add(TXXX(encoding=3, desc=ENGINE_KEY, text=[tags.engine]))
    if tags.cover is not None:
        id3.add(APIC(encoding=3, mime=tags.cover.mime, type=3, desc="Cover", data=tags.cover.data))
    ids = [f"chp{i}" for i in range(len(tags.markers))]
    id3.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=[tags.title])],
        )
    )
    for i, marker in enumerate(tags.markers):
        end = tags.markers[i + 1].start_ms if i + 1 < len(tags.markers) else tags.duration_ms
        id3.add(
            CHAP(
                element_id=ids[i],
                start_time=marker.start_ms,
                end_time=max(end, marker.start_ms),
                start_offset=NO_OFFSET,
                end_offset=NO_OFFSET,
                sub_frames=[TIT2(encoding=3, text=[marker.title])],
            )
        )
    id3.save(path, v2_version=3)
    _put_chapters_in_order(path)


def update_book_tags(path: Path, *, track: int, total: int, album: str, artist: str) -> int:
    """Bring an existing chapter file's book-level tags up to date (the book may have
    gained chapters since) without touching it if they are; returns its duration."""
    id3 = ID3(path)
    wanted = {"TRCK": f"{track}/{total}", "TALB": album, "TPE1": artist}
    stale = {key: text for key, text in wanted.items() if str(id3.get(key, "")) != text}
    for key, text in stale.items():
        id3.setall(key, [Frames[key](encoding=3, text=[text])])
    if stale:  # on a copy renamed over the file: a crash leaves the old file, never half one
        temp = temp_path(path)
        try:
            shutil.copyfile(path, temp)
            id3.save(temp, v2_version=3)
            _put_chapters_in_order(temp)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    return max((frame.end_time for frame in id3.getall("CHAP")), default=0)


def _put_chapters_in_order(path: Path) -> None:
    """Rewrite the tag at the start of ``path`` with its chapter frames in order (same
    size: the frames only change places)."""
    with open(path, "r+b") as file:
        header = file.read(10)
        if len(header) < 10 or header[:3] != b"ID3":
            return
        size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        tag = header + file.read(size)
        fixed = chapters_in_order(tag)
        if fixed != tag and len(fixed) == len(tag):
            file.seek(0)
            file.write(fixed)


def read_source_key(path: Path) -> str | None:
    """The source key of an existing chapter file, or None if it has none or is unreadable."""
    return _read_text(path, SOURCE_KEY)


def read_engine(path: Path) -> str | None:
    return _read_text(path, ENGINE_KEY)


def _read_text(path: Path, key: str) -> str | None:
    try:
        frame = ID3(path).get(f"TXXX:{key}")
    except Exception:  # a missing, truncated or foreign file: treat as not built
        return None
    return str(frame.text[0]) if frame else None


def chapters_in_order(tag: bytes) -> bytes:
    """The same ID3v2.3 tag with its CTOC and CHAP frames in book order.

    mutagen sorts frames by size when it saves, so CHAP frames land in the order of their
    title lengths; ffmpeg (and players built on it) list chapters in frame order, not by
    start time or by the CTOC. Frames are reordered as whole byte blocks, so every frame is
    still exactly as mutagen wrote it. Anything unexpected leaves the tag as it was."""
    if len(tag) < 10 or tag[:3] != b"ID3" or tag[3] != 3 or tag[5] != 0:
        return tag  # only a plain v2.3 tag (no unsynchronisation, no extended header)
    end = 10 + ((tag[6] << 21) | (tag[7] << 14) | (tag[8] << 7) | tag[9])
    pos = 10
    others: list[bytes] = []
    pictures: list[bytes] = []
    chapters: list[tuple[int, bytes]] = []
    tocs: list[tuple[tuple[int, int], bytes]] = []
    while pos + 10 <= end and tag[pos] != 0:  # a zero byte starts the padding
        size = struct.unpack_from(">I", tag, pos + 4)[0]
        frame = tag[pos : pos + 10 + size]
        if len(frame) != 10 + size:
            return tag
        frame_id = frame[:4]
        element_id = frame[10:].split(b"\0", 1)[0].decode("latin-1")
        if frame_id == b"CHAP" and element_id[3:].isdigit():
            chapters.append((int(element_id[3:]), frame))
        elif frame_id == b"CTOC":
            tocs.append((_toc_order(element_id), frame))
        elif frame_id == b"APIC":
            pictures.append(frame)  # big: last, so small fields are found early
        else:
            others.append(frame)
        pos += 10 + size
    frames = [
        *others,
        *(frame for _, frame in sorted(tocs)),
        *(frame for _, frame in sorted(chapters)),
        *pictures,
    ]
    body = b"".join(frames)
    return tag[:10] + body + tag[pos:end]  # pos..end is the padding


def _toc_order(element_id: str) -> tuple[int, int]:
    """The top-level CTOC first, then the others as _tocs named them (toc0.., toc1_0..)."""
    if element_id == "toc":
        return (-1, 0)
    depth, _, index = element_id[3:].rpartition("_")
    return (int(depth or 0), int(index or 0))
