"""Rendering a chapter: pauses, loudness, true peak, subtitles that match the audio."""

from __future__ import annotations

import asyncio
import re

import edge_tts.communicate
import numpy as np
import pyloudnorm
import pytest
import soundfile
from scipy.signal import resample_poly

from audiobook.audio.build import BuildPlan, build_book, subtitle_paths
from audiobook.audio.loudness import LoudnessMeter, apply_gain, true_peak_db
from audiobook.audio.render import Line, gap
from audiobook.audio.subtitles import Cue, lrc, srt
from audiobook.cast.casting import draw_cast
from audiobook.config import Level, Pauses, load_config
from audiobook.errors import AudiobookError
from audiobook.model import Segment
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines.edge import EdgeEngine
from audiobook.text.script import book_from_text
from tests.fake_edge import FakeEdgeServer

RATE = 24000


def line(text: str, paragraph: int, kind: str = "narration", speaker: str | None = None) -> Line:
    return Line(Segment(text, paragraph, kind, speaker), text, None)


def test_pauses_follow_sentences_paragraphs_speakers_and_trailing_off() -> None:
    pauses = Pauses()
    told = line("他来了。", 0)
    assert gap(pauses, told, line("又走了。", 0)) == pauses.sentence
    assert gap(pauses, told, line("第二段。", 1)) == pauses.paragraph
    assert gap(pauses, told, line("走吧。", 0, "speech", "甲")) == pauses.speaker_change
    said = line("走吧。", 0, "speech", "甲")
    assert gap(pauses, said, line("快走。", 0, "speech", "甲")) == pauses.sentence
    assert gap(pauses, said, line("不走。", 0, "speech", "乙")) == pauses.speaker_change
    assert gap(pauses, line("我……", 0), line("没说完。", 0)) == pauses.trailing_off
    assert gap(pauses, Line(None, "第一章", None), told) == pauses.after_heading
    assert pauses.sentence < pauses.trailing_off < pauses.paragraph


def test_pauses_and_loudness_are_configurable(tmp_path) -> None:
    config = tmp_path / "audiobook.toml"
    config.write_text("[pauses]\nparagraph = 1500\n\n[loudness]\ntarget = -19\n", "utf-8")
    loaded = load_config(None, tmp_path / "book.txt")
    assert loaded.pauses == Pauses(paragraph=1500)
    assert loaded.level == Level(target=-19.0)
    for bad, message in (
        ("[pauses]\nparagrph = 1\n", "has no 'paragrph'"),
        ("[pauses]\nsentence = -5\n", "out of range"),
        ('[loudness]\ntarget = "loud"\n', "out of range"),
    ):
        config.write_text(bad, "utf-8")
        with pytest.raises(AudiobookError, match=message):
            load_config(None, tmp_path / "book.txt")


def test_the_meter_agrees_with_pyloudnorm_when_fed_in_pieces() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(RATE * 4) / RATE
    signal = np.concatenate(
        [0.3 * np.sin(2 * np.pi * 300 * t), np.zeros(RATE), 0.05 * rng.standard_normal(RATE * 3)]
    )
    meter = LoudnessMeter(RATE)
    for piece in np.array_split(signal, 13):
        meter.add(piece.astype(np.float32))
    reference = pyloudnorm.Meter(RATE).integrated_loudness(signal)
    assert abs(meter.integrated() - reference) < 0.05
    assert LoudnessMeter(RATE).integrated() == -np.inf
    # pauses come as pieces of silence, which the filter's ringing carries into
    loud, quiet = 0.5 * np.sin(2 * np.pi * 60 * t[:RATE]), 0.02 * rng.standard_normal(RATE)
    pieces = [loud, np.zeros(RATE // 3), np.zeros(7), quiet, np.zeros(RATE // 2), loud]
    meter = LoudnessMeter(RATE)
    for piece in pieces:
        meter.add(piece.astype(np.float32))
    reference = pyloudnorm.Meter(RATE).integrated_loudness(np.concatenate(pieces))
    assert abs(meter.integrated() - reference) < 0.05


def test_the_k_weighting_filter_streams_through_pieces_and_pauses() -> None:
    from audiobook.audio.loudness import _Convolver, k_weighting

    rng = np.random.default_rng(2)
    pieces = [rng.standard_normal(n) * 0.3 for n in (5000, 1, 300_000)]  # the last in blocks
    pieces[1:1] = [np.zeros(100), np.zeros(RATE)]  # a pause shorter than the ringing, one longer
    weighting = _Convolver(k_weighting(RATE))
    streamed = np.concatenate([weighting(p.astype(np.float32)) for p in pieces])
    whole = np.convolve(np.concatenate(pieces), k_weighting(RATE))[: len(streamed)]
    assert np.abs(streamed - whole).max() < 1e-4


def test_the_limiter_holds_true_peaks_under_the_ceiling() -> None:
    t = np.arange(RATE) / RATE
    loud = (0.9 * np.sin(2 * np.pi * 5000 * t + 0.3)).astype(np.float32)  # peaks between samples
    out = apply_gain(loud, 6.0, RATE, -2.0)
    assert true_peak_db(out) <= -2.0 + 0.05
    quiet = loud * 0.01
    assert np.allclose(apply_gain(quiet, 6.0, RATE, -2.0), quiet * 10 ** (6 / 20), atol=1e-6)


def test_subtitle_formats() -> None:
    cues = [
        Cue(300, 2150, "第一章 开始", None, -1),
        Cue(3150, 61_005, "他说：", None, 0),
        Cue(61_600, 3_725_010, "走吧。", "甲", 0, speech=True),
    ]
    text = srt(cues)
    assert text.startswith("1\n00:00:00,300 --> 00:00:02,150\n第一章 开始\n\n2\n")
    assert "3\n00:01:01,600 --> 01:02:05,010\n“走吧。”\n" in text
    lyrics = lrc(cues, title="开始", artist="某人", album="书", length_ms=3_726_000)
    assert lyrics.splitlines()[:4] == ["[ti:开始]", "[ar:某人]", "[al:书]", "[length:62:06.00]"]
    assert "[00:03.15]他说：" in lyrics and "[01:01.60]“走吧。”" in lyrics
    assert lyrics.rstrip().endswith("[62:05.01]")


def onsets(samples: np.ndarray, quiet_s: float = 0.25) -> list[float]:
    """Times where sound starts after at least ``quiet_s`` of silence (10 ms frames)."""
    frame = RATE // 100
    energy = np.sqrt((samples[: len(samples) // frame * frame].reshape(-1, frame) ** 2).mean(1))
    loud = energy > 10 ** (-45 / 20)
    found, silent = [], quiet_s * 100
    for i, is_loud in enumerate(loud):
        if is_loud and silent >= quiet_s * 100:
            found.append(i / 100)
        silent = 0 if is_loud else silent + 1
    return found


class Quiet:
    def segments_planned(self, count) -> None: ...
    def segment_finished(self, how) -> None: ...
    def chapter_done(self, result) -> None: ...


BOOK = (
    "《响度》\n第一章 开始\n"
    "　　李明走进来。他看了看四周，说：“今天真冷。我们走吧。”\n"
    "　　王芳笑了笑：“好啊。”她站起来。\n"
    "　　外面下着雪……\n"
    "第二章 继续\n　　第二天，雪停了。李明说：“走。”\n"
)


def test_chapters_at_one_loudness_and_subtitles_where_sentences_are_heard(
    tmp_path, monkeypatch
) -> None:
    book = book_from_text(BOOK, "x")
    voices = draw_cast(book, "edge").voices()
    plan = BuildPlan(book=book, out_dir=tmp_path, chapters=book.chapters, keep_cues=True)
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", edge_tts.communicate.WSS_URL)
    with FakeEdgeServer() as server:
        monkeypatch.setenv("AUDIOBOOK_EDGE_URL", server.url)
        job = build_book(plan, EdgeEngine(), voices, Quiet(), SegmentCache(tmp_path / "c"))
        results = asyncio.run(job)
    for result in results:
        audio, rate = soundfile.read(result.path)
        assert rate == RATE
        loudness = pyloudnorm.Meter(rate).integrated_loudness(audio)
        assert abs(loudness - Level().target) <= 1.0, loudness
        true_peak = 20 * np.log10(np.abs(resample_poly(audio, 4, 1)).max())
        assert true_peak <= Level().ceiling + 0.3, true_peak
        lyrics, subtitles = subtitle_paths(result.path)
        starts = [
            int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
            for h, m, s, ms in re.findall(r"(\d+):(\d+):(\d+),(\d+) -->", subtitles.read_text())
        ]
        assert len(starts) == len(result.cues) >= 2
        heard = onsets(audio)
        assert len(heard) == len(starts)
        assert all(abs(a - b) <= 0.3 for a, b in zip(starts, heard, strict=True)), (starts, heard)
        lrc_starts = [
            int(m) * 60 + float(s)
            for m, s in re.findall(r"^\[(\d+):(\d+\.\d+)\]“?\S", lyrics.read_text(), re.M)
        ]
        assert all(abs(a - b) <= 0.3 for a, b in zip(lrc_starts, heard, strict=True))
