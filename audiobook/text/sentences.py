"""Paragraphs to sentences."""

from __future__ import annotations

import re

# A sentence ends at a run of end marks (。！？!? or an ellipsis), with the closing quotes
# and brackets that follow kept on the sentence they close.
_SENTENCE = re.compile(r"[^。！？!?…]*?(?:(?:[。！？!?]|…+)+[”’\"'」』）)\]】》]*|[^。！？!?…]+$)")
MAX_SENTENCE_CHARS = 200  # longer than any real sentence (鲁迅's longest: 183)
_CLAUSE = re.compile(r"[^，,；;：:、]+[，,；;：:、]*|[，,；;：:、]+")
_WORD = re.compile(r"\S+\s*|\s+")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, in order, none empty; nothing is dropped. A run longer
    than MAX_SENTENCE_CHARS (no end mark for pages) is cut at commas, then at spaces,
    then every MAX_SENTENCE_CHARS characters, so that no line is a giant one."""
    sentences = []
    for found in _SENTENCE.findall(paragraph.strip()):
        sentence = found.strip()
        if len(sentence) > MAX_SENTENCE_CHARS:
            sentences += [s.strip() for s in _cut(sentence) if s.strip()]
        elif sentence:
            sentences.append(sentence)
    return sentences


def _cut(text: str) -> list[str]:
    pieces = []
    for clause in _CLAUSE.findall(text):
        if len(clause) <= MAX_SENTENCE_CHARS:
            pieces.append(clause)
            continue
        for word in _WORD.findall(clause):
            pieces += [
                word[k : k + MAX_SENTENCE_CHARS] for k in range(0, len(word), MAX_SENTENCE_CHARS)
            ]
    return _pack(pieces)


def _pack(pieces: list[str]) -> list[str]:
    """Consecutive pieces joined while they fit in MAX_SENTENCE_CHARS."""
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + len(piece) <= MAX_SENTENCE_CHARS:
            out[-1] += piece
        else:
            out.append(piece)
    return out
