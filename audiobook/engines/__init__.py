"""Speech engines behind one interface: text and a voice in, float samples out."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from audiobook.errors import AudiobookError


class Engine(Protocol):
    name: str
    sample_rate: int
    version: str  # part of every cache key: bump when output for the same input changes

    def load(self) -> None: ...

    def synthesize(self, text: str, voice: Any = None) -> np.ndarray: ...


ENGINES = ("local",)


def get_engine(name: str, threads: int | None = None) -> Engine:
    """The engine called ``name``; ``threads`` caps the CPU threads it may use."""
    if name == "local":
        from audiobook.engines.offline import OfflineEngine

        return OfflineEngine(threads=threads)
    raise AudiobookError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
