"""Traditional to Simplified Chinese with OpenCC, for analysis and zh-CN voices."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from audiobook.text.hanzi import HANZI

TRADITIONAL_SHARE = 0.03  # of Chinese characters that OpenCC changes: above -> Traditional


@cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@dataclass(frozen=True)
class ScriptConverter:
    traditional: bool

    @classmethod
    def for_text(cls, sample: str) -> ScriptConverter:
        """Decides from a sample whether the text is Traditional Chinese."""
        hanzi = HANZI.findall(sample)
        if not hanzi:
            return cls(traditional=False)
        simplified = _t2s().convert("".join(hanzi))
        changed = sum(a != b for a, b in zip(hanzi, simplified, strict=False))
        return cls(traditional=changed / len(hanzi) > TRADITIONAL_SHARE)

    def to_simplified(self, text: str) -> str:
        return _t2s().convert(text) if self.traditional else text
