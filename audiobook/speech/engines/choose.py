"""Which engine speaks: the one asked for, or for ``auto`` the online one when it answers."""

from __future__ import annotations

from audiobook.errors import AudiobookError
from audiobook.speech.engines import ENGINES, Engine


def get_engine(name: str, workers: int | None = None, threads: int | None = None) -> Engine:
    """The engine called ``name``; ``workers`` sizes the offline engine's process pool, and
    ``threads`` its model's threads when it has one worker (in this process)."""
    if name == "local":
        from audiobook.speech.engines.local import LocalEngine

        return LocalEngine(workers=workers, threads=threads)
    if name == "edge":
        from audiobook.speech.engines.edge import EdgeEngine

        return EdgeEngine()
    raise AudiobookError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")


async def choose_engine(requested: str, check: bool = True) -> tuple[str, str]:
    """The engine to use and why: ``auto`` is edge when the service answers within a few
    seconds, else the offline voice. An explicit ``edge`` is checked too (unless ``check``
    is false), so that an unreachable service is one clear error, not a minute of retries.
    """
    if requested == "local" or (requested == "edge" and not check):
        return requested, f"the {requested} engine"
    from audiobook.speech.engines.edge import EdgeEngine

    edge = EdgeEngine()
    await edge.start()
    if await edge.available():
        return "edge", "the edge engine" + (
            " (the online service answers)" if requested == "auto" else ""
        )
    if requested == "edge":
        raise AudiobookError(
            "the edge service does not answer: check the network (or $AUDIOBOOK_EDGE_URL), "
            "or use --engine local"
        )
    return "local", "the offline voice (the edge service does not answer)"
