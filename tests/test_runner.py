"""The runner and the build against the fake edge service: retries, failures, the cache."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import edge_tts.communicate
import pytest

from audiobook.audio.build import BuildPlan, build_book
from audiobook.cast.casting import draw_cast
from audiobook.cast.voices import Voice
from audiobook.errors import AudiobookError
from audiobook.speech.cache import SegmentCache
from audiobook.speech.engines import TransientError
from audiobook.speech.engines.edge import EdgeEngine
from audiobook.speech.runner import CACHED, FAILED, SYNTHESIZED, Job, RetryPolicy, Runner
from audiobook.text.script import book_from_text
from tests.fake_edge import FakeEdgeServer

FAST_RETRY = RetryPolicy(base_delay=0.01, rate_limited_delay=0.02, max_delay=0.1)


def serial(chapters: int) -> str:
    """A serial of short chapters with two speakers."""
    return "《连载》\n" + "".join(
        f"第{i}章 第{i}天\n"
        f"　　第{i}天早上，李明走进办公室。\n"
        f"　　李明说：“今天是第{i}天。”\n"
        f"　　王芳点了点头，说：“我知道了，第{i}天。”\n"
        for i in range(1, chapters + 1)
    )


class Counts:
    def __init__(self) -> None:
        self.counts = {CACHED: 0, SYNTHESIZED: 0, FAILED: 0}
        self.planned = 0

    def segments_planned(self, count: int) -> None:
        self.planned += count

    def segment_finished(self, how: str) -> None:
        self.counts[how] += 1

    def chapter_done(self, result) -> None: ...


@pytest.fixture
def fake(monkeypatch):
    def start(**options) -> FakeEdgeServer:
        server = FakeEdgeServer(**options).start()
        started.append(server)
        monkeypatch.setenv("AUDIOBOOK_EDGE_URL", server.url)
        return server

    started: list[FakeEdgeServer] = []
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", edge_tts.communicate.WSS_URL)
    yield start
    for server in started:
        server.stop()


def run_build(text: str, out: Path, cache: Path, voices=None, refresh=False, concurrency=3):
    book = book_from_text(text, "serial")
    voices = voices or draw_cast(book, "edge").voices()
    plan = BuildPlan(book=book, out_dir=out, chapters=book.chapters, refresh=refresh)
    progress = Counts()
    job = build_book(
        plan, EdgeEngine(), voices, progress, SegmentCache(cache), concurrency, FAST_RETRY
    )
    return asyncio.run(job), progress


def mp3s(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*/*.mp3"))}


def test_thirty_chapters_through_a_service_failing_one_request_in_five(fake, tmp_path) -> None:
    flaky = fake(failure_rate=0.2, seed=7)
    results, progress = run_build(serial(30), tmp_path / "flaky", tmp_path / "c1")
    assert not any(r.error for r in results)
    assert progress.counts[FAILED] == 0
    assert flaky.attempts > len(flaky.heard) + 20  # failures did happen, and were retried
    clean = fake()
    run_build(serial(30), tmp_path / "clean", tmp_path / "c2")
    # every segment present and in order: the same bytes as through a faultless service
    flaky_files, clean_files = mp3s(tmp_path / "flaky"), mp3s(tmp_path / "clean")
    assert len(flaky_files) == 30
    assert flaky_files == clean_files
    assert len(clean.heard) == progress.planned


def test_rerun_synthesizes_nothing_and_new_chapters_only_theirs(fake, tmp_path) -> None:
    server = fake()
    _, first = run_build(serial(3), tmp_path / "out", tmp_path / "cache")
    assert first.counts[SYNTHESIZED] == len(server.heard) > 0
    heard = len(server.heard)
    results, _ = run_build(serial(3), tmp_path / "out", tmp_path / "cache")
    assert all(r.reused for r in results) and len(server.heard) == heard
    # the serial gains two chapters: only their segments are synthesized
    results, _ = run_build(serial(5), tmp_path / "out", tmp_path / "cache")
    assert [r.reused for r in results] == [True, True, True, False, False]
    new_texts = {h.text for h in server.heard[heard:]}
    assert new_texts and all("第4" in t or "第5" in t or t.startswith("王芳") for t in new_texts)
    assert all("第1" not in t and "第2" not in t and "第3" not in t for t in new_texts)
    # --refresh does everything again
    heard = len(server.heard)
    _, refreshed = run_build(serial(5), tmp_path / "out", tmp_path / "cache", refresh=True)
    assert refreshed.counts[CACHED] == 0 and len(server.heard) - heard == refreshed.planned


def test_a_damaged_cache_entry_heals_with_only_its_segment_synthesized_again(
    fake, tmp_path
) -> None:
    server = fake()
    run_build(serial(3), tmp_path / "first", tmp_path / "cache")
    audio = sorted((tmp_path / "cache" / "segments").glob("*/*.mp3"))
    assert len(audio) == len(server.heard) >= 6
    audio[0].write_bytes(audio[0].read_bytes()[:100])  # truncated by a power cut
    audio[1].write_bytes(b"")  # emptied
    audio[2].unlink()  # gone, its record left behind
    heard = len(server.heard)
    cache = SegmentCache(tmp_path / "cache")
    book = book_from_text(serial(3), "serial")
    plan = BuildPlan(book=book, out_dir=tmp_path / "second", chapters=book.chapters)
    progress = Counts()
    job = build_book(plan, EdgeEngine(), draw_cast(book, "edge").voices(), progress, cache)
    results = asyncio.run(job)
    assert not any(r.error for r in results)
    assert len(server.heard) - heard == progress.counts[SYNTHESIZED] == 3
    assert cache.repaired == 3
    assert mp3s(tmp_path / "first") == mp3s(tmp_path / "second")
    assert SegmentCache(tmp_path / "cache").usage().entries == heard


def test_a_service_that_keeps_failing_stops_the_run(fake, tmp_path) -> None:
    fake(failure_rate=1.0, failure_kinds=("no_audio",))
    with pytest.raises(AudiobookError, match="failed 3 segments in a row"):
        run_build(serial(3), tmp_path / "out", tmp_path / "cache")
    assert not list((tmp_path / "out").glob("*/*.mp3"))


def test_an_unknown_voice_fails_fast(fake, tmp_path) -> None:
    server = fake()
    book = book_from_text(serial(3), "serial")
    voices = draw_cast(book, "edge").voices()
    voices["王芳"] = Voice("edge", "zh-CN-XiaochenNeural", "female")
    with pytest.raises(AudiobookError, match="unknown edge voice"):
        run_build(serial(3), tmp_path / "out", tmp_path / "cache", voices=voices)
    assert len(server.heard) <= 6  # stopped at once, not after every other segment


class SwallowingEngine:
    """Turns a cancellation into a connection error, as aiohttp's cleanup racing with
    asyncio.wait_for can (seen here: a build that never ended, one run in twenty)."""

    name, version, default_concurrency, run_bytes = "fake", "1", 2, 0

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def synthesize(self, text: str, voice: Voice):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise TransientError("Cannot write to closing transport") from None


def test_the_runner_stops_even_when_a_request_swallows_its_cancellation(tmp_path) -> None:
    voice = Voice("edge", "zh-CN-XiaoxiaoNeural", "female")

    async def run_and_leave() -> None:
        async with Runner(SwallowingEngine(), SegmentCache(tmp_path), retry=FAST_RETRY) as runner:
            runner.schedule(Job(f"k{i}", f"第{i}句。", voice) for i in range(4))
            await asyncio.sleep(0.1)  # the workers are inside their requests

    asyncio.run(asyncio.wait_for(run_and_leave(), 15))


class SentenceAtATime(EdgeEngine):
    run_bytes = 0  # the edge engine as it was: one request per sentence


def passage(paragraphs: int) -> str:
    """Long narration and a long speech: runs of many sentences in one voice."""
    body = "".join(
        f"　　第{k}段开始了。第{k}天的天色暗了下来。街上的人少了{k}个。风吹过{k}棵树。\n"
        f"　　李明说：“我们走{k}步吧。天快黑了{k}次。路上小心{k}点。”\n"
        for k in range(1, paragraphs + 1)
    )
    return f"《长夜》\n第1章 黄昏\n{body}"


def cues_of(text: str, out: Path, cache: Path, engine) -> tuple[list, int]:
    book = book_from_text(text, "serial")
    plan = BuildPlan(book=book, out_dir=out, chapters=book.chapters, keep_cues=True)
    job = build_book(plan, engine, draw_cast(book, "edge").voices(), Counts(), SegmentCache(cache))
    [result] = asyncio.run(job)
    assert result.error is None
    return result.cues, result.duration_ms


def test_runs_of_one_voice_go_as_one_request_and_are_cut_apart_again(fake, tmp_path) -> None:
    server = fake()
    text = passage(6)
    runs, runs_ms = cues_of(text, tmp_path / "runs", tmp_path / "c1", EdgeEngine())
    requests = len(server.heard)
    one_by_one, single_ms = cues_of(text, tmp_path / "one", tmp_path / "c2", SentenceAtATime())
    sentences = len(server.heard) - requests
    assert requests <= sentences // 3  # 13 runs of one voice instead of 43 sentences
    assert all(voice.startswith("zh-") for voice in {h.voice for h in server.heard})
    # every sentence is heard, in order, with the speaker it had, and lasts as long
    assert [(c.text, c.speaker) for c in runs] == [(c.text, c.speaker) for c in one_by_one]
    for cut, whole in zip(runs, one_by_one, strict=True):
        assert abs((cut.end_ms - cut.start_ms) - (whole.end_ms - whole.start_ms)) <= 100, cut
    assert abs(runs_ms - single_ms) <= 100 * len(runs)


def test_a_run_without_boundary_events_goes_sentence_by_sentence(fake, tmp_path) -> None:
    server = fake(boundary_events=False)
    text = "第1章 黄昏\n　　他慢慢地走着。天黑了。他回到了家。\n"
    cues, _ = cues_of(text, tmp_path / "out", tmp_path / "cache", EdgeEngine())
    assert [c.text for c in cues] == ["第1章 黄昏", "他慢慢地走着。", "天黑了。", "他回到了家。"]
    texts = [h.text for h in server.heard]
    assert "他慢慢地走着。天黑了。他回到了家。" in texts  # the run, which could not be cut
    assert {"他慢慢地走着。", "天黑了。", "他回到了家。"} <= set(texts)  # so, one by one


def test_runs_join_after_any_punctuation_and_are_cut_between_words(fake, tmp_path) -> None:
    server = fake()
    text = "第1章 黄昏\n\n他慢慢地走着……\n\n天黑了；\n\n他回到了家\n\n灯亮了。\n"
    cues, _ = cues_of(text, tmp_path / "out", tmp_path / "cache", EdgeEngine())
    # a line without punctuation at its end would be read on into the next: not joined
    runs = {"第1章 黄昏", "他慢慢地走着……天黑了；他回到了家", "灯亮了。"}
    assert sorted(h.text for h in server.heard) == sorted(runs)
    lines = ["第1章 黄昏", "他慢慢地走着……", "天黑了；", "他回到了家", "灯亮了。"]
    assert [c.text for c in cues] == lines
    spoken = [(c.end_ms - c.start_ms) / len(re.sub("[……；。]", "", c.text)) for c in cues[1:]]
    assert max(spoken) - min(spoken) < 60  # ms a character: each line got its own words


def test_cuts_fall_midway_between_the_services_sentences_or_nowhere() -> None:
    from audiobook.audio.runs import cuts
    from audiobook.speech.engines import Boundary

    heard = (Boundary(50, 1000, "他慢慢地走着……天黑了。"), Boundary(1300, 600, "他回到了家。"))
    assert cuts(heard, ("他慢慢地走着……天黑了。", "他回到了家。")) == [(0, 1175), (1175, 10**9)]
    assert cuts(heard, ("他慢慢地走着……", "天黑了。", "他回到了家。")) is None  # inside one
    assert cuts((), ("天黑了。", "他回到了家。")) is None  # no events
    assert cuts(heard[:1], ("他慢慢地走着……天黑了。", "他回到了家。")) is None  # one missing
    said = ("他慢", "慢地", "走着", "天黑", "了")
    words = [Boundary(100 + 200 * k, 150, w) for k, w in enumerate(said)]
    words.insert(3, Boundary(700, 0, "……"))  # punctuation, if reported, counts for nothing
    assert cuts(tuple(words), ("他慢慢地走着……", "天黑了。")) == [(0, 675), (675, 10**9)]


def test_single_voice_rate_and_dry_run_from_the_command_line(fake, tmp_path, monkeypatch) -> None:
    from tests.conftest import run_cli

    server = fake()
    monkeypatch.setenv("AUDIOBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    (tmp_path / "book.txt").write_text(passage(3), "utf-8")
    dry = run_cli("build", "book.txt", "--engine", "edge", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    said = " ".join(dry.stdout.split())
    assert "1 chapter(s)" in said and "0 in the cache" in said and "Nothing was synthesized" in said
    planned = int(said.split(" requests for")[0].split()[-1])
    assert len(server.heard) <= 1  # at most the check that the service answers
    assert not (tmp_path / "output").exists()

    heard = len(server.heard)
    built = run_cli(
        "build", "book.txt", "--engine", "edge", "--single-voice", "--rate", "+10%", cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    requests = server.heard[heard + 1 :]  # after the availability check
    assert {(h.voice, h.rate) for h in requests} == {(requests[0].voice, "+10%")}
    assert 0 < len(requests) < planned  # one voice: runs go through the dialogue too
