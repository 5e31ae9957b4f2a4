"""The build stage on a Ray cluster: chapters of many books at once, as Ray tasks.

The driver (this process) keeps what must have one writer: it has read and cast the
books, decides which chapters are out of date, and writes every output file atomically.
A task synthesizes one chapter's lines into its node's segment cache and renders the
chapter in a scratch folder; its files come back as bytes. The offline model stays
loaded in each Ray worker process from one chapter to the next, on the CPUs Ray gave
the task; edge requests are capped per node by a Ray resource (``edge``). A worker that
dies has its chapter retried elsewhere by Ray; a chapter that fails is reported and the
others go on. Nothing here is imported without ``--ray``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from audiobook.audio.build import (
    BuildPlan,
    ChapterResult,
    chapter_lines,
    limit_lines,
    pending,
    render_chapter,
    retag_existing,
    source_key,
    subtitle_paths,
    up_to_date,
    voice_lines,
)
from audiobook.audio.render import Line
from audiobook.cast.voices import Voice
from audiobook.errors import AudiobookError
from audiobook.files import write_atomic
from audiobook.model import Chapter
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines import Engine
from audiobook.speech.engines.choose import get_engine
from audiobook.speech.runner import Runner, SegmentFailed

EDGE_PER_NODE = 3  # edge requests at once per node: more can get an address banned
RETRIES = 3  # times Ray runs a chapter again elsewhere when its worker dies
TASKS_PER_CPU = 2  # chapters in flight per cluster CPU: enough to keep every CPU busy


class BatchProgress(Protocol):
    def segments_planned(self, book: int, count: int) -> None: ...

    def segments_finished(self, book: int, how: str, count: int) -> None: ...

    def chapter_done(self, book: int, result: ChapterResult) -> None: ...


@dataclass
class ChapterFiles:
    """What a task sends back: the chapter's files, or why it could not be made."""

    mp3: bytes = b""
    lyrics: bytes = b""
    subtitles: bytes = b""
    duration_ms: int = 0
    error: str | None = None


def address_of(given: str | None) -> str | None:
    """The cluster to join: the address given, else ``$RAY_ADDRESS``; None for a local Ray."""
    return given or os.environ.get("RAY_ADDRESS") or None


def connect(address: str | None, cpus: int | None, engine: str) -> None:
    """Join the Ray cluster at ``address`` (see ``address_of``), or with None start a local
    one with ``cpus`` CPUs (all of them by default) and the edge requests of one node."""
    # Ray runs its workers through `uv run` when the driver was started by it, in a copy of
    # the working folder and an environment synced without our extras: workers without
    # Ray. The workers must run in this interpreter's environment, as for any other tool.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    if address:
        _check_reachable(address)
        _token_like_ray_start()  # before Ray is imported: it reads its settings then
    try:
        import ray
    except ImportError:
        raise AudiobookError(
            "--ray needs Ray: install the tool with its ray extra "
            "(uv tool install 'audiobook[ray]', or uv sync --extra ray in a checkout)"
        ) from None
    options: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address is None:  # "local": a new one, even if this machine runs a cluster already
        options |= {"num_cpus": cpus, "resources": {"edge": EDGE_PER_NODE}}
        options["include_dashboard"] = False
    try:
        ray.init(address=address or "local", **options)
    except Exception as exc:  # Ray's own errors: ConnectionError, RuntimeError, ...
        raise AudiobookError(f"cannot start or reach Ray at {address or 'local'}: {exc}") from exc
    have = ray.cluster_resources()
    if engine == "edge" and not have.get("edge"):
        ray.shutdown()
        raise AudiobookError(
            f"the Ray cluster at {address} offers no 'edge' resource: start its nodes with "
            f"--resources '{{\"edge\": {EDGE_PER_NODE}}}' to allow edge requests on them"
        )


def _check_reachable(address: str) -> None:
    """A head node that does not answer is one line at once: Ray itself retries for
    minutes, printing its own errors."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", "local": Ray's to resolve
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise AudiobookError(f"--ray {address}: no Ray head node answers there ({exc})") from None


def _token_like_ray_start() -> None:
    """`ray start` turns token authentication on when it finds a token (``ray.init()``
    makes one in ~/.ray); a driver joining that cluster does not, and is refused. So the
    driver does as `ray start` did, unless told otherwise (RAY_AUTH_MODE)."""
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray/auth_token")
    if "RAY_AUTH_MODE" not in os.environ and (
        os.environ.get("RAY_AUTH_TOKEN") or token_file.is_file()
    ):
        os.environ["RAY_AUTH_MODE"] = "token"


def cpu_count() -> int:
    """The CPUs of the cluster joined."""
    import ray

    return int(ray.cluster_resources().get("CPU", 0))


def disconnect() -> None:
    import ray

    ray.shutdown()


def build_batch(
    batch: list[tuple[BuildPlan, dict[str | None, Voice]]],
    engine: Engine,
    progress: BatchProgress,
) -> list[list[ChapterResult]]:
    """Every chapter of every plan, as Ray tasks: the results per plan, in chapter order.
    ``engine`` names the engine and keys its segments; the tasks make their own."""
    import ray

    make = ray.remote(make_chapter).options(
        max_retries=RETRIES,
        retry_exceptions=False,  # only a dead worker: a chapter that fails, fails
        **_task_resources(engine.name),
    )
    tally = ray.remote(num_cpus=0)(Tally).remote()
    in_flight = max(2, cpu_count() * TASKS_PER_CPU)
    results: list[list[ChapterResult]] = [[] for _ in batch]
    running: dict[Any, tuple[int, Chapter, Path]] = {}

    def tasks():  # lazily: a library's lines are made only as its chapters go out
        for book, (plan, voices) in enumerate(batch):
            progress.segments_planned(book, len(pending(plan, engine, voices)[1]))
            plan_ref = None
            for chapter in plan.chapters:
                lines = limit_lines(
                    chapter_lines(chapter, voices, engine, plan.lexicon), plan.limit_ms
                )
                key = source_key(plan, chapter, lines)
                path = plan.chapter_path(chapter)
                if not plan.refresh and up_to_date(path, key):  # not sent to Ray at all
                    duration = retag_existing(plan, chapter, path)
                    results[book].append(ChapterResult(chapter, path, duration, reused=True))
                    progress.chapter_done(book, results[book][-1])
                    continue
                plan_ref = plan_ref or ray.put(plan)  # one copy of the book in the store
                yield book, chapter, path, (plan_ref, chapter, lines, key, engine.name, tally, book)

    waiting = tasks()

    def send(count: int) -> None:
        for book, chapter, path, args in _take(waiting, count):
            running[make.remote(*args)] = (book, chapter, path)

    try:
        send(in_flight)
        while running:
            done, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
            for book, how, count in ray.get(tally.take.remote()):
                progress.segments_finished(book, how, count)
            for ref in done:
                book, chapter, path = running.pop(ref)
                result = _write_files(chapter, path, _result_of(ray, ref))
                results[book].append(result)
                progress.chapter_done(book, result)
                send(1)
        for book, how, count in ray.get(tally.take.remote()):
            progress.segments_finished(book, how, count)
    except BaseException:
        for ref in running:  # Ctrl-C or a bug: the cluster stops working for us
            ray.cancel(ref, force=True)
        raise
    return [sorted(chapters, key=lambda r: r.chapter.order) for chapters in results]


def _take(iterator, count: int) -> list:
    return [item for _, item in zip(range(count), iterator, strict=False)]


def _task_resources(engine: str) -> dict[str, Any]:
    if engine == "edge":  # mostly waiting on the service: its requests are the limit
        return {"num_cpus": 0.5, "resources": {"edge": 1}}
    return {"num_cpus": 1}


def _result_of(ray, ref) -> ChapterFiles:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:  # retried and died again, or a bug in the task
        cause = getattr(exc, "cause", None) or exc
        first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[-1]
        return ChapterFiles(error=f"{type(cause).__name__}: {first_line}")


def _write_files(chapter: Chapter, path: Path, files: ChapterFiles) -> ChapterResult:
    """The chapter's files in place, each atomically; subtitles last, as a plain build
    does (a chapter is up to date only when all three are there)."""
    if files.error:
        return ChapterResult(chapter, path, 0, reused=False, error=files.error)
    lyrics, subtitles = subtitle_paths(path)
    write_atomic(path, files.mp3)
    write_atomic(subtitles, files.subtitles)
    write_atomic(lyrics, files.lyrics)
    return ChapterResult(chapter, path, files.duration_ms, reused=False)


class Tally:
    """Segments finished, per book and how, gathered from the tasks (a Ray actor)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[int, str]] = Counter()

    def add(self, book: int, how: str, count: int) -> None:
        self.counts[book, how] += count

    def take(self) -> list[tuple[int, str, int]]:
        taken = [(book, how, n) for (book, how), n in self.counts.items()]
        self.counts.clear()
        return taken


class _Relay:
    """A task's segments finished, sent to the tally twice a second at most."""

    def __init__(self, tally, book: int) -> None:
        self.tally, self.book = tally, book
        self.counts: Counter[str] = Counter()
        self.sent = time.monotonic()

    def segment_finished(self, how: str) -> None:
        self.counts[how] += 1
        if time.monotonic() - self.sent > 0.5:
            self.flush()

    def flush(self) -> None:
        for how, count in self.counts.items():
            self.tally.add.remote(self.book, how, count)
        self.counts.clear()
        self.sent = time.monotonic()


def make_chapter(
    plan: BuildPlan,
    chapter: Chapter,
    lines: list[Line],
    key: str,
    engine_name: str,
    tally,
    book: int,
) -> ChapterFiles:
    """One chapter on a Ray worker: its lines into this node's cache, the chapter rendered
    in a scratch folder, its files returned."""
    import ray

    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
    engine = get_engine(engine_name, workers=1, threads=max(1, int(cpus)))
    relay = _Relay(tally, book)
    with tempfile.TemporaryDirectory(prefix="audiobook-") as scratch:
        here = dataclasses.replace(plan, out_dir=Path(scratch))
        here.chapter_path(chapter).parent.mkdir(parents=True, exist_ok=True)
        try:
            result = asyncio.run(_synthesize_and_render(here, chapter, lines, key, engine, relay))
        except SegmentFailed as exc:
            return ChapterFiles(error=str(exc))
        finally:
            relay.flush()
        lyrics, subtitles = subtitle_paths(result.path)
        return ChapterFiles(
            result.path.read_bytes(), lyrics.read_bytes(), subtitles.read_bytes(),
            result.duration_ms,
        )  # fmt: skip


async def _synthesize_and_render(
    plan: BuildPlan, chapter: Chapter, lines: list[Line], key: str, engine: Engine, relay
) -> ChapterResult:
    await engine.start()
    try:
        runner = Runner(engine, SegmentCache(), concurrency=1, progress=relay, refresh=plan.refresh)
        async with runner:
            runner.schedule(line.job for line in lines if line.job)
            lines, _ = await voice_lines(runner, lines)
            return render_chapter(plan, chapter, lines, key, runner.cache, engine.name)
    finally:
        await engine.close()
