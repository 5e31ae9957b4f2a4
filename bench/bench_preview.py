"""How long `audiobook preview` takes on seed 000's chapter (its first 60 s, offline voice),
from a cold cache and again from a warm one, as a user runs it.

    uv run python bench/bench_preview.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seeds" / "000_041c593aa96c4732.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUDIOBOOK_CACHE": str(Path(tmp) / "cache")}
        command = [sys.executable, "-m", "audiobook", "preview", str(SEED), "--html"]
        command += ["--seconds", str(args.seconds), "--engine", "local", "-o", tmp]
        for state in ("cold cache", "warm cache"):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - started
            if done.returncode:
                sys.exit(done.stderr)
            print(f"preview of the first {args.seconds} s, {state}: {wall:.1f} s")


if __name__ == "__main__":
    main()
