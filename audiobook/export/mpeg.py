"""MPEG audio frames of finished chapter MP3s: found, checked and copied without decoding.

The chapters are already encoded with the same settings, so copying their frames loses
nothing, takes seconds for a long book, and keeps memory flat (files are streamed in
chunks). Lengths come from counting frames, which is exact, not from the nominal bit rate.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from audiobook.errors import AudiobookError

CHUNK = 1 << 20  # read parts 1 MiB at a time: memory stays flat however long the book

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


class Stream:
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


def copy_frames(path: Path, stream: Stream, write: Callable[[bytes], object] | None) -> int:
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


def _resync(buf: bytes, pos: int, stream: Stream) -> int:
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


def ms(samples: int, sample_rate: int) -> int:
    return (samples * 1000 + sample_rate // 2) // sample_rate
