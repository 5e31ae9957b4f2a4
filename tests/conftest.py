from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session", autouse=True)
def offline_world(tmp_path_factory):
    """No test reaches the real edge service (auto falls back at once: nothing listens on
    port 9) and no test touches the user's cache; commands run by tests inherit this."""
    saved = {k: os.environ.get(k) for k in ("AUDIOBOOK_EDGE_URL", "AUDIOBOOK_CACHE", "NO_PROXY")}
    os.environ["AUDIOBOOK_EDGE_URL"] = "ws://127.0.0.1:9/edge/v1?TrustedClientToken=x"
    os.environ["AUDIOBOOK_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def engine():
    """The real offline voice, loaded once for the whole run."""
    from audiobook.speech.engines.offline import OfflineEngine

    voice = OfflineEngine(threads=2)
    voice.load()
    return voice


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300, env: dict[str, str] | None = None
):
    """`audiobook ARGS` in a fresh process, as a user would run it; ``env`` adds to ours."""
    return subprocess.run(
        [sys.executable, "-m", "audiobook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
