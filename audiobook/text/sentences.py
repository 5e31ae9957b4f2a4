"""Paragraphs to sentences."""

from __future__ import annotations

import re

# A sentence ends at a run of end marks (。！？!? or an ellipsis), with the closing quotes
# and brackets that follow kept on the sentence they close.
_SENTENCE = re.compile(r"[^。！？!?…]*?(?:(?:[。！？!?]|…+)+[”’\"'」』）)\]】》]*|[^。！？!?…]+$)")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, in order, none empty; nothing is dropped."""
    return [s.strip() for s in _SENTENCE.findall(paragraph.strip()) if s.strip()]
