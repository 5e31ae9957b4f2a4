"""The script stage on the corpus: chapters, cleanup, normalising, conversion."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from audiobook.text.cleanup import remove_repeats
from audiobook.text.normalize import normalize_paragraph
from audiobook.text.reading import load
from audiobook.text.script import ScriptOptions, book_from_text, make_script
from tests.conftest import DATA, SEEDS, run_cli

LUXUN = DATA / "鲁迅小说集.txt"
AQ_TITLES = [
    "序言",
    "优胜记略",
    "续优胜记略",
    "恋爱的悲剧",
    "生计问题",
    "从中兴到末路",
    "革命",
    "不准革命",
    "大团圆",
]


def words(text: str) -> str:
    """Text without quote marks: speech segments hold the words inside the marks."""
    return re.sub("[“”]", "", text)


def paragraphs(chapter) -> list[str]:
    by_index: dict[int, str] = {}
    for segment in chapter.segments:
        by_index[segment.paragraph] = by_index.get(segment.paragraph, "") + words(segment.text)
    return list(by_index.values())


@pytest.fixture(scope="module")
def luxun():
    return make_script(load(LUXUN), LUXUN.stem)


def test_luxun_has_47_chapters_with_exact_titles(luxun) -> None:
    raw = LUXUN.read_text("utf-8-sig").splitlines()
    expected = [
        re.match(r"第(\d+)章 (.+)$", line).groups() for line in raw if re.match(r"第\d+章 ", line)
    ]
    assert len(expected) == 47
    assert [(c.number, c.title) for c in luxun.book.chapters] == [(int(n), t) for n, t in expected]


def test_luxun_every_ad_removed_and_no_story_line_lost(luxun) -> None:
    assert len(luxun.removed) == 49
    assert all(r.reason == "ad" for r in luxun.removed)
    for removal in luxun.removed:
        folded = removal.text.lower().replace(" ", "").replace("　", "")
        assert "http" in folded or re.search(r"[wｗ].{0,3}[wｗ].{0,3}[wｗ]", folded)
    ads = {r.text for r in luxun.removed}
    story = [
        words(normalize_paragraph(line))
        for line in LUXUN.read_text("utf-8-sig").splitlines()
        if line.strip() and line not in ads and not re.match(r"第\d+章 ", line)
    ]
    read = [p for chapter in luxun.book.chapters for p in paragraphs(chapter)]
    assert read == story


@pytest.mark.parametrize("name", ["阿Q正传.txt", "阿Q正传.epub"])
def test_a_q_has_preface_and_eight_chapters(name: str) -> None:
    book = make_script(load(DATA / name), "阿Q正传").book
    titles = [c.title for c in book.chapters]
    if name.endswith(".epub"):  # the EPUB's table of contents names chapter 2 otherwise
        assert titles[2] == "优胜记略续"
        titles[2] = "续优胜记略"
        assert (book.title, book.author) == ("阿Q正传", "鲁迅")
    assert titles == AQ_TITLES
    assert [c.number for c in book.chapters] == [None, *range(1, 9)]
    text = "".join(s.text for c in book.chapters for s in c.segments)
    assert "第二，立传的通例" in text and "第二天" in text  # prose, not headings
    assert "⑵" not in text and '"' not in text


def test_seed_002_traditional_repeated_block_read_once() -> None:
    script = make_script(load(SEEDS / "002_0f929d2b9e10c4b0.txt"), "002")
    assert script.traditional and script.converted
    book = script.book
    assert book.title is None
    assert [(c.number, c.title) for c in book.chapters] == [(None, None)]
    text = "".join(s.text for s in book.chapters[0].segments)
    assert text.count("和卫江南聊了几句") == 1
    assert text.count("有点意思了") == 1
    assert {r.reason for r in script.removed} == {"repeated"}
    kept = make_script(
        load(SEEDS / "002_0f929d2b9e10c4b0.txt"), "002", ScriptOptions(keep_traditional=True)
    )
    segments = kept.book.chapters[0].segments
    assert "和衛江南聊了幾句" in "".join(s.text for s in segments)
    speakers = [s.speaker for s in segments if s.kind == "speech"]
    converted = [s.speaker for s in book.chapters[0].segments if s.kind == "speech"]
    assert speakers == converted  # analysed on the Simplified copy either way


def test_seed_000_breadcrumb_reported() -> None:
    script = make_script(load(SEEDS / "000_041c593aa96c4732.txt"), "000")
    assert [(r.reason, r.text) for r in script.removed] == [
        ("breadcrumb", "下书看 > 重生官路:巅峰父子 > 第431章 暗访缙金科技园")
    ]
    assert script.book.title == "重生官路:巅峰父子"


def test_short_repeated_lines_stay() -> None:
    kept, removed = remove_repeats(
        ["“好。”", "“好。”", "他点头。", "长一些的一段话，" * 6, "长一些的一段话，" * 6]
    )
    assert kept == ["“好。”", "“好。”", "他点头。", "长一些的一段话，" * 6]
    assert len(removed) == 1


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("干部,有人举手提出问题?", "干部，有人举手提出问题？"),
        ('他说:"你好!"', "他说：“你好！”"),
        ("「你好」他說，『真的』。", "“你好”他說，‘真的’。"),
        ("\u3000\u3000阿Ｑ说\u00a0道", "阿Q说道"),
        ('一个"立言"⑵的人（⒈）', "一个“立言”的人"),
        ("iPhone 15, OK?", "iPhone 15, OK?"),
    ],
)
def test_normalize_paragraph(raw: str, normal: str) -> None:
    assert normalize_paragraph(raw) == normal


def test_big5_and_utf16_copies(tmp_path: Path) -> None:
    text = (SEEDS / "002_0f929d2b9e10c4b0.txt").read_text("utf-8")
    big5 = text.encode("big5", errors="replace")  # 裏 and a few others are not in Big5
    (tmp_path / "big5.txt").write_bytes(big5)
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))
    assert load(tmp_path / "big5.txt").documents[0].text == big5.decode("big5")
    assert load(tmp_path / "big5.txt").encoding.startswith("big5")
    assert load(tmp_path / "utf16.txt").documents[0].text == text


def test_user_patterns_and_removed_listing(tmp_path: Path) -> None:
    (tmp_path / "book.txt").write_text(
        "第1章 开始\n正文第一句。\n本章完，求推荐\n正文第二句。\n", "utf-8"
    )
    (tmp_path / "audiobook.toml").write_text('[cleanup]\nremove = ["^本章完"]\n', "utf-8")
    result = run_cli("script", "book.txt", "--removed", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"reason": "pattern: ^本章完", "text": "本章完，求推荐"}]


def test_script_json_interface(tmp_path: Path) -> None:
    result = run_cli("script", str(SEEDS / "000_041c593aa96c4732.txt"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["book"] == {"title": "重生官路:巅峰父子"}
    assert isinstance(data["characters"], list)
    [chapter] = data["chapters"]
    assert (chapter["number"], chapter["title"]) == (431, "暗访缙金科技园")
    for segment in chapter["segments"]:
        extra = {"confidence"} if segment["kind"] == "speech" else set()
        assert set(segment) == {"kind", "speaker", "text"} | extra
    assert all(s["kind"] in ("narration", "speech") for s in chapter["segments"])


@pytest.mark.parametrize("args", [["--chapter", "9"], ["--config", "missing.toml"]])
def test_script_bad_options_one_line(args: list[str]) -> None:
    result = run_cli("script", str(SEEDS / "000_041c593aa96c4732.txt"), *args)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error:")


def test_volumes_named_parts_and_english_headings() -> None:
    text = (
        "楔子\n很久以前。\n第一卷 风起\n第一章 开端\n正文一。\n第二章 继续\n正文二。\n"
        "番外一 后来\n番外正文。\nChapter 5 The End\n结束。\n后记\n谢谢。\n"
    )
    book = book_from_text(text, "x")
    assert [(c.number, c.title, c.volume) for c in book.chapters] == [
        (None, "楔子", None),
        (1, "开端", "第一卷 风起"),
        (2, "继续", "第一卷 风起"),
        (1, "后来", "第一卷 风起"),
        (5, "The End", "第一卷 风起"),
        (None, "后记", "第一卷 风起"),
    ]


def test_a_packed_book_reads_the_same_in_a_fraction_of_the_memory() -> None:
    from audiobook.config import load_config
    from audiobook.model import PackedSegments
    from audiobook.text.apart import read_packed

    path = DATA / "阿Q正传.epub"
    book, _ = read_packed(path, load_config(None, path), Path("/nonexistent"))
    assert all(isinstance(c.segments, PackedSegments) for c in book.chapters)
    plain = make_script(load(path), "阿Q正传").book
    assert [list(c.segments) for c in book.chapters] == [c.segments for c in plain.chapters]
    chapter = book.chapters[1]
    assert len(chapter.segments) == len(plain.chapters[1].segments) > 50
    assert chapter.segments[3] == plain.chapters[1].segments[3]
    assert chapter.segments[-2:] == plain.chapters[1].segments[-2:]
    assert chapter.characters == plain.chapters[1].characters
    assert held_in_memory(book) * 4 < held_in_memory(plain)


def held_in_memory(value: object) -> int:
    """Bytes a copy of ``value`` takes, made afresh so that nothing is shared."""
    import pickle
    import tracemalloc

    blob = pickle.dumps(value)
    tracemalloc.start()
    try:
        copy = pickle.loads(blob)
        return tracemalloc.get_traced_memory()[0] if copy is not None else 0
    finally:
        tracemalloc.stop()
