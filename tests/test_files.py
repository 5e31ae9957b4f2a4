"""Files the tool writes: whole or absent, and readable by others as any new file is."""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager

from audiobook.files import write_atomic


@contextmanager
def umask(mask: int):
    saved = os.umask(mask)
    try:
        yield
    finally:
        os.umask(saved)


def test_atomic_writes_get_the_umask_mode_and_leave_no_temporary_file(tmp_path) -> None:
    with umask(0o027):
        write_atomic(tmp_path / "a.txt", "甲")
    with umask(0o022):
        write_atomic(tmp_path / "b.bin", b"\x00")
        write_atomic(tmp_path / "b.bin", b"\x01")  # replacing keeps the mode right too
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b.bin").stat().st_mode) == 0o644
    assert (tmp_path / "b.bin").read_bytes() == b"\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]
