"""The fake Edge service, checked with the real edge_tts client (offline, a few seconds)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import edge_tts
import edge_tts.communicate
import pytest
import soundfile as sf
from edge_tts.drm import DRM
from edge_tts.exceptions import NoAudioReceived

from tests.fake_edge import FakeEdgeServer, Heard

XIAOXIAO = "zh-CN-XiaoxiaoNeural"
YUNXI = "zh-CN-YunxiNeural"
TWO_SENTENCES = "你好，世界。今天天气很好！"  # 10 speakable characters
ROOT = Path(__file__).parent.parent


@pytest.fixture
def make_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeEdgeServer]]:
    """Start a fake service and point the real client at it; stopped after the test."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    # A 403 makes the client shift its (class-wide) clock by the server's Date: undo that.
    monkeypatch.setattr(DRM, "clock_skew_seconds", 0.0)
    started: list[FakeEdgeServer] = []

    def make(**kwargs: Any) -> FakeEdgeServer:
        server = FakeEdgeServer(**kwargs).start()
        started.append(server)
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", server.url)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., FakeEdgeServer]) -> FakeEdgeServer:
    return make_server(voices={XIAOXIAO, YUNXI})


async def speak(text: str, voice: str = XIAOXIAO, **kwargs: Any) -> tuple[bytes, list[dict]]:
    """All audio bytes and boundary events of one Communicate.stream()."""
    audio, events = b"", []
    async for chunk in edge_tts.Communicate(text, voice, **kwargs).stream():
        if chunk["type"] == "audio":
            audio += chunk["data"]
        else:
            events.append(chunk)
    return audio, events


def say(text: str, voice: str = XIAOXIAO, **kwargs: Any) -> tuple[bytes, list[dict]]:
    return asyncio.run(speak(text, voice, **kwargs))


def decode(mp3: bytes) -> tuple[int, int, float]:
    data, rate = sf.read(io.BytesIO(mp3))
    return rate, data.ndim, len(data) / rate


def test_real_client_gets_real_mp3_and_sentence_boundaries(server: FakeEdgeServer) -> None:
    mp3, events = say(TWO_SENTENCES, rate="+0%", pitch="+0Hz")

    rate, ndim, seconds = decode(mp3)
    assert (rate, ndim) == (24000, 1)
    assert seconds == pytest.approx(10 * 0.12, rel=0.1)
    assert len(mp3) / 6000 == pytest.approx(seconds, rel=0.01)  # 48 kbit/s CBR
    assert [e["type"] for e in events] == ["SentenceBoundary"] * 2
    assert [e["text"] for e in events] == ["你好，世界。", "今天天气很好！"]
    assert 0 < events[0]["offset"] < events[1]["offset"]
    end = events[1]["offset"] + events[1]["duration"]
    assert end / 10_000_000 == pytest.approx(seconds, abs=0.1)
    assert server.heard == [Heard(XIAOXIAO, "+0%", "+0Hz", "+0%", TWO_SENTENCES)]
    assert server.attempts == 1


def test_prosody_and_escaped_text_reach_the_server(server: FakeEdgeServer) -> None:
    text = "“A&B<C>”他说！"
    _, events = say(text, YUNXI, rate="+20%", pitch="-5Hz", volume="+10%")
    assert server.heard == [Heard(YUNXI, "+20%", "-5Hz", "+10%", text)]
    assert [e["text"] for e in events] == [text]


def test_audio_is_deterministic_and_depends_on_voice_and_rate(server: FakeEdgeServer) -> None:
    first, _ = say(TWO_SENTENCES)
    assert say(TWO_SENTENCES)[0] == first
    assert say(TWO_SENTENCES, YUNXI)[0] != first
    faster, _ = say(TWO_SENTENCES, rate="+20%")
    assert decode(faster)[2] == pytest.approx(0.8 * decode(first)[2], rel=0.1)


def test_concurrent_requests_are_all_heard(server: FakeEdgeServer) -> None:
    texts = [f"第{n}句话。" for n in range(6)]

    async def all_at_once() -> list[tuple[bytes, list[dict]]]:
        return await asyncio.gather(*(speak(t) for t in texts))

    assert all(mp3 for mp3, _ in asyncio.run(all_at_once()))
    assert sorted(h.text for h in server.heard) == sorted(texts)


def test_one_403_is_recovered_by_the_clients_own_retry(server: FakeEdgeServer) -> None:
    server.fail_next("403")
    mp3, _ = say(TWO_SENTENCES)
    assert mp3 and server.attempts == 2 and len(server.heard) == 1


def test_two_403_surface_as_handshake_error(server: FakeEdgeServer) -> None:
    server.fail_next("403", count=2)
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        say(TWO_SENTENCES)
    assert caught.value.status == 403
    assert server.attempts == 2 and server.heard == []


def test_429_surfaces_as_handshake_error_without_retry(server: FakeEdgeServer) -> None:
    server.fail_next("429")
    with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
        say(TWO_SENTENCES)
    assert caught.value.status == 429
    assert server.attempts == 1


@pytest.mark.parametrize("kind", ["drop", "no_audio"])
def test_drop_and_no_audio_surface_as_no_audio_received(server: FakeEdgeServer, kind: str) -> None:
    # An aborted connection ends the client's receive loop quietly, like an empty turn.
    server.fail_next(kind)
    with pytest.raises(NoAudioReceived):
        say(TWO_SENTENCES)
    assert server.attempts == 1 and server.heard == []


@pytest.mark.parametrize(("text", "voice"), [("你好。", "zh-CN-XiaochenNeural"), ("……", XIAOXIAO)])
def test_unknown_voice_or_punctuation_only_gives_no_audio(
    server: FakeEdgeServer, text: str, voice: str
) -> None:
    with pytest.raises(NoAudioReceived):
        say(text, voice)
    assert server.heard == []


def test_cut_ends_normally_with_truncated_audio(server: FakeEdgeServer) -> None:
    full, full_events = say(TWO_SENTENCES)
    server.fail_next("cut")
    cut, cut_events = say(TWO_SENTENCES)  # no exception: the client does not notice
    assert 0 < len(cut) < len(full) * 0.75
    assert full.startswith(cut)
    assert cut_events == full_events  # boundaries promise more audio than arrived
    assert len(server.heard) == 1 and server.attempts == 2


def test_timeout_is_not_caught_by_the_clients_receive_timeout(server: FakeEdgeServer) -> None:
    # receive_timeout becomes the session's sock_read, which aiohttp resets for websockets:
    # the client would wait for the whole silence, so the caller needs its own deadline.
    server.fail_next("timeout")
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(speak(TWO_SENTENCES, receive_timeout=1), 2.5))
    assert time.monotonic() - started >= 2.4
    assert server.heard == []


def test_latency_is_honoured(make_server: Callable[..., FakeEdgeServer]) -> None:
    make_server(latency=0.4)
    started = time.monotonic()
    assert say(TWO_SENTENCES)[0]
    assert time.monotonic() - started >= 0.4


def test_failure_rate_fails_about_half_reproducibly(
    make_server: Callable[..., FakeEdgeServer],
) -> None:
    make_server()
    full = len(say("一二三四五。")[0])

    def outcomes(seed: int) -> list[str]:
        make_server(failure_rate=0.5, seed=seed)
        results = []
        for _ in range(20):
            try:
                results.append("ok" if len(say("一二三四五。")[0]) == full else "cut")
            except (aiohttp.ClientError, NoAudioReceived) as error:
                results.append(type(error).__name__)
        return results

    first = outcomes(seed=7)
    failed = sum(r != "ok" for r in first)
    assert 5 <= failed <= 15, first
    assert outcomes(seed=7) == first


def test_subprocess_can_use_the_server(server: FakeEdgeServer, tmp_path: Path) -> None:
    out = tmp_path / "a.mp3"
    script = (
        "import asyncio, sys, edge_tts, edge_tts.communicate as c\n"
        "c.WSS_URL = sys.argv[1]\n"
        f"asyncio.run(edge_tts.Communicate('你好。', '{XIAOXIAO}').save(sys.argv[2]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, server.url, str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert decode(out.read_bytes())[:2] == (24000, 1)
    assert server.heard[0].text == "你好。"


def test_fail_next_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError):
        FakeEdgeServer().fail_next("teapot")
