"""Speed of the text stage (`audiobook script`) on a normal novel and on the same text with
every line break removed: one giant paragraph must not be much slower per character.

    uv run python bench/bench_script.py [--chars N] [--limit SECONDS]

Prints characters, seconds and characters per second for each shape, and their ratio. Each
run is a fresh process with a time limit, so a run that would never finish is reported.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOVEL = ROOT / "tests" / "data" / "鲁迅小说集.txt"


def _run(text: str, queue) -> None:
    from audiobook.text.source import Document, Source
    from audiobook.text.script import make_script

    start = time.perf_counter()
    script = make_script(Source(documents=[Document(text)]), "bench")
    seconds = time.perf_counter() - start
    queue.put((seconds, len(script.book.chapters)))


def timed(text: str, limit: float) -> tuple[float, int] | None:
    queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(target=_run, args=(text, queue))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return queue.get() if not queue.empty() else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=0, help="only the first N characters")
    parser.add_argument("--limit", type=float, default=600, help="seconds allowed per run")
    args = parser.parse_args()
    text = NOVEL.read_text("utf-8-sig")
    if args.chars:
        text = text[: args.chars]
    shapes = {"normal": text, "no line breaks": text.replace("\r", "").replace("\n", "")}
    rates = {}
    print(f"{'shape':16} {'chars':>9} {'seconds':>8} {'chars/s':>9} chapters")
    for name, sample in shapes.items():
        result = timed(sample, args.limit)
        if result is None:
            print(f"{name:16} {len(sample):9d} {'> ' + str(int(args.limit)):>8} {'-':>9}")
            continue
        seconds, chapters = result
        rates[name] = len(sample) / seconds
        print(f"{name:16} {len(sample):9d} {seconds:8.2f} {rates[name]:9.0f} {chapters}")
    if len(rates) == 2:
        print(f"normal / no line breaks: {rates['normal'] / rates['no line breaks']:.2f}x")


if __name__ == "__main__":
    main()
