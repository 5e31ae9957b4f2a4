"""Normalising a paragraph of Chinese prose: spaces, punctuation width, quote marks,
footnote markers. Pure functions over strings."""

from __future__ import annotations

import re

from audiobook.text.hanzi import HANZI, HANZI_RANGES

_SPACES = re.compile(r"[\s\u3000\u00a0\u2000-\u200b\u202f\u205f\ufeff]+")
# Full-width Latin letters and digits (Ａ, ０) to ASCII; full-width punctuation stays.
_FULL_WIDTH_ALNUM = str.maketrans(
    {
        chr(c): chr(c - 0xFEE0)
        for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    }
)
_CJK_OR_MARK = HANZI_RANGES + r"\u3000-\u303f\uff00-\uffef“”‘’…—"
# Half-width marks next to Chinese text, as both seeds have them (`干部,有人` `了?`).
_HALF_WIDTH = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；"}
_HALF_WIDTH_MARK = re.compile(rf"(?<=[{_CJK_OR_MARK}])[,?!:;]|[,?!:;](?=[{_CJK_OR_MARK}])")
# A pair of brackets, checked for Chinese inside by a function: a pattern that looks for
# it would backtrack quadratically over a long unclosed run.
_PARENS = re.compile(r"\(([^()]*)\)")
# Footnote references: ⑴…⒇, ⒈…⒛, optionally in brackets, and ①…⑳ right after text.
_FOOTNOTE = re.compile(
    r"[（(〔\[]?[\u2474-\u249b][）)〕\]]?"
    rf"|(?<=[{HANZI_RANGES}”’」』。，！？])[\u2460-\u2473]"
)
_CORNER = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’"})


def normalize_spaces(line: str) -> str:
    """One plain space for any run of white space; none at the ends."""
    return _SPACES.sub(" ", line).strip()


def normalize_paragraph(text: str) -> str:
    text = normalize_spaces(text).translate(_FULL_WIDTH_ALNUM)
    text = _FOOTNOTE.sub("", text)
    text = text.translate(_CORNER)
    text = _HALF_WIDTH_MARK.sub(lambda m: _HALF_WIDTH[m[0]], text)
    text = _PARENS.sub(lambda m: f"（{m[1]}）" if HANZI.search(m[1]) else m[0], text)
    text = pair_straight_quotes(text)
    # a space between two Chinese characters is an artefact of line wrapping
    return re.sub(rf"(?<=[{_CJK_OR_MARK}]) (?=[{_CJK_OR_MARK}])", "", text)


def pair_straight_quotes(text: str) -> str:
    """ "…" -> “…”, alternating within the paragraph; single quotes only around
    Chinese text, so English apostrophes stay."""
    if '"' in text:
        parts = text.split('"')
        out = [parts[0]]
        for i, part in enumerate(parts[1:]):
            out.append("“" if i % 2 == 0 else "”")
            out.append(part)
        text = "".join(out)
    if "'" in text:
        text = _pair_single_quotes(text)
    return text


def _pair_single_quotes(text: str) -> str:
    """'…' -> ‘…’ around Chinese text; an apostrophe (don't) pairs with nothing."""
    marks = [i for i, ch in enumerate(text) if ch == "'"]
    out = list(text)
    k = 0
    while k + 1 < len(marks):
        start, end = marks[k], marks[k + 1]
        if HANZI.search(text, start + 1, end):
            out[start], out[end] = "‘", "’"
            k += 2
        else:
            k += 1
    return "".join(out)
