"""Speed and memory of `audiobook build` on the seed chapter, with the offline voice.

Prints characters, audio seconds, wall seconds, wall/audio for the whole pipeline and for
synthesis alone, and peak memory. With --growth N, also builds books of 1..N copies of
the chapter in fresh processes and prints each one's peak memory, to show it stays flat.

    uv run python bench/bench_build.py [--growth 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seeds" / "000_041c593aa96c4732.txt"


class Silent:
    def segments_planned(self, count) -> None: ...
    def segment_finished(self, how) -> None: ...
    def chapter_done(self, result) -> None: ...


def measure(text_path: Path, workers: int | None) -> dict:
    import asyncio

    from audiobook.audio.build import BuildPlan, build_book, chapter_lines
    from audiobook.audio.clips import decode
    from audiobook.cast.casting import draw_cast
    from audiobook.speech.cache import SegmentCache
    from audiobook.speech.engines.choose import get_engine
    from audiobook.speech.runner import Runner
    from audiobook.text.reading import load
    from audiobook.text.script import make_script

    started = time.perf_counter()
    book = make_script(load(text_path), fallback_title=text_path.stem).book
    voices = draw_cast(book, "local").voices()
    with tempfile.TemporaryDirectory() as out:
        plan = BuildPlan(book=book, out_dir=Path(out), chapters=book.chapters)
        engine = get_engine("local", workers)
        build = build_book(plan, engine, voices, Silent(), SegmentCache(Path(out) / "c1"))
        results = asyncio.run(build)
        wall = time.perf_counter() - started

        # synthesis alone: the same segments again into an empty cache, nothing stitched
        async def synthesize_only() -> float:
            engine = get_engine("local", workers)
            await engine.start()
            cache = SegmentCache(Path(out) / "c2")
            jobs = [
                line.job
                for c in book.chapters
                for line in chapter_lines(c, voices, engine)
                if line.job
            ]
            began = time.perf_counter()
            async with Runner(engine, cache) as runner:
                runner.schedule(jobs)
                await runner.wait(j.key for j in jobs)
            took = time.perf_counter() - began
            await engine.close()
            speech = sum(len(decode(cache.get(j.key))) for j in {j.key: j for j in jobs}.values())
            return took / (speech / 24000)

        synthesis_per_speech = asyncio.run(synthesize_only())
    audio = sum(r.duration_ms for r in results) / 1000
    characters = sum(c.characters for c in book.chapters)
    return {
        "chapters": len(results),
        "characters": characters,
        "audio_s": round(audio, 1),
        "wall_s": round(wall, 1),
        "wall_per_audio": round(wall / audio, 4),
        "synthesis_per_speech": round(synthesis_per_speech, 4),
        "chars_per_audio_s": round(characters / audio, 2),
        "peak_rss_mb_main": _peak_mb(resource.RUSAGE_SELF),
        "peak_rss_mb_worker": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def _peak_mb(who: int) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--growth", type=int, default=0, help="also books of 1..N chapters")
    parser.add_argument("--workers", type=int, help="synthesis processes (default: CPUs)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.workers)))
        return

    result = measure(SEED, args.workers)
    print(f"seed chapter {SEED.name}")
    for key, value in result.items():
        print(f"  {key:22} {value}")

    if args.growth:
        chapter = SEED.read_text("utf-8").split("\n", 2)[2]  # without breadcrumb/heading
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(1, args.growth + 1):
                book = Path(tmp) / f"book{n}.txt"
                book.write_text(
                    "".join(f"第{i}章 第{i}次\n{chapter}\n" for i in range(1, n + 1)), "utf-8"
                )
                child = subprocess.run(
                    [sys.executable, __file__, "--one", str(book)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                row = json.loads(child.stdout.strip().splitlines()[-1])
                print(
                    f"  book of {n} chapter(s): audio {row['audio_s']} s, "
                    f"peak memory {row['peak_rss_mb_main']} MB main, "
                    f"{row['peak_rss_mb_worker']} MB worker, wall/audio {row['wall_per_audio']}"
                )


if __name__ == "__main__":
    main()
