"""Speed of the text stage (`audiobook script`) on a normal novel and on the same text with
every line break removed: one giant paragraph must not be much slower per character. Then a
1.4 MB site download made from two novels (GB18030, CRLF, NUL padding, 序幕 and 100
bare-number chapters, domains glued inside paragraphs) through the real command.

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
    from audiobook.text.script import make_script
    from audiobook.text.source import Document, Source

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


def download(folder: Path) -> tuple[Path, list[str]]:
    """The site download and its story lines."""
    import re

    pool = []
    for name in ("鲁迅小说集.txt", "骆驼祥子.txt"):
        for line in (ROOT / "tests" / "data" / name).read_text("utf-8-sig").splitlines():
            line = line.strip()
            if len(line) > 20 and not re.search(r"[a-zA-Zａ-ｚＡ-Ｚ]{3}|4020|第\d+章", line):
                pool.append(line)
    pool = pool * 2
    size = len(pool) // 101
    chapters = [pool[k * size : (k + 1) * size] for k in range(101)]
    for k, glue in ((5, "www.xiaoshuotxt.net"), (40, "4020.cn"), (77, "wＷw．xsＴxt．ｃom")):
        chapters[k][3] = chapters[k][3][:10] + glue + chapters[k][3][10:]
    heads = ["序幕", *[f"{n:02d}" for n in range(1, 101)]]
    text = "".join(
        h + "\r\n" + "".join(f"　　{p}\r\n" for p in c)
        for h, c in zip(heads, chapters, strict=True)
    )
    path = folder / "site-download.txt"
    path.write_bytes(text.encode("gb18030") + b"\x00" * 4)
    return path, [p for c in chapters for p in c]


def check_download() -> None:
    import json
    import re
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path, story = download(Path(folder))
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "audiobook", "script", str(path), "--format", "json"],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    if result.returncode:
        print(f"site download: failed: {result.stderr.strip()}")
        return
    book = json.loads(result.stdout)
    hanzi = re.compile(r"[\u4e00-\u9fff]")
    heard = "".join(
        hanzi.findall("".join(s["text"] for c in book["chapters"] for s in c["segments"]))
    )
    lost = [p for p in story if "".join(hanzi.findall(p)) not in heard]
    print(
        f"site download: {size / 1e6:.1f} MB, {len(book['chapters'])} chapters "
        f"(101 expected), {len(lost)} of {len(story)} story lines lost, {seconds:.1f} s "
        f"for the whole command; notes: {result.stderr.strip() or 'none'}"
    )


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
    check_download()


if __name__ == "__main__":
    main()
