"""A reader corrects a speaker once, in speakers.toml, and it stays corrected: in the
script, in the cast, and in the next build, which re-reads only what carries that line."""

from __future__ import annotations

import json

import pytest

from audiobook.cast.voices import catalogue
from audiobook.errors import AudiobookError
from audiobook.export.page import PageLine, render_page
from audiobook.text.corrections import apply_corrections, load_corrections
from audiobook.text.script import book_from_text
from tests.conftest import run_cli
from tests.fake_edge import FakeEdgeServer

BOOK = (
    "《小院》\n第1章 早晨\n"
    "　　林晚推开门，对张伟说：“你怎么又来了？”\n"
    "　　张伟笑道：“来看看你。”\n"
    "　　“你来干什么？”院子里的人问。\n"
    "第2章 傍晚\n　　张伟说：“走吧。”\n"
)


def test_a_correction_names_a_chapter_and_opening_words(tmp_path) -> None:
    path = tmp_path / "speakers.toml"
    path.write_text(
        '["第1章 早晨"]\n"你来干什么" = { speaker = "老周", gender = "male" }\n'
        '"来看看" = "林晚"\n\n["2"]\n"没有这句" = "张伟"\n',
        "utf-8",
    )
    book = book_from_text(BOOK, "x")
    corrected, unused = apply_corrections(book, load_corrections(path))
    speech = [s for s in corrected.chapters[0].segments if s.kind == "speech"]
    assert [(s.speaker, s.confidence) for s in speech[1:]] == [("林晚", 1.0), ("老周", 1.0)]
    assert ("老周", "male") in {(c.name, c.gender) for c in corrected.characters}
    assert unused == ['["2"] "没有这句"']


@pytest.mark.parametrize(
    "content", ['["第1章 早晨"]\n"你来" = 3\n', '"你来" = "林晚"\n', "[x\n"], ids=str
)
def test_a_bad_corrections_file_is_one_line(tmp_path, content: str) -> None:
    path = tmp_path / "speakers.toml"
    path.write_text(content, "utf-8")
    with pytest.raises(AudiobookError, match=r"speakers\.toml"):
        load_corrections(path)


def test_script_shows_confidence_and_marks_the_unsure(tmp_path) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    result = run_cli("script", "book.txt", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    speech = [
        s
        for c in json.loads(result.stdout)["chapters"]
        for s in c["segments"]
        if s["kind"] == "speech"
    ]
    assert all(0 <= s["confidence"] <= 1 for s in speech)
    assert speech[0]["speaker"] == "林晚" and speech[0]["confidence"] >= 0.8
    page = render_page(
        title="t",
        audio=b"\xff\xfb",
        lines=[
            PageLine(0, 1000, "你好", "林晚", 0, unsure=True),
            PageLine(1000, 2000, "嗯", None, 1),
        ],
        voices={None: "narrator", "林晚": "voice"},
    )
    assert page.count(" unsure") == 1


def test_a_corrected_speaker_is_heard_after_the_next_build(tmp_path) -> None:
    (tmp_path / "book.txt").write_text(BOOK, "utf-8")
    with FakeEdgeServer(voices=set(catalogue("edge"))) as server:
        env = {"AUDIOBOOK_EDGE_URL": server.url, "AUDIOBOOK_CACHE": str(tmp_path / "cache")}
        build = ["build", "book.txt", "--engine", "edge", "-o", "out"]
        result = run_cli(*build, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        book_dir = tmp_path / "out" / "小院"
        template = (book_dir / "speakers.toml").read_text("utf-8")
        assert template.startswith("# Speakers you corrected")
        first = len(server.heard)

        (book_dir / "speakers.toml").write_text(
            template + '\n["第1章 早晨"]\n"你来干什么" = { speaker = "老周", gender = "male" }\n',
            "utf-8",
        )
        result = run_cli(*build, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        again = [h for h in server.heard[first:] if h.text != "你好。"]  # not the probe
        assert [h.text for h in again] == ["你来干什么？"]  # only the corrected line
        assert "Wrote 1 of 2" in result.stdout  # the other chapter is left alone
        cast = (book_dir / "cast-edge.toml").read_text("utf-8")
        assert '[characters."老周"]' in cast
        voice = cast.split('[characters."老周"]')[1].split('voice = "')[1].split('"')[0]
        assert again[0].voice == voice

    result = run_cli("script", "book.txt", "-o", "out", "--format", "json", cwd=tmp_path)
    speech = [
        s for s in json.loads(result.stdout)["chapters"][0]["segments"] if s["kind"] == "speech"
    ]
    assert (speech[-1]["speaker"], speech[-1]["confidence"]) == ("老周", 1.0)
