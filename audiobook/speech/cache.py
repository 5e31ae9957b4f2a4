"""The segment cache: every synthesized segment on disk, so nothing is synthesized twice.

A key covers everything the audio depends on (engine and its version, voice and offsets,
text). An entry is two files, the audio and a small JSON record written after it; the
record is the mark of a finished entry, and both are written atomically, so a crash or
Ctrl-C loses at most the segments in flight. The cache is shared by every book and every
command; delete the folder to reclaim the space.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from audiobook.cast.voices import Voice
from audiobook.files import write_atomic
from audiobook.speech.engines import Boundary, Speech

CACHE_VARIABLE = "AUDIOBOOK_CACHE"


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "audiobook"


def segment_key(engine_name: str, engine_version: str, voice: Voice, text: str) -> str:
    payload = {
        "engine": engine_name,
        "version": engine_version,
        "voice": voice.sound,
        "text": text,
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


class SegmentCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_cache_dir()) / "segments"

    def _record(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def __contains__(self, key: str) -> bool:
        return self._record(key).is_file()

    def get(self, key: str) -> Speech | None:
        try:
            record = json.loads(self._record(key).read_text("utf-8"))
            audio = (self.root / key[:2] / f"{key}.{record['format']}").read_bytes()
        except (FileNotFoundError, ValueError, KeyError):
            return None  # absent, or damaged: synthesize it again
        marks = tuple(Boundary(*b) for b in record.get("boundaries", []))
        return Speech(audio, record["format"], marks)

    def put(self, key: str, speech: Speech, text: str) -> None:
        write_atomic(self.root / key[:2] / f"{key}.{speech.format}", speech.audio)
        record = {
            "format": speech.format,
            "text": text,
            "boundaries": [[b.offset_ms, b.duration_ms, b.text] for b in speech.boundaries],
        }
        write_atomic(self._record(key), json.dumps(record, ensure_ascii=False))
