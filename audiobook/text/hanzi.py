"""What counts as a Chinese character (hanzi): defined once, for every stage."""

from __future__ import annotations

import re

# CJK Unified Ideographs and Extension A, the Compatibility Ideographs, and Extensions B-H
# with their compatibility supplement (planes 2 and 3): rare characters do occur in names.
HANZI_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U000323af"
HANZI = re.compile(f"[{HANZI_RANGES}]")
