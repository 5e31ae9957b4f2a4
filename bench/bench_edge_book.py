"""A whole book through the online engine: requests, wall time and peak memory.

Starts the tests' fake edge service in a process of its own (answering after --latency
seconds), then runs `audiobook build BOOK --engine edge` in another, with an empty cache,
and prints the requests the service answered, wall seconds, wall/audio and the peak
memory of the build's main process (read from /proc while it runs) and of any process it
ran (the text stage runs in one of its own). With --synthetic N the book is a generated
novel of N characters (chapters of 3,000 with dialogue), and --seconds-per-char makes the
service's audio short, so that memory follows the lines of the book, not its seconds.

    uv run python bench/bench_edge_book.py [--book tests/data/阿Q正传.epub] [--latency 0.3]
    uv run python bench/bench_edge_book.py --synthetic 3000000 --latency 0 --seconds-per-char 0.003
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVE = """
import sys
from tests.fake_edge import FakeEdgeServer
server = FakeEdgeServer(latency=float(sys.argv[1]), seconds_per_char=float(sys.argv[2])).start()
print(server.url, flush=True)
sys.stdin.readline()  # until the bench is done
print(len(server.heard), sum(len(h.text) for h in server.heard), flush=True)
server.stop()
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--book", type=Path, default=ROOT / "tests" / "data" / "阿Q正传.epub")
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--synthetic", type=int, metavar="CHARACTERS")
    parser.add_argument("--seconds-per-char", type=float, default=0.12)
    args = parser.parse_args()
    service = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(args.latency), str(args.seconds_per_char)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = service.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as work:
        if args.synthetic:
            args.book = Path(work) / "synthetic.txt"
            args.book.write_text(synthetic_novel(args.synthetic), "utf-8")
        # as installed: Python caches compiled modules (jieba's tables take 1.4 s to compile)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env = {
            **env,
            "AUDIOBOOK_EDGE_URL": url,
            "AUDIOBOOK_CACHE": str(Path(work) / "cache"),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        command = [sys.executable, "-m", "audiobook", "build", str(args.book)]
        command += ["--engine", "edge", "-j", str(args.jobs), "-o", str(Path(work) / "out")]
        started = time.perf_counter()
        build = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        main_peak_mb = 0.0
        while build.poll() is None:  # the peak so far (VmHWM) of the build's own process
            main_peak_mb = max(main_peak_mb, _peak_mb(build.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - started
        # of every process the build ran (the text stage's, the offline workers): the
        # service, also a child, is waited for only later
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if build.returncode:
            sys.exit(f"build failed: {build.stderr.read().strip()[-500:]}")
        audio = sum(_length(p) for p in (Path(work) / "out").glob("*/*.mp3"))
    service.stdin.write("\n")
    service.stdin.flush()
    requests, characters = service.stdout.readline().split()
    service.wait()
    print(
        f"{args.book.name}: {requests} requests ({characters} characters), latency "
        f"{args.latency * 1000:.0f} ms, {args.jobs} in flight"
    )
    print(f"wall {wall:.1f} s for {audio / 60:.1f} min of audio (wall/audio {wall / audio:.3f})")
    print(f"peak memory of the build's main process: {main_peak_mb:.0f} MB")
    print(f"peak memory of any of its processes: {peak_mb:.0f} MB")


def _peak_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone, or not Linux
        return 0.0
    found = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(found[0]) / 1024 if found else 0.0


def synthetic_novel(characters: int) -> str:
    """A novel of about ``characters`` characters: chapters of 3,000 with narration and a
    dialogue between two people, no two sentences alike (as in a real book)."""
    chapters, size, n = ["《合成》\n作者：某人\n"], 0, 0
    while size < characters:
        n += 1
        paragraphs = [f"第{n}章 第{n}天"]
        for k in range(30):
            paragraphs.append(
                f"　　第{n}天的第{k}个时辰，林晚走进了第{k}号房间，窗外下着第{n}场雨。"
                f"她看了看桌上的{k}本书，又看了看墙上的{n}幅画。"
            )
            paragraphs.append(f"　　陈默抬起头说：“今天是第{n}天，我们还有{k}件事要做。”")
            paragraphs.append(f"　　“我知道了，第{k}件事先做。”林晚点了点头。")
        text = "\n".join(paragraphs) + "\n"
        chapters.append(text)
        size += len(text)
    return "".join(chapters)


def _length(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length


if __name__ == "__main__":
    main()
