import pytest

from audiobook.text.sentences import split_sentences


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        ("他说：“你好。”然后走了。", ["他说：“你好。”", "然后走了。"]),
        ("真的吗？！不会吧……好。", ["真的吗？！", "不会吧……", "好。"]),
        ("没有标点", ["没有标点"]),
        ("Is it?Yes!", ["Is it?", "Yes!"]),
        ("  前后有空格。  ", ["前后有空格。"]),
        ("", []),
    ],
)
def test_split_sentences(paragraph: str, sentences: list[str]) -> None:
    assert split_sentences(paragraph) == sentences


def test_nothing_is_lost() -> None:
    paragraph = "张安平点了点头,“对了!明天……还有,”他想了想——“算了?”好。"
    assert "".join(split_sentences(paragraph)) == paragraph
