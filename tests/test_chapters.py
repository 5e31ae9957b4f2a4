import pytest

from audiobook.text.headings import match_heading, parse_number
from audiobook.text.reading import read_text
from audiobook.text.script import book_from_text
from tests.conftest import DATA, SEEDS


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("431", 431),
        ("４３１", 431),
        ("四百三十一", 431),
        ("一千零一", 1001),
        ("十", 10),
        ("二十三", 23),
        ("两百", 200),
        ("一万二千", 12000),
        ("四三一", 431),
        ("贰拾", 20),
    ],
)
def test_parse_number(numeral: str, value: int) -> None:
    assert parse_number(numeral) == value


@pytest.mark.parametrize(
    ("line", "marker", "number", "title", "prefix"),
    [
        ("第431章 暗访缙金科技园", "第431章", 431, "暗访缙金科技园", ""),
        ("第四百三十一章　暗访", "第四百三十一章", 431, "暗访", ""),
        ("第１２回：大闹天宫", "第１２回", 12, "大闹天宫", ""),
        ("第三卷", "第三卷", 3, "", ""),
        (
            "重生官路:巅峰父子 第431章 暗访缙金科技园",
            "第431章",
            431,
            "暗访缙金科技园",
            "重生官路:巅峰父子",
        ),
    ],
)
def test_headings(line: str, marker: str, number: int, title: str, prefix: str) -> None:
    heading = match_heading(line)
    assert heading is not None
    assert (heading.marker, heading.number, heading.title, heading.prefix) == (
        marker,
        number,
        title,
        prefix,
    )


@pytest.mark.parametrize(
    "line",
    [
        "第二天早上，他又来了。",
        "第二，这是一个问题。",
        "他读到第三章的时候睡着了。",
        "第二回合他输了。",
    ],
)
def test_prose_is_not_a_heading(line: str) -> None:
    assert match_heading(line) is None


def test_seed_000_title_chapter_and_breadcrumb() -> None:
    book = book_from_text(read_text(SEEDS / "000_041c593aa96c4732.txt"), "000")
    assert book.title == "重生官路:巅峰父子"
    assert len(book.chapters) == 1
    chapter = book.chapters[0]
    assert (chapter.order, chapter.number, chapter.title) == (1, 431, "暗访缙金科技园")
    assert chapter.heading == "第431章 暗访缙金科技园"
    spoken = "".join(s.text for s in chapter.segments)
    assert "下书看" not in spoken and ">" not in spoken
    assert chapter.segments[0].text.startswith("各县区不乏真正想要做事的干部")
    assert chapter.segments[-1].paragraph > 20  # paragraphs are kept apart


def test_chapters_split_in_order_with_front_matter() -> None:
    text = "《测试之书》\n作者：某人\n\n第一章 起\n甲。乙。\n\n第二章 承\n丙！\n第3章\n丁？\n"
    book = book_from_text(text, "fallback")
    assert (book.title, book.author) == ("测试之书", "某人")
    assert [(c.order, c.number, c.title) for c in book.chapters] == [
        (1, 1, "起"),
        (2, 2, "承"),
        (3, 3, "第3章"),
    ]
    assert [s.text for s in book.chapters[0].segments] == ["甲。", "乙。"]


def test_a_file_without_headings_is_one_chapter_named_after_the_file() -> None:
    book = book_from_text("只有一段话。没有标题。\n第二段。", "我的小说")
    assert book.title is None  # the text names none ...
    assert book.name == "我的小说"  # ... so files and tags use the file name
    assert [c.title for c in book.chapters] == [None]
    assert book.chapter_title(book.chapters[0]) == "我的小说"
    assert [(s.paragraph, s.text) for s in book.chapters[0].segments] == [
        (0, "只有一段话。"),
        (0, "没有标题。"),
        (1, "第二段。"),
    ]


def test_a_repeated_heading_line_makes_one_chapter() -> None:
    book = book_from_text("第1章 开端\n第1章 开端\n正文。\n", "x")
    assert len(book.chapters) == 1


def test_gb18030_story_reads_as_one_chapter() -> None:
    book = book_from_text(read_text(DATA / "故乡-gb18030.txt"), "故乡")
    assert [c.title for c in book.chapters] == ["故乡"]
    assert book.chapters[0].characters > 4000
