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

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def synthesize(self, text: str, voice: Voice) -> Speech: ...


def get_engine(name: str, workers: int | None = None) -> Engine:
    """The engine called ``name``; ``workers`` sizes the offline engine's process pool."""
    if name == "local":
        from audiobook.speech.engines.local import LocalEngine

        return LocalEngine(workers=workers)
    if name == "edge":
        from audiobook.speech.engines.edge import EdgeEngine

        return EdgeEngine()
    raise AudiobookError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")


async def choose_engine(requested: str, check: bool = True) -> tuple[str, str]:
    """The engine to use and why: ``auto`` is edge when the service answers within a few
    seconds, else the offline voice. An explicit ``edge`` is checked too (unless ``check``
    is false), so that an unreachable service is one clear error, not a minute of retries.
    """
    if requested == "local" or (requested == "edge" and not check):
        return requested, f"the {requested} engine"
    from audiobook.speech.engines.edge import EdgeEngine

    edge = EdgeEngine()
    await edge.start()
    if await edge.available():
        return "edge", "the edge engine" + (
            " (the online service answers)" if requested == "auto" else ""
        )
    if requested == "edge":
        raise AudiobookError(
            "the edge service does not answer: check the network (or $AUDIOBOOK_EDGE_URL), "
            "or use --engine local"
        )
    return "local", "the offline voice (the edge service does not answer)"
