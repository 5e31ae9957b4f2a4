"""The segment cache: every synthesized segment on disk, so nothing is synthesized twice.

A key covers everything the audio depends on (engine and its version, voice and offsets,
text). An entry is two files, the audio and a small JSON record written after it, naming
the audio's size and hash; the record is the mark of a finished entry. Both are written
atomically and flushed to the disk before the record, so a crash, a power cut or Ctrl-C
loses at most the segments in flight. An entry is verified when it is read: a damaged one
(a truncated or emptied audio file) is dropped and its segment synthesized again. The
cache is shared by every book and every command; ``audiobook cache clean`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Usage:
    entries: int
    size: int  # bytes, records included


class SegmentCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_cache_dir()) / "segments"
        self.repaired = 0  # damaged entries dropped since this cache was opened

    def _record(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def __contains__(self, key: str) -> bool:
        """Whether a sound entry is there: a damaged one is dropped, and is not."""
        return self.get(key) is not None

    def boundaries(self, key: str) -> tuple[Boundary, ...] | None:
        """Where the words (or, in older entries, the sentences) of an entry are heard,
        from its record alone (the audio is not read again: for an entry the runner has
        just checked); None if it has none."""
        try:
            record = json.loads(self._record(key).read_text("utf-8"))
            return _marks(record)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def get(self, key: str) -> Speech | None:
        record_path = self._record(key)
        try:
            record = json.loads(record_path.read_text("utf-8"))
            audio_path = self.root / key[:2] / f"{key}.{record['format']}"
            audio = audio_path.read_bytes()
            marks = _marks(record)
        except FileNotFoundError:
            if record_path.exists():
                self._drop(key)  # a record without its audio
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._drop(key)
            return None
        if not _sound(audio, record):
            self._drop(key)
            return None
        return Speech(audio, record["format"], marks)

    def put(self, key: str, speech: Speech, text: str) -> None:
        write_atomic(self.root / key[:2] / f"{key}.{speech.format}", speech.audio, durable=True)
        record = {
            "format": speech.format,
            "size": len(speech.audio),
            "sha256": hashlib.sha256(speech.audio).hexdigest(),
            "text": text,
            "boundaries": [[b.offset_ms, b.duration_ms, b.text] for b in speech.boundaries],
        }
        write_atomic(self._record(key), json.dumps(record, ensure_ascii=False), durable=True)

    def _drop(self, key: str) -> None:
        for path in self.root.glob(f"{key[:2]}/{key}.*"):
            path.unlink(missing_ok=True)
        self.repaired += 1

    def usage(self) -> Usage:
        entries = size = 0
        for path in self._files():
            entries += path.suffix == ".json"
            size += path.stat().st_size
        return Usage(entries, size)

    def clean(self, older_than_s: float | None = None) -> Usage:
        """Remove every entry, or those written more than ``older_than_s`` seconds ago;
        what was removed. Temporary files of a write that never finished go too."""
        cutoff = None if older_than_s is None else time.time() - older_than_s
        removed_entries = removed_size = 0
        for path in list(self._files()):
            stat = path.stat()
            if cutoff is None or stat.st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed_entries += path.suffix == ".json"
                removed_size += stat.st_size
        for folder in self.root.glob("*/") if self.root.is_dir() else ():
            if not any(folder.iterdir()):
                folder.rmdir()
        return Usage(removed_entries, removed_size)

    def _files(self):
        if self.root.is_dir():
            yield from (p for p in self.root.glob("*/*") if p.is_file())


def _marks(record: dict) -> tuple[Boundary, ...]:
    return tuple(Boundary(*b) for b in record.get("boundaries", []))


def _sound(audio: bytes, record: dict) -> bool:
    """The audio is what the record says it is: its size and hash (an entry written before
    records had them needs only to be non-empty)."""
    if "size" not in record:
        return len(audio) > 0
    return len(audio) == record["size"] and hashlib.sha256(audio).hexdigest() == record["sha256"]
