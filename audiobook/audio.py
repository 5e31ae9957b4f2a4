"""Audio at the edges: model samples to pydub clips, and clips streamed into an MP3 file.

A chapter never exists whole in memory: each clip is encoded as it arrives, so memory
stays flat however long the chapter or the book. MP3 encoding is done in-process by LAME
(lameenc); pydub is used for what it is good at, building and trimming clips, and never
calls ffmpeg here.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import lameenc
import numpy as np
import soundfile

from audiobook.engines import SAMPLE_RATE, Speech

with warnings.catch_warnings():  # pydub warns at import when no ffmpeg is installed
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment
    from pydub.silence import detect_leading_silence

BIT_RATE_KBPS = 64
SILENCE_DBFS = -50.0  # quieter than this at the ends of a clip is trimmed
KEEP_EDGE_MS = 30  # ... except this much, so the voice does not start abruptly


def clip_from_samples(samples: np.ndarray, sample_rate: int) -> AudioSegment:
    """Float samples in [-1, 1] to a 16-bit mono clip, trimmed of the model's own
    leading and trailing silence so that pauses are ours to set."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    clip = AudioSegment(data=pcm, sample_width=2, frame_rate=sample_rate, channels=1)
    return trim_silence(clip)


def decode(speech: Speech) -> np.ndarray:
    """Cached audio (the service's MP3 or our FLAC) to float samples, without ffmpeg:
    libsndfile, bundled with soundfile, reads both."""
    samples, rate = soundfile.read(io.BytesIO(speech.audio), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"unexpected sample rate {rate} from the {speech.format} audio")
    return samples.mean(axis=1)


def trim_silence(clip: AudioSegment) -> AudioSegment:
    if len(clip) == 0:
        return clip
    start = detect_leading_silence(clip, silence_threshold=SILENCE_DBFS, chunk_size=5)
    end = detect_leading_silence(clip.reverse(), silence_threshold=SILENCE_DBFS, chunk_size=5)
    start = max(0, start - KEEP_EDGE_MS)
    stop = min(len(clip), len(clip) - end + KEEP_EDGE_MS)
    return clip[start:stop] if stop > start else clip[:0]


def silence(ms: int, sample_rate: int) -> AudioSegment:
    return AudioSegment.silent(duration=ms, frame_rate=sample_rate)


class Mp3Writer:
    """Streams clips into ``<path>.part`` and knows the exact time written so far;
    ``commit`` renames the finished file into place, so a crash leaves no half file
    under the final name."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.part = path.with_name(path.name + ".part")
        self.samples = 0
        self._encoder = lameenc.Encoder()
        self._encoder.set_bit_rate(BIT_RATE_KBPS)
        self._encoder.set_in_sample_rate(sample_rate)
        self._encoder.set_out_sample_rate(sample_rate)
        self._encoder.set_channels(1)
        self._encoder.set_quality(5)  # LAME's "good" preset; 2 is slower and sounds alike
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.part, "wb")  # noqa: SIM115 - closed in commit/discard

    @property
    def position_ms(self) -> int:
        return self.samples * 1000 // self.sample_rate

    def append(self, clip: AudioSegment) -> None:
        if clip.frame_rate != self.sample_rate or clip.channels != 1 or clip.sample_width != 2:
            clip = clip.set_frame_rate(self.sample_rate).set_channels(1).set_sample_width(2)
        data = clip.raw_data
        if data:
            self._file.write(self._encoder.encode(data))
            self.samples += len(data) // 2

    def finish(self) -> Path:
        """Flush the encoder and close the part file; returns it for tagging."""
        self._file.write(self._encoder.flush())
        self._file.close()
        return self.part

    def commit(self) -> Path:
        os.replace(self.part, self.path)
        return self.path

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.part.unlink(missing_ok=True)
