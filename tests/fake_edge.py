"""A local fake of the Microsoft Edge read-aloud websocket service.

The real `edge_tts` client talks to it unchanged: patch `edge_tts.communicate.WSS_URL` to
`server.url` and set NO_PROXY for 127.0.0.1. It answers with real MP3 (24 kHz mono CBR
48 kbit/s, like the service) and can inject the failures seen in the wild, deterministically
(`fail_next`) or at random with a seed (`failure_rate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import re
import threading
import unicodedata
import uuid
import zlib
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from xml.sax.saxutils import escape, unescape

import lameenc
import numpy as np
from aiohttp import WSMsgType, web

SAMPLE_RATE = 24_000
FRAME_SAMPLES = 576  # one MPEG-2 layer III frame: 144 bytes at 48 kbit/s, 24 ms
# LAME always emits two frames' worth of delay and padding; giving it this many samples fewer
# makes the MP3 exactly `frames` long, so bytes / 6000 == decoded seconds == metadata time.
LAME_SLACK = 2 * FRAME_SAMPLES
LAME_DELAY = 1105  # samples of leading silence LAME adds; boundary offsets include it
TICKS = 10_000_000  # the service counts time in 100 ns ticks
CHUNK_MAX = 28 * 144  # audio frames of a few KB, cut at MP3 frame boundaries
SILENCE_SECONDS = 60.0  # how long a "timeout" request stays silent
KINDS = ("403", "429", "drop", "no_audio", "cut", "timeout")

_VOICE_RE = re.compile(r"<voice name='[^(']*\(([^,]+),\s*([^)]+)\)'>")
_PROSODY_RE = re.compile(
    r"<prosody pitch='([^']*)' rate='([^']*)' volume='([^']*)'>(.*)</prosody>", re.DOTALL
)
# A sentence ends after 。！？!? (possibly repeated) and any closing quotes or brackets.
_SENTENCE_RE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』\"')）]*|[^。！？!?]+$")


@dataclass
class Heard:
    """One request that the server answered with audio."""

    voice: str
    rate: str
    pitch: str
    volume: str
    text: str


def _speakable(text: str) -> int:
    """Characters that take time to say: letters and digits, not punctuation or spaces."""
    return sum(unicodedata.category(c)[0] in "LN" for c in text)


def split_sentences(text: str) -> list[str]:
    """Sentences as the service reports them; punctuation-only pieces join the previous one."""
    out: list[str] = []
    for piece in _SENTENCE_RE.findall(text):
        if out and not _speakable(piece):
            out[-1] += piece
        elif piece.strip():
            out.append(piece)
    return [s.strip() for s in out]


_WORD_RE = re.compile(r"[A-Za-z0-9]+|[^\W\d_A-Za-z]{1,2}")


def split_words(text: str) -> list[str]:
    """Words as the service reports them for Chinese: letters and digits in runs, Chinese
    characters two by two (its real words vary in length), punctuation not at all."""
    return _WORD_RE.findall(text)


def _signed(value: str) -> float:
    """The number in a prosody value: "+20%" -> 20.0, "-5Hz" -> -5.0."""
    return float(re.sub(r"[^0-9+-]", "", value) or 0)


@lru_cache(maxsize=256)
def synthesize(
    voice: str,
    rate: str,
    pitch: str,
    volume: str,
    text: str,
    seconds_per_char: float,
    words: bool = False,
) -> tuple[bytes, tuple[tuple[str, int, int], ...]]:
    """MP3 bytes and (sentence, offset, duration) boundaries, or with ``words`` (word,
    offset, duration); same input, same bytes.

    A speech-like tone: a few harmonics, one envelope bump per character, a base frequency
    from a stable hash of voice+pitch (so voices sound different) and a per-character
    inflection. "+20%" rate means 20 % shorter.
    """
    pieces = split_words(text) if words else split_sentences(text)
    chars = [c for c in text if unicodedata.category(c)[0] in "LN"]
    seconds = max(0.3, seconds_per_char * len(chars)) * max(0.1, 1 - _signed(rate) / 100)
    frames = max(3, round(seconds * SAMPLE_RATE / FRAME_SAMPLES))
    n = frames * FRAME_SAMPLES - LAME_SLACK
    slot = n / len(chars)

    digest = hashlib.sha256(f"{voice}|{pitch}".encode()).digest()
    f0 = 100.0 + digest[0] % 120 + _signed(pitch)
    freq = np.full(n, f0)  # the last slot may round short: no uninitialised values
    env = np.zeros(n)
    for i, ch in enumerate(chars):
        a, b = int(i * slot), int((i + 1) * slot)
        semitones = zlib.crc32(ch.encode()) % 7 - 3  # stable (unlike hash()) inflection
        freq[a:b] = f0 * 2 ** (semitones / 12)
        voiced = max(1, int((b - a) * 0.85))  # a short gap between syllables
        env[a : a + voiced] = np.sin(np.linspace(0, np.pi, voiced)) ** 0.5
    phase = np.cumsum(2 * np.pi * freq / SAMPLE_RATE)
    wave = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4)) / 2.1
    gain = 0.3 * min(2.0, max(0.0, 1 + _signed(volume) / 100))
    pcm = np.clip(wave * env * gain * 32767, -32768, 32767).astype("<i2")

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(48)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)  # fast: the service works on its own machines, the fake on ours
    mp3 = bytes(encoder.encode(pcm.tobytes()) + encoder.flush())

    boundaries, done = [], 0
    for piece in pieces:
        count = _speakable(piece)
        start, end = (LAME_DELAY + done * slot, LAME_DELAY + (done + count) * slot)
        ticks = (round(start * TICKS / SAMPLE_RATE), round((end - start) * TICKS / SAMPLE_RATE))
        boundaries.append((piece, *ticks))
        done += count
    return mp3, tuple(boundaries)


def _text_frame(request_id: str, path: str, body: str) -> str:
    # Every header line needs a ':' because the client splits each one on it.
    return (
        f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
        f"Path:{path}\r\n\r\n{body}"
    )


def _audio_frame(request_id: str, stream_id: str, data: bytes) -> bytes:
    # The client reads the 2 length bytes as part of the first line and drops the last two
    # header bytes, so a harmless X-RequestId comes first and the header ends with \r\n.
    header = (
        f"X-RequestId:{request_id}\r\nContent-Type:audio/mpeg\r\n"
        f"X-StreamId:{stream_id}\r\nPath:audio\r\n"
    ).encode()
    return len(header).to_bytes(2, "big") + header + data


class FakeEdgeServer:
    """The read-aloud service on 127.0.0.1, served from its own loop in a daemon thread."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        failure_rate: float = 0.0,
        failure_kinds: tuple[str, ...] = ("403", "429", "drop", "no_audio", "cut"),
        seed: int = 0,
        voices: set[str] | None = None,
        seconds_per_char: float = 0.12,
        boundary_events: bool = True,
    ) -> None:
        unknown = set(failure_kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown failure kinds: {sorted(unknown)}")
        self.latency = latency
        self.failure_rate = failure_rate
        self.failure_kinds = failure_kinds
        self.voices = voices
        self.seconds_per_char = seconds_per_char
        self.boundary_events = boundary_events  # False: a service that sends no boundary events
        self.url = ""
        self.heard: list[Heard] = []
        self.attempts = 0
        self._rng = random.Random(seed)
        self._queued: deque[str] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task] = set()

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Make the next `count` requests fail with `kind`, before any random failure."""
        if kind not in KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {KINDS}")
        with self._lock:
            self._queued.extend([kind] * count)

    def _count_and_choose_failure(self) -> str | None:
        with self._lock:  # handlers and the test thread share the counter and the RNG
            self.attempts += 1
            if self._queued:
                return self._queued.popleft()
            if self.failure_rate and self._rng.random() < self.failure_rate:
                return self._rng.choice(self.failure_kinds)
            return None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeEdgeServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-edge", daemon=True
        )
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        self.url = f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=fake"
        return self

    async def _serve(self) -> int:
        app = web.Application()
        app.router.add_get("/edge/v1", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()  # listening from here on, so start() can return
        return self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        for task in list(self._tasks):  # e.g. a "timeout" request still being silent
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeEdgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request -----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            return await self._answer(request)
        finally:
            self._tasks.discard(task)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        failure = self._count_and_choose_failure()
        if failure in ("403", "429"):
            # The client corrects its clock from Date after a 403, so always send one.
            return web.Response(status=int(failure), headers={"Date": formatdate(usegmt=True)})

        ws = web.WebSocketResponse()
        await ws.prepare(request)
        ssml, rid, words = "", uuid.uuid4().hex, False
        while not ssml:  # speech.config first, then the ssml frame
            msg = await ws.receive(timeout=10)
            if msg.type != WSMsgType.TEXT:
                return ws
            head, _, body = msg.data.partition("\r\n\r\n")
            if head.endswith("Path:speech.config"):
                words = '"wordBoundaryEnabled":"true"' in body
            if head.endswith("Path:ssml"):
                ssml = body
                echoed = re.search(r"X-RequestId:(\w+)", head)  # the service echoes it
                rid = echoed.group(1) if echoed else rid
        voice_m, prosody_m = _VOICE_RE.search(ssml), _PROSODY_RE.search(ssml)
        if not voice_m or not prosody_m:
            await ws.close()
            return ws
        voice = f"{voice_m.group(1).strip()}-{voice_m.group(2).strip()}"
        pitch, rate, volume, escaped = prosody_m.groups()
        text = unescape(escaped)

        if failure == "timeout":
            with contextlib.suppress(asyncio.TimeoutError):
                await ws.receive(timeout=SILENCE_SECONDS)  # returns early if the client leaves
            return ws
        if failure == "drop":
            # No closing handshake: the TCP connection just goes away, like a reset.
            assert request.transport is not None
            request.transport.abort()
            return ws
        await asyncio.sleep(self.latency)

        await ws.send_str(_text_frame(rid, "turn.start", '{"context":{"serviceTag":"fake"}}'))
        unknown_voice = self.voices is not None and voice not in self.voices
        if failure == "no_audio" or unknown_voice or not _speakable(text):
            # What the service does for a voice it does not know: an empty turn.
            await ws.send_str(_text_frame(rid, "turn.end", "{}"))
            await ws.close()
            return ws

        stream_id = uuid.uuid4().hex.upper()
        body = json.dumps({"context": {"serviceTag": "fake"}, "audio": {"streamId": stream_id}})
        await ws.send_str(_text_frame(rid, "response", body))
        # on a thread: the service works on many requests at once, and a long one must not
        # hold up the others' answers
        mp3, boundaries = await asyncio.get_running_loop().run_in_executor(
            None, synthesize, voice, rate, pitch, volume, text, self.seconds_per_char, words
        )
        kind = "WordBoundary" if words else "SentenceBoundary"
        for piece, offset, duration in boundaries if self.boundary_events else ():
            # The client unescapes Text, so it travels XML-escaped like the SSML did.
            said = {"Text": escape(piece), "Length": len(piece), "BoundaryType": kind}
            data = {"Offset": offset, "Duration": duration, "text": said}
            meta = {"Metadata": [{"Type": kind, "Data": data}]}
            await ws.send_str(_text_frame(rid, "audio.metadata", json.dumps(meta)))

        size = max(144, min(CHUNK_MAX, len(mp3) // 4 // 144 * 144))  # at least 4 chunks
        chunks = [mp3[i : i + size] for i in range(0, len(mp3), size)]
        if failure == "cut":
            chunks = chunks[: len(chunks) // 2]
        for chunk in chunks:
            await ws.send_bytes(_audio_frame(rid, stream_id, chunk))
        if failure != "cut":
            # Record before turn.end: the client returns as soon as it sees it.
            with self._lock:
                self.heard.append(Heard(voice, rate, pitch, volume, text))
            await ws.send_str(_text_frame(rid, "turn.end", "{}"))
        await ws.close()
        return ws
