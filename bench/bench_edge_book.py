"""A whole book through the online engine: requests, wall time and peak memory.

Starts the tests' fake edge service in a process of its own (answering after --latency
seconds), then runs `audiobook build BOOK --engine edge` in another, with an empty cache,
and prints the requests the service answered, wall seconds, wall/audio and the build's
peak memory.

    uv run python bench/bench_edge_book.py [--book tests/data/阿Q正传.epub] [--latency 0.3]
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
server = FakeEdgeServer(latency=float(sys.argv[1])).start()
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
    args = parser.parse_args()
    service = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(args.latency)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = service.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as work:
        env = {
            **os.environ,
            "AUDIOBOOK_EDGE_URL": url,
            "AUDIOBOOK_CACHE": str(Path(work) / "cache"),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        command = [sys.executable, "-m", "audiobook", "build", str(args.book)]
        command += ["--engine", "edge", "-j", str(args.jobs), "-o", str(Path(work) / "out")]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode:
            sys.exit(f"build failed: {result.stderr.strip()[-500:]}")
        audio = sum(_length(p) for p in (Path(work) / "out").glob("*/*.mp3"))
    service.stdin.write("\n")
    service.stdin.flush()
    requests, characters = service.stdout.readline().split()
    service.wait()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{args.book.name}: {requests} requests ({characters} characters), latency "
        f"{args.latency * 1000:.0f} ms, {args.jobs} in flight"
    )
    print(f"wall {wall:.1f} s for {audio / 60:.1f} min of audio (wall/audio {wall / audio:.3f})")
    print(f"peak memory of the build: {peak_mb:.0f} MB")


def _length(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length


if __name__ == "__main__":
    main()
