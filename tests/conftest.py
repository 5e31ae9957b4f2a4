from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def engine():
    """The real offline voice, loaded once for the whole run."""
    from audiobook.engines.offline import OfflineEngine

    voice = OfflineEngine(threads=2)
    voice.load()
    return voice


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300):
    """`audiobook ARGS` in a fresh process, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "audiobook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )
