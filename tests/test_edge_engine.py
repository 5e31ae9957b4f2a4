"""The edge engine through the real edge-tts client, against the local fake service."""

from __future__ import annotations

import asyncio

import edge_tts.communicate
import pytest

from audiobook.audio.clips import decode
from audiobook.cast.voices import catalogue
from audiobook.errors import AudiobookError
from audiobook.speech.engines import TransientError, speakable
from audiobook.speech.engines.edge import EdgeEngine, request_texts
from tests.fake_edge import FakeEdgeServer

XIAOXIAO = catalogue("edge")["zh-CN-XiaoxiaoNeural"]


@pytest.fixture
def server(monkeypatch):
    with FakeEdgeServer(voices=set(catalogue("edge"))) as fake:
        monkeypatch.setenv("AUDIOBOOK_EDGE_URL", fake.url)
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", edge_tts.communicate.WSS_URL)
        yield fake


def speak(text: str, voice=XIAOXIAO, **engine_options):
    async def go():
        engine = EdgeEngine(**engine_options)
        await engine.start()
        return await engine.synthesize(text, voice)

    return asyncio.run(go())


def test_audio_boundaries_and_parameters(server) -> None:
    text = "他走进房间。房间里很安静。"
    voice = XIAOXIAO.shifted(rate=10, pitch=-5)
    speech = speak(text, voice)
    assert speech.format == "mp3"
    seconds = len(decode(speech)) / 24000
    assert abs(seconds - 11 * 0.12 / 1.1) < 0.3  # the fake speaks 0.12 s a character
    # the engine asks for word boundaries (the fake's words are two characters)
    assert [b.text for b in speech.boundaries] == ["他走", "进房", "间", "房间", "里很", "安静"]
    offsets = [b.offset_ms for b in speech.boundaries]
    assert offsets == sorted(offsets) and offsets[0] < offsets[-1]
    [heard] = server.heard
    assert (heard.voice, heard.rate, heard.pitch, heard.text) == (
        "zh-CN-XiaoxiaoNeural",
        "+10%",
        "-5Hz",
        text,
    )


def test_long_text_is_sent_in_whole_sentences_under_the_byte_limit(server) -> None:
    sentence = "这是一个相当长的句子，用来测试请求的切分。"
    text = sentence * 300  # about 19,000 UTF-8 bytes
    pieces = request_texts(text)
    assert "".join(pieces) == text
    assert all(len(p.encode()) <= 3000 for p in pieces)
    assert all(p.endswith("。") for p in pieces)
    speech = speak(text)
    assert [h.text for h in server.heard] == pieces
    assert len(speech.boundaries) == 300 * 10  # ten words a sentence, in every piece
    offsets = [b.offset_ms for b in speech.boundaries]
    assert offsets == sorted(offsets)
    assert abs(offsets[-1] / 1000 - len(decode(speech)) / 24000) < 3


def test_a_sentence_without_breaks_is_cut_at_commas_then_anywhere() -> None:
    commas = "甲乙丙丁，" * 400
    assert all(p.endswith("，") for p in request_texts(commas)[:-1])
    solid = "甲" * 2000
    pieces = request_texts(solid)
    assert "".join(pieces) == solid and all(len(p.encode()) <= 3000 for p in pieces)


def test_punctuation_only_is_never_speakable() -> None:
    assert not speakable("……")
    assert not speakable("——！？")
    assert speakable("啊……")
    assert speakable("OK")


@pytest.mark.parametrize("kind", ["429", "drop", "no_audio", "cut"])
def test_transient_failures(server, kind: str) -> None:
    server.fail_next(kind)
    with pytest.raises(TransientError) as caught:
        speak("他来了。")
    assert caught.value.rate_limited == (kind == "429")
    assert speak("他来了。").audio  # the next request works


def test_a_403_is_retried_once_by_the_library_and_twice_is_transient(server) -> None:
    server.fail_next("403")
    assert speak("他来了。").audio
    server.fail_next("403", 2)
    with pytest.raises(TransientError, match="403"):
        speak("他来了。")


def test_a_silent_service_times_out(server) -> None:
    server.fail_next("timeout")
    with pytest.raises(TransientError, match="Timeout"):
        speak("他来了。", receive_timeout=1)


def test_unknown_voice_is_refused_before_any_request(server) -> None:
    ghost = XIAOXIAO.__class__(engine="edge", id="zh-CN-XiaochenNeural")
    with pytest.raises(AudiobookError, match="unknown edge voice") as caught:
        speak("他来了。", ghost)
    assert not isinstance(caught.value, TransientError)
    assert server.attempts == 0


def test_availability_probe(server, monkeypatch) -> None:
    async def probe() -> bool:
        engine = EdgeEngine()
        await engine.start()
        return await engine.available(timeout=3)

    assert asyncio.run(probe())
    monkeypatch.setenv("AUDIOBOOK_EDGE_URL", "ws://127.0.0.1:9/edge/v1?TrustedClientToken=x")
    assert not asyncio.run(probe())
