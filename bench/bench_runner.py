"""Throughput of the synthesis runner against the fake edge service, and its own overhead.

For concurrency 1, 2, 4 and 8, synthesizes the same segments (fresh cache each time)
through the real edge-tts client against tests/fake_edge.py answering after a fixed
latency, and prints segments per second and the speed-up over concurrency 1 (ideal: equal
to the concurrency). Then prints the runner's own cost per segment (scheduling, retries
bookkeeping, cache write) with an engine that answers instantly.

    uv run python bench/bench_runner.py [--latency 0.3] [--segments 48]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audiobook.cast.voices import catalogue  # noqa: E402
from audiobook.speech.cache import SegmentCache, segment_key  # noqa: E402
from audiobook.speech.engines import Speech  # noqa: E402
from audiobook.speech.engines.edge import EdgeEngine  # noqa: E402
from audiobook.speech.runner import Job, Runner  # noqa: E402
from tests.fake_edge import FakeEdgeServer  # noqa: E402

VOICE = catalogue("edge")["zh-CN-XiaoxiaoNeural"]


def jobs(count: int, version: str) -> list[Job]:
    texts = [f"这是用来测量的第{i}句话，长度和小说里的句子差不多。" for i in range(count)]
    return [Job(segment_key("edge", version, VOICE, t), t, VOICE) for t in texts]


async def run(engine, work: list[Job], concurrency: int, cache_dir: Path) -> float:
    await engine.start()
    started = time.perf_counter()
    async with Runner(engine, SegmentCache(cache_dir), concurrency=concurrency) as runner:
        runner.schedule(work)
        await runner.wait(j.key for j in work)
    return time.perf_counter() - started


class InstantEngine:
    """Answers at once with a fixed small MP3: what is left is the runner's own cost."""

    name, version, default_concurrency = "instant", "1", 8

    def __init__(self, audio: bytes) -> None:
        self.audio = audio

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def synthesize(self, text, voice) -> Speech:
        return Speech(self.audio, "mp3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--segments", type=int, default=48)
    args = parser.parse_args()
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    work = jobs(args.segments, EdgeEngine.version)
    print(f"{args.segments} segments, fake service latency {args.latency * 1000:.0f} ms")
    print(f"  {'concurrency':>11}  {'segments/s':>10}  {'speed-up':>8}  {'ideal':>5}")
    with FakeEdgeServer(latency=args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ["AUDIOBOOK_EDGE_URL"] = server.url
        base = None
        for concurrency in (1, 2, 4, 8):
            wall = asyncio.run(run(EdgeEngine(), work, concurrency, Path(tmp) / str(concurrency)))
            rate = args.segments / wall
            base = base or rate
            print(f"  {concurrency:>11}  {rate:>10.2f}  {rate / base:>8.2f}  {concurrency:>5}")
        audio = next(Path(tmp, "1").glob("segments/*/*.mp3")).read_bytes()
        many = jobs(2000, "instant")
        wall = asyncio.run(run(InstantEngine(audio), many, 8, Path(tmp) / "instant"))
        print(f"runner overhead per segment (incl. cache write): {wall / len(many) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
