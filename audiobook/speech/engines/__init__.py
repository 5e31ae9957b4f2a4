"""Speech engines behind one interface: a text and a voice in, encoded audio out.

Engines are asynchronous so that one runner can drive both kinds: the edge engine waits on
the network, the local engine waits on worker processes. What an engine returns is what
the segment cache stores, byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from audiobook.cast.voices import Voice
from audiobook.errors import AudiobookError
from audiobook.text.hanzi import HANZI_RANGES

ENGINES = ("edge", "local")
SAMPLE_RATE = 24000  # both engines speak at 24 kHz mono

# Text with no letter, digit or hanzi makes no sound: it is never sent to an engine
# (the edge service answers "……" with no audio at all, which looks like a failure).
_SPEAKABLE = re.compile(f"[0-9A-Za-z{HANZI_RANGES}]")


def speakable(text: str) -> bool:
    return bool(_SPEAKABLE.search(text))


@dataclass(frozen=True)
class Boundary:
    """Where a sentence is heard inside one engine answer (from edge's SentenceBoundary)."""

    offset_ms: int
    duration_ms: int
    text: str


@dataclass(frozen=True)
class Speech:
    audio: bytes  # encoded, in ``format``
    format: str  # "mp3" (edge, as the service sent it) or "flac" (local, lossless)
    boundaries: tuple[Boundary, ...] = ()


class TransientError(AudiobookError):
    """A failure that may not happen again: retry after a pause (a longer one when the
    service said we are sending too much)."""

    def __init__(self, message: str, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited


class Engine(Protocol):
    name: str
    version: str  # part of every cache key: bump when output for the same input changes
    default_concurrency: int
    run_bytes: int  # > 0: consecutive sentences of one voice may go as one text this long

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def synthesize(self, text: str, voice: Voice) -> Speech: ...
