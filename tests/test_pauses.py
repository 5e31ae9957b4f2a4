from audiobook.build import Pauses, _gap
from audiobook.model import Segment


def test_pauses_follow_punctuation_and_paragraphs() -> None:
    pauses = Pauses()
    first = Segment("他来了。", paragraph=0)
    assert _gap(pauses, first, Segment("又走了。", paragraph=0)) == pauses.sentence
    assert _gap(pauses, first, Segment("第二段。", paragraph=1)) == pauses.paragraph
    trailing = Segment("他说：“我……”", paragraph=0)
    assert _gap(pauses, trailing, Segment("没说完。", paragraph=0)) == pauses.trailing_off
    assert pauses.sentence < pauses.trailing_off < pauses.paragraph
