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
    def chapter_started(self, chapter) -> None: ...
    def segment_done(self) -> None: ...
    def chapter_done(self, result) -> None: ...


def measure(text_path: Path, workers: int | None) -> dict:
    from audiobook.build import BuildPlan, build
    from audiobook.reading import load
    from audiobook.script import make_script
    from audiobook.synthesis import Synthesizer

    started = time.perf_counter()
    book = make_script(load(text_path), fallback_title=text_path.stem).book
    with tempfile.TemporaryDirectory() as out, Synthesizer("local", workers) as synth:
        plan = BuildPlan(book=book, out_dir=Path(out), chapters=book.chapters, refresh=True)
        results = build(plan, synth, Silent())
        wall = time.perf_counter() - started
        # synthesis alone: the same sentences again, with nothing done to the audio
        texts = [c.heading for c in book.chapters] + [
            s.text for c in book.chapters for s in c.segments
        ]
        started = time.perf_counter()
        speech = sum(len(samples) for samples in synth.run(texts)) / synth.engine.sample_rate
        synthesis = time.perf_counter() - started
    audio = sum(r.duration_ms for r in results) / 1000
    characters = sum(c.characters for c in book.chapters)
    return {
        "chapters": len(results),
        "characters": characters,
        "audio_s": round(audio, 1),
        "wall_s": round(wall, 1),
        "wall_per_audio": round(wall / audio, 4),
        "synthesis_per_speech": round(synthesis / speech, 4),
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
