"""Novel files as Chinese sites hand them out: each case is a small file the test makes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from audiobook.config import Config
from audiobook.errors import AudiobookError
from audiobook.text.hanzi import HANZI
from audiobook.text.reading import load, read_text
from audiobook.text.script import ScriptOptions, book_from_text, make_script, read_script
from tests.conftest import DATA, run_cli

PROSE_TRAPS = "第二天早上，他又来了。\n第二，这是一个问题。\n他读到第三章的时候睡着了。\n1998\n"


def story(n: int) -> str:
    return f"　　这是第{n}段故事，他慢慢地走着。她说：“你好，今天天气不错。”他笑了笑。\n"


def script_of(text: str, name: str = "书", **options):
    from audiobook.text.source import Document, Source

    return make_script(Source(documents=[Document(text)]), name, ScriptOptions(**options))


# --- decoding ---------------------------------------------------------------------------


def test_nul_padded_gb18030_with_crlf_and_bare_number_headings(tmp_path: Path) -> None:
    text = "序幕\r\n" + story(0).replace("\n", "\r\n")
    text += "".join(f"{n:02d}\r\n" + story(n).replace("\n", "\r\n") * 3 for n in range(1, 31))
    path = tmp_path / "novel.txt"
    path.write_bytes(text.encode("gb18030") + b"\x00" * 4)
    source = load(path)
    assert source.encoding == "gb18030"
    assert source.notes == ["novel.txt: 4 NUL byte(s) of padding dropped"]
    book = make_script(source, "novel").book
    assert [c.title for c in book.chapters] == ["序幕", *[f"{n:02d}" for n in range(1, 31)]]
    assert [c.number for c in book.chapters[1:]] == list(range(1, 31))


def test_one_stray_byte_in_utf8_is_replaced_and_reported(tmp_path: Path) -> None:
    text = "".join(story(n) for n in range(60)).encode()
    path = tmp_path / "novel.txt"
    cut = text.index(b"\n", 3000) + 1  # between two characters
    path.write_bytes(text[:cut] + b"\xff" + text[cut:])
    source = load(path)
    assert source.encoding == "utf-8"
    [note] = source.notes
    assert "1 byte(s) could not be read as utf-8" in note and "line" in note
    assert source.documents[0].text.count("\ufffd") == 1
    line = text[:cut].count(b"\n") + 1
    assert f"line {line}," in note


def test_mostly_binary_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(bytes(range(256)) * 50)
    with pytest.raises(AudiobookError, match="binary"):
        read_text(path)


def test_encoding_given_by_the_user(tmp_path: Path) -> None:
    path = tmp_path / "novel.txt"
    path.write_bytes("第一章 開始\n他說：「你好。」\n".encode("big5"))
    assert "你好" in read_text(path, "big5")
    with pytest.raises(AudiobookError, match="no such encoding"):
        read_text(path, "klingon")
    (tmp_path / "audiobook.toml").write_text('[input]\nencoding = "big5"\n', "utf-8")
    result = run_cli("script", "novel.txt", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["chapters"][0]["title"] == "开始"  # read, then simplified


# --- chapter headings ---------------------------------------------------------------------

FAMILIES = {
    "第N章": ["第1章 开端", "第2章 相遇", "第3章 离别", "第4章 重逢"],
    "第N章 Chinese": ["第一章 开端", "第二章 相遇", "第三章 离别", "第四章 重逢"],
    "第N章 full-width": ["第１章 开端", "第２章 相遇", "第３章 离别", "第４章 重逢"],
    "第N章 financial": ["第壹章 开端", "第贰章 相遇", "第叁章 离别", "第肆章 重逢"],
    "第N节": ["第一节 开端", "第二节 相遇", "第三节 离别", "第四节 重逢"],
    "第N回": ["第一回 开端", "第二回 相遇", "第三回 离别", "第四回 重逢"],
    "第N话": ["第1话 开端", "第2话 相遇", "第3话 离别", "第4话 重逢"],
    "bare Arabic": ["1", "2", "3", "4"],
    "bare padded": ["001", "002", "003", "004"],
    "bare Chinese": ["一", "二", "三", "四"],
    "1、标题": ["1、开端", "2、相遇", "3、离别", "4、重逢"],
    "一、标题": ["一、开端", "二、相遇", "三、离别", "四、重逢"],
    "Chapter N": ["Chapter 1 Start", "Chapter 2 Meeting", "Chapter 3 Parting", "Chapter 4 Again"],
    "Part N": ["Part 1", "Part 2", "Part 3", "Part 4"],
    "Episode N": ["Episode 1", "Episode 2", "Episode 3", "Episode 4"],
    "【第N章】": ["【第一章】开端", "【第二章】相遇", "【第三章】离别", "【第四章】重逢"],
    "〖第N章〗": ["〖第一章 开端〗", "〖第二章 相遇〗", "〖第三章 离别〗", "〖第四章 重逢〗"],
    "☆、第N章": ["☆、第一章", "☆、第二章", "☆、第三章", "☆、第四章"],
    "☆、标题": ["☆、开端", "☆、相遇", "☆、离别", "☆、重逢"],
    "书名(N)": ["长夜(1)", "长夜(2)", "长夜(3)", "长夜(4)"],
    "正文 标题": ["正文 开端", "正文 相遇", "正文 离别", "正文 重逢"],
    "正文 第N章": ["正文 第一章 开端", "正文 第二章 相遇", "正文 第三章 离别", "正文 第四章 重逢"],
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_heading_family_with_its_prose_traps(family: str) -> None:
    headings = FAMILIES[family]
    text = "《长夜》\n作者：某人\n\n" + "".join(
        f"{h}\n" + story(k) * 4 + PROSE_TRAPS + story(k + 10) for k, h in enumerate(headings)
    )
    book = book_from_text(text, "x")
    assert len(book.chapters) == 4, [c.heading for c in book.chapters]
    assert book.title == "长夜"
    for chapter in book.chapters:  # every trap stayed in its chapter's text
        spoken = "".join(s.text for s in chapter.segments)
        assert "第二天早上" in spoken and "第三章的时候" in spoken and "1998" in spoken


@pytest.mark.parametrize(
    ("headings", "numbers"),
    [
        (
            ["卷一 风起", "第一章 开端", "第二章 相遇", "卷二 云涌", "第一章 离别", "第二章 重逢"],
            [1, 2, 1, 2],
        ),
        (
            ["楔子", "第1章 开端", "第2章 相遇", "尾声", "后记", "番外一 后来"],
            [None, 1, 2, None, None, 1],
        ),
    ],
    ids=["volumes restart", "named parts"],
)
def test_volumes_and_named_parts(headings: list[str], numbers: list) -> None:
    text = "".join(f"{h}\n" + story(k) * 3 for k, h in enumerate(headings) if "卷" not in h)
    if "卷一 风起" in headings:
        text = "".join(
            f"{h}\n" + ("" if h.startswith("卷") else story(k) * 3) for k, h in enumerate(headings)
        )
    book = book_from_text(text, "x")
    assert [c.number for c in book.chapters] == numbers


def test_double_heading_and_table_of_contents() -> None:
    contents = "目录\n" + "".join(f"第{n}章 标题{n}\n" for n in range(1, 6))
    body = "".join(f"第{n}章 标题{n}\n第{n}章 标题{n}\n" + story(n) * 3 for n in range(1, 6))
    script = script_of(contents + "\n" + body)
    assert [c.title for c in script.book.chapters] == [f"标题{n}" for n in range(1, 6)]
    assert [r.text for r in script.removed if r.reason == "contents"] == [
        f"第{n}章 标题{n}" for n in range(1, 6)
    ]


def test_120_bare_numbers_and_a_year_line() -> None:
    text = "".join(f"{n}\n" + story(n) * 2 + ("2008\n" if n == 60 else "") for n in range(1, 121))
    book = book_from_text(text, "x")
    assert [c.number for c in book.chapters] == list(range(1, 121))
    assert "2008" in "".join(s.text for s in book.chapters[59].segments)


def test_a_heading_glued_to_the_paragraph_before() -> None:
    text = "".join(
        f"{h}\n" + story(k) * 3 + ("这是结尾。" + "三" if k == 2 else "") + "\n"
        for k, h in enumerate(["一", "二"], 1)
    ) + "".join(f"{h}\n" + story(k) * 3 for k, h in enumerate(["四", "五"], 4))
    book = book_from_text(text, "x")
    assert [c.number for c in book.chapters] == [1, 2, 3, 4, 5]
    assert book.chapters[1].segments[-1].text == "这是结尾。"


def test_a_numbered_list_inside_chapters_is_not_a_heading() -> None:
    listing = "1、买菜\n2、做饭\n3、洗碗\n"
    text = "".join(f"第{n}章 日子\n" + story(n) + listing + story(n) for n in range(1, 4))
    book = book_from_text(text, "x")
    assert len(book.chapters) == 3
    assert "买菜" in "".join(s.text for s in book.chapters[0].segments)


def test_chapter_pattern_overrides_and_a_long_chapter_is_noted() -> None:
    text = "".join(
        f"~~ {n} ~~\n" + "".join(story(1000 * n + k) for k in range(500)) for n in range(1, 4)
    )
    unsplit = script_of(text)
    assert len(unsplit.book.chapters) == 1
    [note] = unsplit.notes
    assert "--chapter-pattern" in note
    split = script_of(text, chapter_pattern=r"~~ (?P<number>\d+) ~~")
    assert [c.number for c in split.book.chapters] == [1, 2, 3] and not split.notes


def test_bad_chapter_pattern_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text(story(1), "utf-8")
    result = run_cli("script", "b.txt", "--chapter-pattern", "(", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("Error:")
    assert len(result.stderr.strip().splitlines()) == 1


# --- cleanup ------------------------------------------------------------------------------


def test_an_ad_inside_a_paragraph_is_cut_and_the_paragraph_stays() -> None:
    text = (
        "第一章 开始\n"
        + story(1)
        + "4020.cn况且，吃完就得走，还不许拉出车去，大年底下的。\n"
        + '他推开门，wＷw．xiＡoshＵotxt.neｔt小$说$天"堂外面下着大雨，一片漆黑。\n'
        + story(2)
    )
    script = script_of(text)
    spoken = "".join(s.text for s in script.book.chapters[0].segments)
    assert "况且，吃完就得走" in spoken and "他推开门，外面下着大雨" in spoken
    assert "4020" not in spoken and "说" in spoken and "天堂" not in spoken
    cut = {r.text: r.reason for r in script.removed}
    assert cut["4020.cn"] == "url"
    assert any(text.endswith('小$说$天"堂') for text in cut) and len(cut) == 2


def test_dialogue_with_a_greater_than_sign_is_story() -> None:
    text = "第一章 开始\n他说：“<voice name='x'>你好</voice> > 再见。”\n" + story(1)
    script = script_of(text, "x")
    assert script.removed == [] and script.book.title is None
    assert any("你好" in s.text for s in script.book.chapters[0].segments)


def test_site_notices_at_top_and_bottom_go() -> None:
    text = (
        "申明:本书由4020电子书()自网络收集整理制作,仅供预览交流学习使用\n\n一\n"
        + story(1) * 3
        + "二\n"
        + story(2) * 3
        + "三\n"
        + story(3) * 3
        + "\n，，请登陆4020电子书--\n"
    )
    script = script_of(text)
    assert [r.reason for r in script.removed] == ["notice", "notice"]
    assert len(script.book.chapters) == 3


def test_zhengwen_prefix_is_not_the_title_and_a_site_file_name_is_plain(tmp_path: Path) -> None:
    text = "".join(f"正文 第{n}章 标题{n}\n" + story(n) * 2 for n in range(1, 4))
    assert book_from_text(text, "x").title is None
    path = tmp_path / "[www.xx.com]长夜.txt"
    path.write_text(text, "utf-8")
    script = read_script(path, Config())
    assert script.book.name == "长夜"
    result = run_cli("script", path.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[www.xx.com]" not in result.stdout and "长夜" in result.stdout


def test_camel_xiangzi_as_downloaded() -> None:
    """骆驼祥子 from a site: bare-numeral headings (八, 九 and 十八 glued to the end of the
    paragraph before), ad domains glued to paragraphs, a notice at the top and a footer."""
    path = DATA / "骆驼祥子.txt"
    script = make_script(load(path), path.stem)
    book = script.book
    numbers = [c.number for c in book.chapters]
    assert numbers == list(range(1, 25))
    assert (book.title, book.author) == ("骆驼祥子", "老舍")
    assert sorted({r.reason for r in script.removed}) == ["notice", "url"]
    spoken = skeleton("".join(s.text for c in book.chapters for s in c.segments))
    glued = re.compile("(?<=[。！？])[一二三四五六七八九十]+$")  # a heading, now a chapter
    story_lines = [
        skeleton(glued.sub("", line.replace("4020.cn", "")))
        for line in path.read_text("utf-8").splitlines()
    ]
    lost = [line for line in story_lines[4:-3] if len(line) > 3 and line not in spoken]
    assert lost == []


def skeleton(text: str) -> str:
    """Only the hanzi: what is heard, whatever happened to marks and notes."""
    return "".join(HANZI.findall(text))


# --- linear time (speed is the bench's; here: it finishes and nothing is lost) ------------

NOVEL = (DATA / "鲁迅小说集.txt").read_text("utf-8-sig")


@pytest.mark.parametrize(
    "text",
    [
        (NOVEL * 2).replace("\n", ""),
        "他" * 50_000 + "。",
        "他说：“" + "今天天气很好，我们去散步吧。" * 60_000,
        "（" * 5_000 + "今天天气很好" * 150_000,
        "(" + "今天天气很好" * 150_000,
        "'" + "今天天气很好" * 150_000,
        "\n".join(f"“第{i}句话。”他说。" for i in range(20_000)),
    ],
    ids=[
        "one 1 MB line",
        "a 50,000-character sentence",
        "unclosed quote",
        "unclosed parenthesis",
        "unclosed ASCII parenthesis",
        "unclosed single quote",
        "20,000 paragraphs",
    ],
)
def test_long_inputs_lose_nothing(text: str) -> None:
    book = book_from_text(text, "x")
    said = sum(len(s.text) for c in book.chapters for s in c.segments)
    assert said >= 0.9 * len(text.replace("“", "").replace("”", "")) - 60_000
    narration = [s for c in book.chapters for s in c.segments if s.kind == "narration"]
    assert max(len(s.text) for s in narration) <= 200


# --- names are never markup ----------------------------------------------------------------


def test_names_are_printed_as_they_are(tmp_path: Path) -> None:
    from tests.fake_edge import FakeEdgeServer

    (tmp_path / "[b]长夜.txt").write_text(
        "第一章 [i]开端\n[red]阿三[/red]说：“你好。”\n" + story(1), "utf-8"
    )
    result = run_cli("script", "[b]长夜.txt", cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "[b]长夜" in result.stdout and "[i]开端" in result.stdout
    with FakeEdgeServer() as server:
        args = ["build", "[b]长夜.txt", "--engine", "edge", "-o", "out"]
        env = {"AUDIOBOOK_EDGE_URL": server.url, "COLUMNS": "200"}
        result = run_cli(*args, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "[b]长夜" in result.stderr and "[i]开端" in result.stdout
    missing = run_cli("script", "[x]无.txt", cwd=tmp_path)
    assert "[x]无.txt" in missing.stderr


def test_an_unclosed_quote_ends_at_the_next_opening_mark() -> None:
    """Without line breaks, a quote left open must not swallow the rest of the book."""
    text = "他说：“你来了。她笑道：“我来了。”" + story(1).strip() * 50
    chapter = book_from_text(text, "x").chapters[0]
    speech = [s.text for s in chapter.segments if s.kind == "speech"]
    assert speech[:2] == ["你来了。她笑道：", "我来了。"]
    assert max(len(s.text) for s in chapter.segments) < 100
