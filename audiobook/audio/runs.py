"""Runs: consecutive sentences in one voice sent as one request, and cut apart again.

For an engine that takes long texts (``engine.run_bytes`` > 0: the online voices, where
each request costs a round trip and too many get an address banned), the consecutive
lines of a chapter that share a voice are one job, up to that many bytes: a narration
passage, a long speech. Never across a change of voice, a heading or a chapter, so every
speaker keeps their voice. A run of one line is the plain sentence job it always was.

The service says where each word is heard in the answer (WordBoundary events; older cache
entries hold SentenceBoundary events, which serve as well when they line up). Each line is
cut out of the run's audio midway between its last word and the next line's first; our
pauses, subtitles and chapter markers are then placed exactly as for single sentences.
When the events do not line up with our lines (none came, or the service read the text
otherwise), ``cuts`` says so and that run is synthesized again sentence by sentence.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import accumulate, pairwise

from audiobook.audio.render import Line
from audiobook.speech.engines import Boundary
from audiobook.speech.runner import Job
from audiobook.text.hanzi import HANZI_RANGES

# A line joins the one before only if that one ends in punctuation (。！？……；—— and any
# closing marks): a line without, the service would read on into the next as one phrase
_ENDS_PHRASE = re.compile(f"[^0-9A-Za-z{HANZI_RANGES}\\s]\\s*$")
_NOT_SPOKEN = re.compile(f"[^0-9A-Za-z{HANZI_RANGES}]")


def group_runs(lines: list[Line], run_bytes: int, key_of) -> list[Line]:
    """``lines`` with the consecutive ones of one voice sharing a run job (``key_of(text,
    voice)`` names it), each with its place in the run."""
    if run_bytes <= 0:
        return lines
    runs: list[list[Line]] = []
    for line in lines:
        current = runs[-1] if runs else None
        if current is not None and _joins(current, line, run_bytes):
            current.append(line)
        else:
            runs.append([line])
    out: list[Line] = []
    for run in runs:
        if len(run) == 1:
            out += run
            continue
        voice = run[0].job.voice  # type: ignore[union-attr]: runs hold jobs only
        parts = tuple(line.job.text for line in run)  # type: ignore[union-attr]: as above
        text = "".join(parts)
        job = Job(key_of(text, voice), text, voice, parts)
        out += [replace(line, job=job, part=k) for k, line in enumerate(run)]
    return out


def _joins(run: list[Line], line: Line, run_bytes: int) -> bool:
    last = run[-1]
    return (
        line.job is not None
        and last.job is not None
        and line.segment is not None
        and last.segment is not None  # a heading is read on its own
        and line.job.voice == last.job.voice
        and bool(_ENDS_PHRASE.search(last.job.text))
        and len("".join(x.job.text for x in (*run, line)).encode("utf-8")) <= run_bytes  # type: ignore[union-attr]
    )


def cuts(boundaries: tuple[Boundary, ...], parts: tuple[str, ...]):
    """(start_ms, end_ms) of each part in the run's audio (the last to its end), cut midway
    between the words (or sentences) the service reports; None when those do not line up
    with the parts."""
    boundaries = tuple(b for b in boundaries if _NOT_SPOKEN.sub("", b.text))
    spoken = [len(_NOT_SPOKEN.sub("", part)) for part in parts]
    heard = [len(_NOT_SPOKEN.sub("", b.text)) for b in boundaries]
    if not boundaries or sum(spoken) != sum(heard) or 0 in spoken:
        return None
    if any(b.offset_ms < a.offset_ms for a, b in pairwise(boundaries)):
        return None
    starts = {at: k for k, at in enumerate(accumulate([0, *heard[:-1]]))}
    edges = [0]
    for at in list(accumulate(spoken))[:-1]:
        k = starts.get(at)
        if k is None or k == 0:
            return None  # one of our lines ends inside one of the service's sentences
        before, after = boundaries[k - 1], boundaries[k]
        edges.append((before.offset_ms + before.duration_ms + after.offset_ms) // 2)
    edges.append(_TO_THE_END)
    return list(pairwise(edges))


_TO_THE_END = 10**9  # ms: past the end of any answer


def placed(lines: list[Line], cache, key_of) -> tuple[list[Line], list[Job]]:
    """The lines of synthesized runs with the place in their run's audio where each is
    heard; the lines of a run that cannot be cut get jobs of their own, returned to be
    synthesized."""
    out: list[Line] = []
    spans: dict[str, list[tuple[int, int]] | None] = {}
    again: dict[str, Job] = {}
    for line in lines:
        job = line.job
        if job is None or line.part < 0:
            out.append(line)
            continue
        if job.key not in spans:
            heard = cache.boundaries(job.key)
            spans[job.key] = cuts(heard, job.parts) if heard is not None else None
        found = spans[job.key]
        if found is not None:
            out.append(replace(line, span=found[line.part]))
        else:  # sentence by sentence
            spoken = job.parts[line.part]  # the line's text as the engine is given it
            single = Job(key_of(spoken, job.voice), spoken, job.voice)
            again[single.key] = single
            out.append(replace(line, job=single, part=-1))
    return out, list(again.values())
