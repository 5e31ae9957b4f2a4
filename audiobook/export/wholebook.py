"""Whole-book files made from the chapter MP3s the build already wrote.

``join_mp3`` copies the MPEG audio frames of every chapter into one MP3 without decoding:
the chapters are already encoded with the same settings, so copying loses nothing, takes
seconds for a long book, and keeps memory flat (the files are streamed in chunks). Chapter
times come from counting frames, which is exact, not from the nominal bit rate.

``write_m4b`` feeds the same frames to ffmpeg, which encodes AAC and writes an M4B with
chapters; ffmpeg is optional (the ``m4b`` extra), so its absence is a clear user error.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mutagen.id3 import APIC, CHAP, CTOC, ID3, TALB, TCON, TIT2, TLAN, TPE1, CTOCFlags

from audiobook.audio.tags import chapters_in_order
from audiobook.errors import AudiobookError


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
CHUNK = 1 << 20  # read parts 1 MiB at a time: memory stays flat however long the book
TAG_PADDING = 1024  # room for a tagger's later edits without rewriting the whole book
AAC_BIT_RATE = "64k"
_FFMPEG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\]\s*)+")

# --- MPEG audio frame headers -------------------------------------------------------------

# Bit rates in kbit/s by [MPEG-1?][layer 1..3][index]; index 0 (free format) and 15 are
# not usable: a free-format frame's size cannot be known from its header.
_BIT_RATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# What must stay the same from frame to frame of one stream: sync, version, layer and sample
# rate (plus mono-or-not, added to the key). Bit rate and padding may change.
_STREAM_MASK = 0xFFFE0C00
_VERSIONS = {3: "MPEG-1", 2: "MPEG-2", 0: "MPEG-2.5"}


@dataclass(frozen=True)
class _Frame:
    size: int  # bytes, header included
    samples: int  # per channel
    sample_rate: int
    side_info: int  # bytes of side information after the header (where Xing/Info sits)
    key: int  # the stream properties, equal for every frame of a joinable stream
    format: str  # those properties for an error message


def _parse_header(header: int) -> _Frame | None:
    """The frame a 4-byte header describes, or None if it is not a usable header."""
    if header >> 21 != 0x7FF:
        return None
    version = (header >> 19) & 3  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 reserved
    layer = 4 - ((header >> 17) & 3)  # field 3 = layer I ... 1 = layer III; 0 reserved
    bit_index = (header >> 12) & 15
    rate_index = (header >> 10) & 3
    if version == 1 or layer == 4 or bit_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bit_rate = _BIT_RATES[(mpeg1, layer)][bit_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = (header >> 9) & 1
    mono = (header >> 6) & 3 == 3
    if layer == 1:
        size, samples = (12 * bit_rate // sample_rate + padding) * 4, 384
    elif layer == 2 or mpeg1:
        size, samples = 144 * bit_rate // sample_rate + padding, 1152
    else:  # MPEG-2 and 2.5 layer III frames hold one granule: half the samples
        size, samples = 72 * bit_rate // sample_rate + padding, 576
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    key = (header & _STREAM_MASK) | int(mono)
    described = f"{_VERSIONS[version]} layer {'I' * layer} {sample_rate} Hz"
    described += " mono" if mono else " stereo"
    return _Frame(size, samples, sample_rate, side_info, key, described)


class _Stream:
    """Frame-header parsing with a cache (a book repeats the same few headers a million
    times) and the stream properties every part must share to be joined."""

    def __init__(self) -> None:
        self._cache: dict[int, _Frame | None] = {}
        self.key: int | None = None  # the first frame's key: every frame must match
        self.sample_rate = 0
        self.format = ""
        self.first_path: Path | None = None

    def frame(self, header: int) -> _Frame | None:
        try:
            return self._cache[header]
        except KeyError:
            frame = self._cache[header] = _parse_header(header)
            return frame

    def check(self, frame: _Frame, path: Path) -> None:
        if self.key is None:
            self.key, self.sample_rate, self.format = frame.key, frame.sample_rate, frame.format
            self.first_path = path
        elif frame.key != self.key:
            first = self.first_path.name if self.first_path else "the first part"
            raise AudiobookError(
                f"cannot join {path.name} ({frame.format}) to {first} ({self.format}): "
                "rebuild the chapters with the same audio settings"
            )


def _audio_span(file: BinaryIO, path: Path) -> tuple[int, int]:
    """Where the MPEG audio of a file starts and ends: after any ID3v2 tags at the start,
    before any ID3v1 or APEv2 tag at the end."""
    size = file.seek(0, os.SEEK_END)
    start = 0
    while True:  # some tools leave more than one ID3v2 tag in front
        file.seek(start)
        head = file.read(10)
        if len(head) < 10 or head[:3] != b"ID3":
            break
        body = head[6:10]
        if any(b & 0x80 for b in body):
            raise AudiobookError(f"{path.name} has a damaged ID3 tag; rebuild that chapter")
        tag_size = (body[0] << 21) | (body[1] << 14) | (body[2] << 7) | body[3]
        footer = 10 if head[5] & 0x10 else 0  # ID3v2.4 footer flag: 10 more bytes
        start += 10 + tag_size + footer
    end = size
    if end - start >= 128:
        file.seek(end - 128)
        if file.read(3) == b"TAG":
            end -= 128
    if end - start >= 32:
        file.seek(end - 32)
        ape = file.read(32)
        if ape[:8] == b"APETAGEX":
            ape_size, flags = struct.unpack_from("<II", ape, 12)
            end -= ape_size + (32 if flags & 0x80000000 else 0)  # size excludes the header
    return start, max(start, end)


def _is_info_frame(data: bytes | bytearray, pos: int, frame: _Frame) -> bool:
    """A Xing/Info or VBRI frame: silent bookkeeping about its own file, which would be
    wrong (and audible as a blip of silence to some decoders) in the middle of a book."""
    tag = pos + 4 + frame.side_info
    return data[tag : tag + 4] in (b"Xing", b"Info") or data[pos + 36 : pos + 40] == b"VBRI"


def _copy_frames(path: Path, stream: _Stream, write: Callable[[bytes], object] | None) -> int:
    """Pass every MPEG audio frame of ``path`` to ``write`` (if given) in file order and
    return the number of samples they hold. Garbage between frames is skipped and a
    truncated last frame dropped, so the output is always a clean frame sequence."""
    samples = 0
    first = True
    with open(path, "rb") as file:
        start, end = _audio_span(file, path)
        file.seek(start)
        remaining = end - start
        buf = b""
        while True:
            chunk = file.read(min(CHUNK, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            at_end = not chunk
            buf += chunk
            pos = 0
            run = 0  # start of the run of good frames not yet written
            limit = len(buf)
            while pos + 4 <= limit:
                header = struct.unpack_from(">I", buf, pos)[0]
                frame = stream.frame(header)
                if frame is None:
                    if write and pos > run:
                        write(buf[run:pos])
                    pos = _resync(buf, pos + 1, stream)
                    run = pos
                    continue
                if pos + frame.size > limit:
                    break  # the rest of this frame is in the next chunk
                stream.check(frame, path)
                if first:
                    first = False
                    if _is_info_frame(buf, pos, frame):
                        if write and pos > run:
                            write(buf[run:pos])
                        pos += frame.size
                        run = pos
                        continue
                samples += frame.samples
                pos += frame.size
            if write and pos > run:
                write(buf[run:pos])
            buf = buf[pos:]
            if at_end:
                break  # whatever is left is a truncated frame or trailing junk
    if samples == 0:
        raise AudiobookError(f"{path.name} holds no MP3 audio; rebuild that chapter")
    return samples


def _resync(buf: bytes, pos: int, stream: _Stream) -> int:
    """The next position that looks like a frame of this stream, or where to wait for more
    data (a header may be cut by the chunk boundary)."""
    while True:
        pos = buf.find(b"\xff", pos)
        if pos < 0:
            return len(buf)
        if pos + 4 > len(buf):
            return pos
        frame = stream.frame(struct.unpack_from(">I", buf, pos)[0])
        if frame and (stream.key is None or frame.key == stream.key):
            return pos
        pos += 1


def _ms(samples: int, sample_rate: int) -> int:
    return (samples * 1000 + sample_rate // 2) // sample_rate


def _scan(parts: list[Part], stream: _Stream) -> list[int]:
    """Each part's length in samples, reading headers only."""
    return [_copy_frames(part.path, stream, None) for part in parts]


def _markers(parts: list[Part], lengths: list[int], sample_rate: int) -> list[tuple[int, str]]:
    markers = []
    elapsed = 0
    for part, length in zip(parts, lengths, strict=True):
        markers.append((_ms(elapsed, sample_rate), part.title))
        elapsed += length
    return markers


def _check_parts(parts: list[Part]) -> None:
    if not parts:
        raise AudiobookError("no chapter files to join")
    for part in parts:
        if not part.path.is_file():
            raise AudiobookError(f"chapter file not found: {part.path}")


# --- MP3 ----------------------------------------------------------------------------------


def join_mp3(parts: list[Part], out: Path, info: BookInfo) -> list[tuple[int, str]]:
    """One MP3 of every part in order, with a chapter marker (CHAP) at each part's start.
    Returns the (start_ms, title) markers."""
    _check_parts(parts)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".part")
    # The tag goes in front of the audio, but its CHAP times are known only once the audio
    # is copied. Times are fixed-size fields, so a tag rendered with zero times has the size
    # of the final one: reserve that much, copy the audio, then write the real tag over it.
    # This avoids a second full rewrite of a file that may be hundreds of MB.
    placeholder = _render_tag(info, [(0, p.title) for p in parts], 0)
    stream = _Stream()
    lengths: list[int] = []
    try:
        with open(temp, "wb") as file:
            file.write(placeholder)
            for part in parts:
                lengths.append(_copy_frames(part.path, stream, file.write))
            markers = _markers(parts, lengths, stream.sample_rate)
            tag = _render_tag(info, markers, _ms(sum(lengths), stream.sample_rate))
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


# --- M4B ----------------------------------------------------------------------------------


def find_ffmpeg() -> str | None:
    """The bundled ffmpeg of the imageio-ffmpeg package if installed, else one on PATH."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        if exe and os.path.isfile(exe):
            return str(exe)
    except Exception:  # not installed, or no binary for this platform: try PATH
        pass
    return shutil.which("ffmpeg")


def write_m4b(parts: list[Part], out: Path, info: BookInfo) -> None:
    """An M4B (AAC in MP4) with chapters, via ffmpeg; AudiobookError with a clear one-line
    message when no ffmpeg binary is found."""
    ffmpeg = find_ffmpeg()
    if ffmpeg is None:
        raise AudiobookError(
            "M4B output needs ffmpeg: install the imageio-ffmpeg package "
            "(uv sync --extra m4b) or put ffmpeg on PATH"
        )
    _check_parts(parts)
    # Chapter times must be in the metadata file before ffmpeg starts, so the parts are
    # scanned first (headers only, fast), then their frames are piped to ffmpeg: no joined
    # temporary MP3 on disk and no concat list with paths to quote.
    stream = _Stream()
    lengths = _scan(parts, stream)
    markers = _markers(parts, lengths, stream.sample_rate)
    total_ms = _ms(sum(lengths), stream.sample_rate)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".part")
    with tempfile.TemporaryDirectory(prefix="audiobook-m4b-") as work:
        meta = Path(work) / "chapters.txt"
        meta.write_text(_ffmetadata(info, markers, total_ms), encoding="utf-8")
        cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        cmd += ["-f", "mp3", "-i", "pipe:0", "-i", str(meta)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        codecs = ["-c:a", "aac", "-b:a", AAC_BIT_RATE, "-ac", "1"]
        if info.cover:
            # Named by what the bytes are, not only the declared type: ffmpeg picks its
            # image reader by the file name.
            is_png = info.cover.startswith(b"\x89PNG") or (
                info.cover_mime == "image/png" and not info.cover.startswith(b"\xff\xd8")
            )
            cover = Path(work) / ("cover.png" if is_png else "cover.jpg")
            cover.write_bytes(info.cover)
            cmd += ["-i", str(cover)]
            # The image is stored as it is (no re-encoding) and marked as the cover, which
            # the MP4 muxer writes as iTunes 'covr' artwork rather than a video track.
            maps += ["-map", "2:v"]
            codecs += ["-c:v", "copy", "-disposition:v", "attached_pic"]
        # ipod is the muxer ffmpeg itself picks for .m4b; it is named because the temporary
        # file's extension does not tell ffmpeg. It writes both a QuickTime chapter track
        # (Apple's players) and Nero 'chpl' chapters (most others). The "M4B " brand marks
        # the file as an audiobook, so players remember the position.
        cmd += [*maps, *codecs, "-metadata:s:a:0", "language=chi", "-movflags", "+faststart"]
        cmd += ["-brand", "M4B ", "-f", "ipod", str(temp)]
        try:
            _run_ffmpeg(cmd, parts, Path(work) / "stderr.txt")
            os.replace(temp, out)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


def _run_ffmpeg(cmd: list[str], parts: list[Part], log: Path) -> None:
    # stderr goes to a file, not a pipe: a pipe nobody reads while we write stdin could fill
    # and stall both processes.
    with open(log, "wb") as err:
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err
            )
        except OSError as exc:
            raise AudiobookError(f"could not run ffmpeg ({cmd[0]}): {exc.strerror}") from exc
        assert proc.stdin is not None
        stream = _Stream()
        try:
            for part in parts:
                _copy_frames(part.path, stream, proc.stdin.write)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit status and stderr say why
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        code = proc.wait()
    if code != 0:
        raise AudiobookError(f"ffmpeg could not write the M4B: {_ffmpeg_reason(log, code)}")


def _ffmpeg_reason(log: Path, code: int) -> str:
    """ffmpeg's last error line, which is its conclusion, plus its first when that differs:
    the first is usually the cause (e.g. "No JPEG data found in image"). The "[muxer @
    0x...]" prefixes are noise to a user."""
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = [_FFMPEG_PREFIX.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return f"exit status {code}"
    if len(lines) > 1 and lines[0] != lines[-1]:
        return f"{lines[-1]} (first error: {lines[0]})"
    return lines[-1]


def _ffmetadata(info: BookInfo, markers: list[tuple[int, str]], total_ms: int) -> str:
    lines = [
        ";FFMETADATA1",
        f"title={_escape(info.title)}",
        f"album={_escape(info.title)}",
        f"artist={_escape(info.author)}",
        "genre=Audiobook",
    ]
    for i, (start, title) in enumerate(markers):
        end = markers[i + 1][0] if i + 1 < len(markers) else total_ms
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={start}",
            f"END={max(end, start)}",
            f"title={_escape(title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """FFMETADATA values: '=', ';', '#', '\\' must be escaped; a line break would end the
    value, so it becomes a space."""
    value = " ".join(value.split())
    for ch in "\\=;#":
        value = value.replace(ch, "\\" + ch)
    return value
