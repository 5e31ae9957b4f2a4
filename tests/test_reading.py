import codecs
from pathlib import Path

import pytest

from audiobook.errors import AudiobookError
from audiobook.text.reading import read_text
from tests.conftest import DATA

TEXT = "第一章 开始\n\n“你好，”他说。\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("gb18030"),
        TEXT.replace("\n", "\r\n").encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gb18030-crlf"],
)
def test_reads_utf8_and_gb18030(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(data)
    assert read_text(path) == TEXT


def test_reads_the_gb18030_corpus_story() -> None:
    text = read_text(DATA / "故乡-gb18030.txt")
    assert "故乡" in text.splitlines()[0]
    assert "\r" not in text
    assert "闰土" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b" \n\r\n\t", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(0x80, 0x100)) * 4, "cannot decode"),
    ],
    ids=["empty", "blank", "binary", "undecodable"],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(AudiobookError, match=message):
        read_text(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(AudiobookError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(AudiobookError, match="folder"):
        read_text(tmp_path)
