"""Peak memory and speed of building a whole book: 鲁迅小说集, 47 chapters, about 12 hours.

    uv run python bench/bench_book.py                 # the fake edge service: minutes
    uv run python bench/bench_book.py --engine local  # the offline voice: about an hour

Prints, as chapters finish, the main process's peak memory (and the offline workers'),
so that a flat line shows memory does not grow with the book; then totals.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BOOK = ROOT / "tests" / "data" / "鲁迅小说集.txt"


def peak_mb(who: int) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


def workers_peak_mb() -> int:
    """The largest peak memory of the live worker processes (Linux /proc), else of the
    finished ones (getrusage counts a child only once it has been waited for)."""
    peaks = [peak_mb(resource.RUSAGE_CHILDREN)]
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(round(int(line.split()[1]) / 1024))
    return max(peaks)


class Report:
    def __init__(self, started: float) -> None:
        self.started = started
        self.done = 0
        self.audio_ms = 0

    def segments_planned(self, count: int) -> None:
        print(f"{count} sentences to synthesize", flush=True)

    def segment_finished(self, how: str) -> None: ...

    def chapter_done(self, result) -> None:
        self.done += 1
        self.audio_ms += result.duration_ms
        print(
            f"  chapter {result.chapter.order:2d}  audio {self.audio_ms / 3_600_000:5.2f} h  "
            f"wall {time.perf_counter() - self.started:7.1f} s  "
            f"peak main {peak_mb(resource.RUSAGE_SELF)} MB  "
            f"workers {workers_peak_mb()} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("fake", "local"), default="fake")
    parser.add_argument("--chapters", type=int, help="only the first N chapters")
    args = parser.parse_args()

    from audiobook.audio.build import BuildPlan, build_book
    from audiobook.cast.casting import draw_cast
    from audiobook.speech.cache import SegmentCache
    from audiobook.speech.engines.choose import get_engine
    from audiobook.text.reading import load
    from audiobook.text.script import make_script

    started = time.perf_counter()
    book = make_script(load(BOOK), BOOK.stem).book
    chapters = book.chapters[: args.chapters] if args.chapters else book.chapters
    print(f"{BOOK.name}: {len(chapters)} chapters, {sum(c.characters for c in chapters)} chars")
    print(f"analysis {time.perf_counter() - started:.1f} s, peak {peak_mb(0)} MB")
    with tempfile.TemporaryDirectory() as tmp:
        plan = BuildPlan(book=book, out_dir=Path(tmp), chapters=chapters)
        cache = SegmentCache(Path(tmp) / "cache")
        report = Report(time.perf_counter())
        if args.engine == "fake":
            from tests.fake_edge import FakeEdgeServer

            os.environ["NO_PROXY"] = "127.0.0.1,localhost"
            with FakeEdgeServer(seconds_per_char=0.23) as server:
                os.environ["AUDIOBOOK_EDGE_URL"] = server.url
                voices = draw_cast(book, "edge").voices()
                asyncio.run(build_book(plan, get_engine("edge"), voices, report, cache, 4))
        else:
            voices = draw_cast(book, "local").voices()
            asyncio.run(build_book(plan, get_engine("local"), voices, report, cache))
        wall = time.perf_counter() - report.started
    audio = report.audio_ms / 1000
    print(f"audio {audio / 3600:.2f} h in {wall:.0f} s: wall/audio {wall / audio:.4f}")
    print(f"peak memory: main {peak_mb(resource.RUSAGE_SELF)} MB, ", end="")
    print(f"largest worker {workers_peak_mb()} MB")


if __name__ == "__main__":
    main()
