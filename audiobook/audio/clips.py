"""Audio at the edges: cached audio decoded, trimmed, and streamed into an MP3 file.

Samples are encoded as they arrive, so memory stays flat however long the chapter or the
book. MP3 encoding is done in-process by LAME (lameenc); pydub finds the silent edges of
a clip and never calls ffmpeg here.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

import lameenc
import numpy as np
import soundfile

from audiobook.files import temp_path
from audiobook.speech.engines import SAMPLE_RATE, Speech

with warnings.catch_warnings():  # pydub warns at import when no ffmpeg is installed
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment
    from pydub.silence import detect_leading_silence

BIT_RATE_KBPS = 64
SILENCE_DBFS = -50.0  # quieter than this at the ends of a clip is trimmed
KEEP_EDGE_MS = 30  # ... except this much, so the voice does not start abruptly


def decode(speech: Speech) -> np.ndarray:
    """Cached audio (the service's MP3 or our FLAC) to float samples, without ffmpeg:
    libsndfile, bundled with soundfile, reads both."""
    samples, rate = soundfile.read(io.BytesIO(speech.audio), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"unexpected sample rate {rate} from the {speech.format} audio")
    return samples.mean(axis=1)


def trim(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """``samples`` without the engine's own leading and trailing silence, so that pauses
    are ours to set (pydub finds the edges; the samples themselves are kept as they are)."""
    if not len(samples):
        return samples
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    clip = AudioSegment(data=pcm, sample_width=2, frame_rate=sample_rate, channels=1)
    start = detect_leading_silence(clip, silence_threshold=SILENCE_DBFS, chunk_size=5)
    end = detect_leading_silence(clip.reverse(), silence_threshold=SILENCE_DBFS, chunk_size=5)
    start_ms = max(0, start - KEEP_EDGE_MS)
    stop_ms = min(len(clip), len(clip) - end + KEEP_EDGE_MS)
    if stop_ms <= start_ms:
        return samples[:0]
    return samples[start_ms * sample_rate // 1000 : stop_ms * sample_rate // 1000]


class Mp3Writer:
    """Streams samples as MP3 into a temporary file beside ``path`` (or into a memory
    buffer) and knows
    the exact time written so far; ``commit`` renames the finished file into place, so a
    crash leaves no half file under the final name."""

    def __init__(self, path: Path | io.BytesIO, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.samples = 0
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(BIT_RATE_KBPS)
        self._encoder.set_in_sample_rate(sample_rate)
        self._encoder.set_out_sample_rate(sample_rate)
        self._encoder.set_channels(1)
        self._encoder.set_quality(5)  # LAME's "good" preset; 2 is slower and sounds alike
        if isinstance(path, io.BytesIO):
            self._file: BinaryIO = path
            return
        self.path = path
        self.part = temp_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.part, "wb")  # noqa: SIM115 - closed in finish/discard

    @property
    def position_ms(self) -> int:
        return self.samples * 1000 // self.sample_rate

    def write(self, samples: np.ndarray) -> None:
        """Float samples in [-1, 1] at the writer's rate."""
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
        if len(pcm):
            self._file.write(self._encoder.encode(pcm.tobytes()))
            self.samples += len(pcm)

    def finish(self) -> None:
        """Flush the encoder and close the part file (which can then be tagged)."""
        self._file.write(self._encoder.flush())
        if not isinstance(self._file, io.BytesIO):
            self._file.close()

    def commit(self) -> Path:
        os.replace(self.part, self.path)
        return self.path

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.part.unlink(missing_ok=True)
