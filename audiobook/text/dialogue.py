"""Quotes in a chapter's paragraphs: real speech, or a term quoted inside narration.

A paragraph is cut into pieces: narration, and quotes (the text inside “…”). Nested
quotes (‘…’ or “…” inside a quote) stay inside their quote. A quote may span paragraphs:
its opening mark is repeated at each paragraph and it closes only at the last one.

A quote is speech when something marks it as said or thought: a colon before it
(说：“…”), a clause ending in a comma before it (他点了点头，“…”), standing at the start of
its paragraph, sentence punctuation inside it, or a speech verb right after it (“…”他说).
A short quote inside a running sentence with none of these is a quoted term
(那不是“形象工程”，而是…) and stays in the narration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiobook.text.words import SPEECH_VERBS

OPEN, CLOSE = "“", "”"
INNER_OPEN, INNER_CLOSE = "‘", "’"
_SENTENCE_END = re.compile(r"[。！？!?…]")
_TAG_AFTER = re.compile(r"^[^。！？“”]{0,12}?(?:" + "|".join(SPEECH_VERBS) + r")")
EMPHASIS_MAX = 12  # a quoted term is short
# A comma inside the closing mark: speech that a tag cuts (a term takes its comma outside).
_CUT_BY_TAG = re.compile(r"[，,][—…]*$")
_EXCLAIMED = re.compile(r"^(?:了|地|的)?一声")  # 他“啊”了一声: a cry is speech
# A verb of saying right before the quote: 说道“请请”, 骂了一声“老畜生”, 说我“胖了”. Not
# a name (叫“长凳”), a word avoided or meant (讳说“癞”, 想说“…”, 不必说“…”), a saying
# reported (说过“…”, 说了“…”这话) or a term (知道“…”).
_SAID_BEFORE = re.compile(
    r"(?:(?<![想讳要会能敢肯听必据])说(?:道|着)?(?:我|你|他|她)?|(?<![知味街轨])道|问道?|"
    r"[喊嚷骂叫笑答]道|[喊嚷骂叫](?:了|着)?一声)$"
)
_REPORTED_AFTER = re.compile(r"^(?:这|那|的|之|以后)")


@dataclass(frozen=True)
class Piece:
    text: str
    quoted: bool  # text was inside quote marks
    opens_paragraph: bool = False  # the quote is the first thing in its paragraph
    continues: bool = False  # the quote carries on from the previous paragraph
    unclosed: bool = False  # ... and carries on into the next one
    before: str = ""  # narration right before the quote, in the same paragraph
    after: str = ""  # narration right after it


def split_quotes(paragraph: str, open_quote: bool = False) -> tuple[list[Piece], bool]:
    """Pieces of one paragraph, and whether a quote is still open at its end.
    ``open_quote`` says a quote from the previous paragraph is still open."""
    pieces: list[_Draft] = []
    depth = 0
    start = 0
    i = 0
    continues = False
    if open_quote and paragraph.startswith(OPEN):  # the repeated opening mark
        depth, start, i, continues = 1, 1, 1, True
    # else: a quote left open ends with its paragraph (a quote that goes on repeats its
    # opening mark), so that a missing closing mark never swallows the story after it
    while i < len(paragraph):
        ch = paragraph[i]
        if ch == OPEN and depth == 0:
            if i > start:
                pieces.append(_Draft(paragraph[start:i], quoted=False))
            depth, start = 1, i + 1
        elif ch == OPEN and depth == 1:
            # “ inside “…: Chinese nests with ‘’, so this is a quote left unclosed (or a
            # continuation whose paragraph break was lost): the old quote ends here. Nesting
            # would run it to the end of the book.
            pieces.append(_Draft(paragraph[start:i], quoted=True, continues=continues))
            continues = False
            start = i + 1
        elif ch in (OPEN, INNER_OPEN) and depth >= 1:
            depth += 1
        elif ch in (CLOSE, INNER_CLOSE) and depth > 1:
            depth -= 1
        elif ch == CLOSE and depth == 1:
            pieces.append(_Draft(paragraph[start:i], quoted=True, continues=continues))
            continues = False
            depth, start = 0, i + 1
        i += 1
    still_open = depth >= 1
    if start < len(paragraph):
        pieces.append(
            _Draft(paragraph[start:], quoted=still_open, continues=continues, unclosed=still_open)
        )
    elif still_open and not pieces:
        still_open = True
    return _finish(pieces), still_open


@dataclass
class _Draft:
    text: str
    quoted: bool
    continues: bool = False
    unclosed: bool = False


def _finish(drafts: list[_Draft]) -> list[Piece]:
    out = []
    for k, d in enumerate(drafts):
        before = drafts[k - 1].text if k > 0 and not drafts[k - 1].quoted else ""
        after = drafts[k + 1].text if k + 1 < len(drafts) and not drafts[k + 1].quoted else ""
        out.append(
            Piece(
                text=d.text,
                quoted=d.quoted,
                opens_paragraph=d.quoted and k == 0,
                continues=d.continues,
                unclosed=d.unclosed,
                before=before,
                after=after,
            )
        )
    return out


def is_speech(piece: Piece) -> bool:
    """Whether a quoted piece is speech (or thought) rather than a quoted term."""
    text = piece.text.strip()
    if piece.continues or piece.unclosed:
        return True
    before = piece.before.rstrip()
    if before.endswith(("：", ":")):
        return True
    if _SENTENCE_END.search(text):
        return True
    if _CUT_BY_TAG.search(text) or _EXCLAIMED.match(piece.after):
        return True  # “那还用说，”矮子道，“…”; 他“啊”了一声
    if piece.opens_paragraph and (not piece.after.strip() or len(text) > EMPHASIS_MAX):
        return True
    said = _SAID_BEFORE.search(before) and not _REPORTED_AFTER.match(piece.after)
    if said or (piece.opens_paragraph and text.endswith(("——", "……"))):
        return True  # 说道“请请”; “就是——”她走近两步: a line broken off
    if (
        before.endswith(("，", ","))
        and (not piece.after.strip() or _TAG_AFTER.match(piece.after))
        and len(text) > 2
    ):
        return True
    if _TAG_AFTER.match(piece.after) and (piece.opens_paragraph or before.endswith("，")):
        return True
    return len(text) > 2 * EMPHASIS_MAX and "，" in text
