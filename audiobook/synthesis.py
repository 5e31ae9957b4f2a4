"""Running an engine over many texts: in worker processes, results in order.

The offline voice is CPU-bound and only partly parallel inside one interpreter; one
single-threaded interpreter per core gives about 1.5x the throughput of one interpreter
with a thread per core. Workers load the models once and are fed a bounded number of
texts ahead, so memory does not grow with the chapter.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import numpy as np

from audiobook.engines import Engine, get_engine

_worker_engine: Engine | None = None


def _start_worker(engine_name: str) -> None:
    # Ctrl-C is the parent's to handle: workers just stop when the pool shuts down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker_engine
    _worker_engine = get_engine(engine_name, threads=1)
    _worker_engine.load()


def _synthesize_in_worker(text: str, voice: Any) -> np.ndarray:
    assert _worker_engine is not None
    return _worker_engine.synthesize(text, voice)


class Synthesizer:
    """``with Synthesizer("local") as synth: for samples in synth.run(texts): ...``"""

    def __init__(self, engine_name: str, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.engine = get_engine(engine_name, threads=None if self.workers == 1 else 1)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Synthesizer:
        if self.workers == 1:
            self.engine.load()
        else:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.engine.name,),
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc_info[0] is None, cancel_futures=True)
            self._pool = None

    def run(self, texts: list[str], voice: Any = None) -> Iterator[np.ndarray]:
        """Samples for each text, in order."""
        if self._pool is None:
            for text in texts:
                yield self.engine.synthesize(text, voice)
            return
        ahead = 2 * self.workers
        pending: deque[Future[np.ndarray]] = deque()
        try:
            for text in texts:
                pending.append(self._pool.submit(_synthesize_in_worker, text, voice))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
