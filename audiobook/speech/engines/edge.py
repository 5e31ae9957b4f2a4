"""The online neural voices of Edge's read-aloud service, through the edge-tts library.

We send a run of sentences in one voice per request (audio/runs.py), at most 3000 bytes:
the library would cut longer text at 4096 bytes wherever that falls, mid-sentence in
Chinese. The service says where each word is heard, so each sentence can be cut out.
Every failure the service is known for (handshake 403/429, dropped or cut-off answers,
no audio, time-outs) is raised as ``TransientError`` for the runner to retry; an unknown
voice is refused before any request, because the service answers it with silence that
looks like a hiccup.
"""

from __future__ import annotations

import asyncio
import os
import re

import aiohttp
import edge_tts
import edge_tts.communicate
from edge_tts.constants import TRUSTED_CLIENT_TOKEN
from edge_tts.exceptions import EdgeTTSException

from audiobook.cast.voices import Voice, casting_preset, catalogue
from audiobook.errors import AudiobookError
from audiobook.speech.engines import Boundary, Speech, TransientError

URL_VARIABLE = "AUDIOBOOK_EDGE_URL"  # a relay, a proxy or a test server instead of Microsoft's
REQUEST_BYTES = 3000  # under the service's 4096, leaving room for XML escapes
TICKS_PER_MS = 10_000  # boundary offsets come in 100 ns ticks
MP3_BYTES_PER_MS = 6  # the service's MP3 is CBR 48 kbit/s
_CUTS = ("。！？!?；;…", "，,、：:—", "")  # where a too-long sentence may be split, best first


def use_endpoint_from_environment() -> None:
    """Point the library at ``$AUDIOBOOK_EDGE_URL``. The library copies its URL constant at
    import, so the copy in ``edge_tts.communicate`` is the one to replace; the client adds
    ``&ConnectionId=...``, so the URL must carry a query."""
    url = os.environ.get(URL_VARIABLE)
    if not url:
        return
    if "?" not in url:
        url += f"?TrustedClientToken={TRUSTED_CLIENT_TOKEN}"
    edge_tts.communicate.WSS_URL = url


def request_texts(text: str, limit: int = REQUEST_BYTES) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes, cut after sentence ends if
    possible, then after commas, and only then anywhere."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    for marks in _CUTS:
        cut = _last_cut(text, limit, marks)
        if cut:
            return [text[:cut], *request_texts(text[cut:], limit)]
    raise AssertionError("unreachable: the empty mark set cuts anywhere")


def _last_cut(text: str, limit: int, marks: str) -> int:
    size, best = 0, 0
    for i, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > limit:
            break
        if not marks or char in marks:
            best = i + 1
    return best


class EdgeEngine:
    name = "edge"
    version = f"edge-tts/{edge_tts.__version__.split('.')[0]}"
    default_concurrency = 3  # more parallel connections get an IP blocked for minutes
    # consecutive sentences in one voice go as one request of up to this many bytes:
    # a few requests instead of one per sentence (audio/runs.py)
    run_bytes = 3000

    def __init__(self, connect_timeout: int = 10, receive_timeout: int = 30) -> None:
        self.connect_timeout = connect_timeout
        self.receive_timeout = receive_timeout

    async def start(self) -> None:
        use_endpoint_from_environment()

    async def close(self) -> None:
        pass

    async def available(self, timeout: float = 4.0) -> bool:
        """Whether the service answers a short request within ``timeout`` seconds."""
        voice = catalogue("edge")[casting_preset("edge")["narrator"]]
        try:
            await asyncio.wait_for(self.synthesize("你好。", voice), timeout)
        except (TransientError, asyncio.TimeoutError):
            return False
        return True

    async def synthesize(self, text: str, voice: Voice) -> Speech:
        if voice.id not in catalogue("edge"):
            raise AudiobookError(
                f"unknown edge voice {voice.id!r} (see: audiobook voices --engine edge)"
            )
        audio = bytearray()
        boundaries: list[Boundary] = []
        for piece in request_texts(text):
            start_ms = len(audio) // MP3_BYTES_PER_MS
            data, marks = await self._request(piece, voice)
            audio += data
            boundaries += [Boundary(start_ms + b.offset_ms, b.duration_ms, b.text) for b in marks]
        return Speech(bytes(audio), "mp3", tuple(boundaries))

    async def _request(self, text: str, voice: Voice) -> tuple[bytes, list[Boundary]]:
        communicate = edge_tts.Communicate(
            text,
            voice.id,
            rate=voice.rate_text,
            pitch=voice.pitch_text,
            volume=voice.volume_text,
            # where each word is heard, the events the Edge browser itself asks for: a run
            # is cut between any two of its lines, however the service reads its sentences
            boundary="WordBoundary",
            connect_timeout=self.connect_timeout,
            receive_timeout=self.receive_timeout,
        )
        audio = bytearray()
        boundaries = []

        async def receive() -> None:
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    audio.extend(chunk["data"])
                elif chunk["type"] in ("WordBoundary", "SentenceBoundary"):
                    boundaries.append(
                        Boundary(
                            chunk["offset"] // TICKS_PER_MS,
                            chunk["duration"] // TICKS_PER_MS,
                            chunk["text"],
                        )
                    )

        try:
            # The library's receive_timeout stops applying once the websocket is open, so
            # a stalled answer would hang forever: the whole request has its own limit.
            await asyncio.wait_for(receive(), self.receive_timeout)
        except aiohttp.WSServerHandshakeError as exc:
            raise TransientError(
                f"the service refused the connection ({exc.status})",
                rate_limited=exc.status == 429,
            ) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, EdgeTTSException, OSError) as exc:
            raise TransientError(_describe(exc)) from exc
        # The library stops quietly when the connection closes before "turn.end", leaving
        # a truncated answer; it resets this counter only when "turn.end" arrives.
        if communicate.state["chunk_audio_bytes"]:
            raise TransientError("the answer was cut off before its end")
        return bytes(audio), boundaries


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port}"
    text = re.sub(r"\s+", " ", str(exc)).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
