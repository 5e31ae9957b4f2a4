"""Rendering one chapter: its cached sentences and the pauses between them, at one
loudness, into a tagged MP3 with subtitles.

Two passes, so that memory stays flat however long the chapter: the first lays the
pieces out in a temporary raw file while measuring loudness (BS.1770) and noting where
each sentence is heard; the second reads them back, applies the one gain that brings the
chapter to the target with peaks held under the ceiling, and encodes.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import soundfile

from audiobook.audio.clips import Mp3Writer, decode, trim
from audiobook.audio.loudness import LoudnessMeter, apply_gain
from audiobook.audio.subtitles import Cue
from audiobook.config import Level, Pauses
from audiobook.errors import AudiobookError
from audiobook.model import Segment
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines import SAMPLE_RATE
from audiobook.speech.runner import Job

# MP3 encoding lets peaks overshoot by up to about 1 dB: the limiter aims that much lower.
ENCODER_OVERSHOOT_DB = 1.0
LOSS_SAMPLE_S = 60  # how much of a chapter is encoded to measure what encoding takes


@dataclass(frozen=True)
class Line:
    """One sentence the listener hears: of the heading (``segment`` None) or a segment."""

    segment: Segment | None
    text: str
    job: Job | None  # None: nothing to say (punctuation only), only the pause around it
    part: int = -1  # its place among the sentences of a run job (``runs.py``), or -1
    span: tuple[int, int] | None = None  # where in the run's audio it is heard (ms)


def gap(pauses: Pauses, before: Line, after: Line) -> int:
    """The silence between two sentences: longest across paragraphs, then around a change
    of voice, then after a sentence that trails off."""
    if before.segment is None or after.segment is None:
        return pauses.after_heading
    if after.segment.paragraph != before.segment.paragraph:
        return pauses.paragraph
    if _voice_of(before) != _voice_of(after):
        return pauses.speaker_change
    if before.text.rstrip("”’」』）)\"'").endswith(("…", "—")):
        return pauses.trailing_off
    return pauses.sentence


def _voice_of(line: Line) -> tuple:
    segment = line.segment
    return (segment.kind, segment.speaker) if segment else ("heading", None)


class RawChapter:
    """Pass 1: the chapter as float32 samples in a temporary file, piece by piece."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        # closed by close(); a temporary file vanishes by itself if the process dies
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=folder, prefix=".render-")  # noqa: SIM115
        self.pieces: list[tuple[int, int]] = []  # (byte offset or -1 for silence, samples)
        self.samples = 0
        self.meter = LoudnessMeter(SAMPLE_RATE)

    @property
    def position_ms(self) -> int:
        return self.samples * 1000 // SAMPLE_RATE

    def pause(self, ms: int) -> None:
        count = ms * SAMPLE_RATE // 1000
        if count:
            self.meter.add(np.zeros(count, np.float32))
            self.pieces.append((-1, count))
            self.samples += count

    def speech(self, samples: np.ndarray) -> None:
        samples = samples.astype(np.float32)
        if not len(samples):
            return
        self.meter.add(samples)
        self.pieces.append((self.file.tell(), len(samples)))
        self.file.write(samples.tobytes())
        self.samples += len(samples)

    def encode(self, writer: Mp3Writer, level: Level) -> None:
        """Pass 2: every piece at the gain that brings the chapter to the target, encoded.
        Holding the peaks down takes a little loudness away, and so does the encoder's
        low-pass: how much is measured on a sample of the chapter, and made up for."""
        ceiling = level.ceiling - ENCODER_OVERSHOOT_DB
        loudness = self.meter.integrated()
        gain = 0.0
        if np.isfinite(loudness):
            gain = level.target - loudness
            gain += self._loss(gain, ceiling)
        for samples in self._pieces():
            writer.write(apply_gain(samples, gain, SAMPLE_RATE, ceiling))
        writer.finish()

    def _loss(self, gain: float, ceiling: float) -> float:
        """Loudness (LU) that limiting and MP3 encoding take from the speech at ``gain``,
        measured on pieces taken evenly through the chapter, about a minute of them."""
        speech = [i for i, (offset, _) in enumerate(self.pieces) if offset >= 0]
        total = sum(self.pieces[i][1] for i in speech)
        every = max(1, round(total / (LOSS_SAMPLE_S * SAMPLE_RATE)))
        chosen = [self._piece(i) for i in speech[::every]]
        gap = np.zeros(SAMPLE_RATE // 4, np.float32)
        louder = [np.concatenate([p, gap]) * np.float32(10 ** (gain / 20)) for p in chosen]
        plain = np.concatenate(louder)
        sample_file = io.BytesIO()
        sample = Mp3Writer(sample_file, SAMPLE_RATE)
        for piece in louder:  # limited piece by piece, as the chapter is (and in little memory)
            sample.write(apply_gain(piece, 0.0, SAMPLE_RATE, ceiling))
        sample.finish()
        heard, _ = soundfile.read(io.BytesIO(sample_file.getvalue()), dtype="float32")
        before, after = LoudnessMeter(SAMPLE_RATE), LoudnessMeter(SAMPLE_RATE)
        before.add(plain)
        after.add(heard)
        loss = before.integrated() - after.integrated()
        return loss if np.isfinite(loss) else 0.0

    def _pieces(self) -> Iterator[np.ndarray]:
        for index in range(len(self.pieces)):
            yield self._piece(index)

    def _piece(self, index: int) -> np.ndarray:
        offset, count = self.pieces[index]
        if offset < 0:
            return np.zeros(count, np.float32)
        self.file.seek(offset)
        return np.frombuffer(self.file.read(count * 4), np.float32)

    def close(self) -> None:
        self.file.close()


def lay_out(
    raw: RawChapter,
    lines: list[Line],
    pauses: Pauses,
    cache: SegmentCache,
    limit_ms: int | None = None,
) -> list[Cue]:
    """Pass 1 over a chapter's lines; returns where each spoken sentence is heard.
    With ``limit_ms``, stops after the sentence that reaches it (previews)."""
    cues = []
    raw.pause(pauses.lead_in)
    previous: Line | None = None
    run: tuple[str, np.ndarray] = ("", np.zeros(0, np.float32))  # the run being cut apart
    for line in lines:
        if limit_ms is not None and raw.position_ms >= limit_ms:
            break
        if previous is not None:
            raw.pause(gap(pauses, previous, line))
        start = raw.position_ms
        if line.job is not None and line.span is not None:
            if run[0] != line.job.key:
                run = (line.job.key, _decoded(cache, line))
            begin, end = (ms * SAMPLE_RATE // 1000 for ms in line.span)
            raw.speech(trim(run[1][begin:end], SAMPLE_RATE))
        else:
            raw.speech(_samples(cache, line))
        if raw.position_ms > start:
            segment = line.segment
            speech = segment is not None and segment.kind == "speech"
            speaker = segment.speaker if speech and segment else None
            paragraph = segment.paragraph if segment else -1
            unsure = bool(segment and segment.unsure)
            cues.append(Cue(start, raw.position_ms, line.text, speaker, paragraph, speech, unsure))
        previous = line
    raw.pause(pauses.tail)
    return cues


def _samples(cache: SegmentCache, line: Line) -> np.ndarray:
    if line.job is None:
        return np.zeros(0, np.float32)
    return trim(_decoded(cache, line), SAMPLE_RATE)


def _decoded(cache: SegmentCache, line: Line) -> np.ndarray:
    assert line.job is not None
    speech = cache.get(line.job.key)
    if speech is None:
        raise AudiobookError(f"segment missing from the cache: {line.job.text[:20]!r}")
    return decode(speech)
