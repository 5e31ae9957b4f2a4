"""The synthesis runner: segments through an engine, a few at a time, into the cache.

Jobs are taken in book order by a fixed number of workers (the concurrency), so the
first chapter is ready first while later ones are already under way. A transient
failure is retried with exponential backoff and jitter; a permanent one (an unknown
voice, a broken engine) stops the whole run at once, as does a service that keeps
failing segment after segment. Finished segments are in the cache whatever happens.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from audiobook.cast.voices import Voice
from audiobook.errors import AudiobookError
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines import Engine, TransientError

CACHED, SYNTHESIZED, FAILED = "cached", "synthesized", "failed"


@dataclass(frozen=True)
class Job:
    key: str  # the segment cache key
    text: str
    voice: Voice
    parts: tuple[str, ...] = ()  # a run's sentences (``text`` joined), to cut it apart


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_delay: float = 0.5  # seconds before the first retry; doubles each time
    max_delay: float = 30.0
    rate_limited_delay: float = 10.0  # first pause after "too many requests"
    give_up_after: int = 3  # this many segments failing in a row: the service is down

    def delay(self, attempt: int, rate_limited: bool, rng: random.Random) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so that
        parallel workers that failed together do not retry together."""
        first = self.rate_limited_delay if rate_limited else self.base_delay
        ceiling = min(self.max_delay, first * 2**attempt)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


class SegmentFailed(AudiobookError):
    """A segment still failed after every retry."""


class RunnerProgress(Protocol):
    def segment_finished(self, how: str) -> None: ...


class Runner:
    """``runner.schedule(jobs)``, then ``await runner.wait(keys)`` for the ones you need;
    ``async with`` starts and stops the workers."""

    def __init__(
        self,
        engine: Engine,
        cache: SegmentCache,
        concurrency: int | None = None,
        retry: RetryPolicy | None = None,
        progress: RunnerProgress | None = None,
        seed: int | None = None,
        refresh: bool = False,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.concurrency = max(1, concurrency or engine.default_concurrency)
        self.retry = retry or RetryPolicy()
        self.progress = progress
        self.refresh = refresh  # synthesize again even what the cache holds
        self.counts = {CACHED: 0, SYNTHESIZED: 0, FAILED: 0}
        self.retries = 0
        self._rng = random.Random(seed)
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._done: dict[str, asyncio.Future[str]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._failures_in_a_row = 0
        self._fatal: BaseException | None = None
        self._closing = False  # the runner is being left: workers stop at the next step

    async def __aenter__(self) -> Runner:
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.concurrency)]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        # A library deep in a request can swallow a cancellation (asyncio.wait_for racing
        # with aiohttp's cleanup turns it into a connection error): the worker then carries
        # on and waits on the queue forever. So cancel until every worker has stopped.
        self._closing = True
        pending = set(self._workers)
        while pending:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        for future in self._done.values():
            if not future.done():
                future.cancel()

    def schedule(self, jobs: Iterable[Job]) -> None:
        """Queue jobs in the order given; a key already scheduled is not queued again."""
        loop = asyncio.get_running_loop()
        for job in jobs:
            if job.key not in self._done:
                self._done[job.key] = loop.create_future()
                self._queue.put_nowait(job)

    def forget(self, keys: Iterable[str]) -> None:
        """Drop what is kept of finished jobs (a book's worth would grow without end); a
        key scheduled again later is looked up in the cache again."""
        for key in keys:
            future = self._done.get(key)
            if future is not None and future.done():
                del self._done[key]

    async def wait(self, keys: Iterable[str]) -> None:
        """Until every one of ``keys`` is in the cache; raises the first failure."""
        for key in keys:
            await self._done[key]

    async def _work(self) -> None:
        while not self._closing:
            job = await self._queue.get()
            future = self._done[job.key]
            try:
                future.set_result(await self._run(job))
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # handed to whoever waits for this segment
                future.set_exception(exc)
                future.exception()  # a failure nobody waits for is not "never retrieved"
                self._count(FAILED)

    async def _run(self, job: Job) -> str:
        if self._fatal is not None:
            raise self._fatal
        if not self.refresh and job.key in self.cache:
            self._count(CACHED)
            return CACHED
        for attempt in range(self.retry.attempts):
            try:
                speech = await self.engine.synthesize(job.text, job.voice)
            except TransientError as exc:
                if self._closing:  # the error was a cancellation in disguise
                    raise asyncio.CancelledError from exc
                if attempt + 1 == self.retry.attempts:
                    self._note_failure()
                    raise SegmentFailed(
                        f"{exc} (gave up after {self.retry.attempts} attempts on {job.text[:20]!r})"
                    ) from exc
                self.retries += 1
                await asyncio.sleep(self.retry.delay(attempt, exc.rate_limited, self._rng))
                if self._fatal is not None:
                    raise self._fatal from None
            except Exception as exc:
                self._fatal = exc  # permanent: nothing else will fare better
                raise
            else:
                self.cache.put(job.key, speech, job.text)
                self._failures_in_a_row = 0
                self._count(SYNTHESIZED)
                return SYNTHESIZED
        raise AssertionError("unreachable")

    def _note_failure(self) -> None:
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= self.retry.give_up_after:
            self._fatal = AudiobookError(
                f"the {self.engine.name} engine failed {self._failures_in_a_row} segments in a "
                "row, each after every retry; finished segments are cached: rerun to resume"
            )

    def _count(self, how: str) -> None:
        self.counts[how] += 1
        if self.progress is not None:
            self.progress.segment_finished(how)
