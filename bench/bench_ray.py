"""Throughput of `audiobook build` with and without Ray, with the offline voice.

One book of 8 chapters (about 1,500 characters each, cut from 骆驼祥子) is built three
times, each in a fresh process with an empty cache: without Ray (the usual process pool,
one worker per CPU), then as Ray tasks on a local Ray with 1 and with 2 CPUs. Prints wall
time (Ray's start included), wall/audio, the speed-up of 2 CPUs over 1, the overhead of
Ray at 2 CPUs over the plain build, and whether all three made the same files.

    uv run python bench/bench_ray.py [--chapters 8] [--size 1500]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mutagen.mp3 import MP3

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "骆驼祥子.txt"


def make_book(folder: Path, chapters: int, size: int) -> Path:
    """``chapters`` chapters of about ``size`` characters of story each, whole paragraphs."""
    lines = SOURCE.read_text("utf-8").splitlines()
    paragraphs = [p.strip() for p in lines if len(p.strip()) > 40 and not re.search(r"\d", p)]
    text, taken = "《骆驼祥子》\n作者：老舍\n", iter(paragraphs)
    for number in range(1, chapters + 1):
        body, length = [], 0
        while length < size:
            body.append(next(taken))
            length += len(body[-1])
        text += f"第{number}章 第{number}段\n" + "".join(f"　　{p}\n" for p in body)
    path = folder / "骆驼祥子.txt"
    path.write_text(text, "utf-8")
    return path


def build(book: Path, out: Path, *extra: str) -> float:
    env = {**os.environ, "AUDIOBOOK_CACHE": str(out.with_name(out.name + "-cache"))}
    args = [sys.executable, "-m", "audiobook", "build", str(book), "-o", str(out)]
    started = time.perf_counter()
    done = subprocess.run(
        [*args, "--engine", "local", *extra], env=env, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"build failed: {done.stderr.strip()}")
    return took


def files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.suffix in {".mp3", ".lrc", ".srt"}
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chapters", type=int, default=8)
    parser.add_argument("--size", type=int, default=1500)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        book = make_book(folder, options.chapters, options.size)
        characters = len(book.read_text("utf-8"))
        runs = {
            "plain (2 workers)": ("plain", ()),
            "ray, 1 CPU": ("ray1", ("--ray", "--jobs", "1")),
            "ray, 2 CPUs": ("ray2", ("--ray", "--jobs", "2")),
        }
        walls, outputs = {}, {}
        for label, (name, extra) in runs.items():
            walls[label] = build(book, folder / name, *extra)
            outputs[label] = files(folder / name)
        audio = sum(MP3(folder / "plain" / n).info.length for n in outputs[label] if ".mp3" in n)
        print(f"{options.chapters} chapters, {characters:,} characters, audio {audio:.0f} s")
        for label, wall in walls.items():
            print(f"  {label:<18} wall {wall:6.1f} s   wall/audio {wall / audio:.4f}")
        one, two, plain = walls["ray, 1 CPU"], walls["ray, 2 CPUs"], walls["plain (2 workers)"]
        print(f"  speed-up of 2 CPUs over 1: {one / two:.2f}x")
        print(f"  Ray at 2 CPUs against the plain build: {two / plain - 1:+.1%}")
        same = all(o == outputs["plain (2 workers)"] for o in outputs.values())
        print(f"  the three builds made the same files: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
