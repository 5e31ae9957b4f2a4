"""A novel as it arrives to a script: cleaned, normalised, in chapters of segments.

This stage is pure: it takes the text (``reading.Source``) and returns the book plus a
report of everything it removed, and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from audiobook.config import Config
from audiobook.errors import AudiobookError
from audiobook.model import Book, Chapter, Segment
from audiobook.text.attribution import analyse
from audiobook.text.chapters import RawChapter, split_chapters
from audiobook.text.cleanup import Removal, breadcrumb_parts, clean_lines, compile_patterns
from audiobook.text.cleanup import remove_repeats as remove_repeated_blocks
from audiobook.text.convert import ScriptConverter
from audiobook.text.dialogue import is_speech, split_quotes
from audiobook.text.headings import Heading, match_heading
from audiobook.text.normalize import normalize_paragraph, normalize_spaces
from audiobook.text.reading import load
from audiobook.text.sentences import split_sentences
from audiobook.text.source import Document, Source

_AUTHOR = re.compile(r"^\s*作\s*者\s*[:：]\s*(?P<author>\S.{0,30}?)\s*$")
_BOOK_MARKS = re.compile(r"《(?P<title>[^》]{1,40})》")
_FRONT_TITLE = re.compile(r"^\s*(?:书名|書名)\s*[:：]\s*(?P<title>\S.{0,40}?)\s*$")
# what a heading's prefix may be without being the book's title: 正文, a volume
_NOT_A_TITLE = re.compile(r"^(?:正文|第.{1,8}[卷集部篇]|卷.{1,8})(?:\s.*)?$")
_SITE_TAG = re.compile(
    r"[\[【（(〔][^\]】）)〕]*(?:www|https?|\.(?:com|net|org|cn|cc))[^\]】）)〕]*[\]】）)〕]", re.I
)
LONG_CHAPTER_CHARS = 50_000  # a chapter this long is probably several, unsplit


@dataclass
class ScriptOptions:
    patterns: list[str] = field(default_factory=list)  # the user's removal regexes
    keep_traditional: bool = False  # for zh-TW voices: no conversion to Simplified
    chapter_pattern: str | None = None  # a regex that starts every heading line


@dataclass
class Script:
    book: Book
    removed: list[Removal]
    traditional: bool  # the input was Traditional Chinese
    converted: bool  # ... and was converted to Simplified
    notes: list[str] = field(default_factory=list)  # for the user: padding dropped, ...


def make_script(
    source: Source, fallback_title: str, options: ScriptOptions | None = None
) -> Script:
    options = options or ScriptOptions()
    patterns = compile_patterns(options.patterns)
    heading_pattern = _compile_chapter_pattern(options.chapter_pattern)
    removed: list[Removal] = []
    titles: list[str] = []  # named as the title (《书名》, 书名：), in order
    title_votes: list[str] = []  # guessed from breadcrumbs and heading prefixes
    author = source.author
    raw_chapters: list[RawChapter] = []
    preface: list[str] = []

    for document in source.documents:
        lines, gone = clean_lines(document.text.split("\n"), patterns)
        removed += gone
        for removal in gone:
            crumbs = breadcrumb_parts(removal.text)
            if crumbs:
                title_votes += crumbs[1:-1]
        split = split_chapters(lines, heading_pattern)
        front, chapters = split.front, split.chapters
        removed += [Removal(line, "contents") for line in split.contents]
        if document.title and not chapters:
            chapters = [_titled_document(document, front)]
            front = []
        for chapter in chapters:
            prefix = chapter.heading.prefix if chapter.heading else ""
            if prefix and not _NOT_A_TITLE.match(prefix):
                title_votes.append(prefix)
        for line in (normalize_spaces(x) for x in front):
            if not line:
                continue
            if found := _AUTHOR.match(line):
                author = author or found["author"]
            elif (found := _BOOK_MARKS.fullmatch(line)) or (found := _FRONT_TITLE.match(line)):
                titles.append(found["title"])
            else:
                preface.append(line)
        raw_chapters += chapters

    if preface and (not raw_chapters or sum(map(len, preface)) >= 100):
        raw_chapters.insert(0, RawChapter(heading=None, lines=preface))
    else:  # a line or two before the first chapter: a blurb or a site's note, not read
        removed += [Removal(line, "before the first chapter") for line in preface]

    converter = ScriptConverter.for_text(
        "".join(line for raw in raw_chapters[:20] for line in raw.lines)[:20000]
    )
    convert = converter.traditional and not options.keep_traditional
    chapters = []
    for raw in raw_chapters:
        chapter, gone = _chapter(raw, len(chapters) + 1, converter if convert else None)
        removed += gone
        if chapter.segments or chapter.heading:
            chapters.append(chapter)
    if converter.traditional and not convert:
        # analysed in Simplified (the tools know it best), shown in Traditional
        simplified = [_chapter(raw, k + 1, converter)[0] for k, raw in enumerate(raw_chapters)]
        simplified = [c for c in simplified if c.segments or c.heading]
        analysed, characters = analyse(simplified)
        chapters = [
            _with_speakers(shown, done) for shown, done in zip(chapters, analysed, strict=True)
        ]
    else:
        chapters, characters = analyse(chapters)
    title = source.title or (titles[0] if titles else _pick(title_votes))
    if convert and title:
        title = converter.to_simplified(title)
    book = Book(
        title=title,
        chapters=chapters,
        author=author,
        fallback_title=fallback_title,
        characters=characters,
    )
    notes = [*source.notes, *_long_chapter_notes(chapters, options.chapter_pattern)]
    return Script(
        book=book,
        removed=removed,
        traditional=converter.traditional,
        converted=convert,
        notes=notes,
    )


def _compile_chapter_pattern(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise AudiobookError(
            f"chapter pattern {pattern!r} is not a valid regular expression: {exc}"
        ) from None


def _long_chapter_notes(chapters: list[Chapter], pattern: str | None) -> list[str]:
    """A chapter far longer than any real one is probably several whose headings were not
    recognised: say so, and how to name their shape."""
    long = [c for c in chapters if c.characters > LONG_CHAPTER_CHARS]
    if not long:
        return []
    what = (
        "the whole book is one chapter"
        if len(chapters) == 1
        else f"{len(long)} chapter(s) are over {LONG_CHAPTER_CHARS:,} characters"
    )
    hint = "check --chapter-pattern" if pattern else "give their shape with --chapter-pattern"
    return [f"{what} ({long[0].characters:,} characters); if it has headings, {hint} REGEX"]


def read_script(path: Path, config: Config, keep_traditional: bool = False) -> Script:
    """The script of the book in ``path``, read with the user's settings."""
    options = ScriptOptions(
        patterns=config.remove_patterns,
        keep_traditional=keep_traditional,
        chapter_pattern=config.chapter_pattern,
    )
    return make_script(load(path, config.encoding), title_from_file_name(path.stem), options)


def title_from_file_name(stem: str) -> str:
    """The file name without a site's tag around it: [www.xx.com]书名 -> 书名."""
    plain = _SITE_TAG.sub("", stem).strip(" _-")
    return plain or stem


def book_from_text(text: str, fallback_title: str = "untitled") -> Book:
    """Convenience for a TXT already decoded."""
    return make_script(Source(documents=[Document(text)]), fallback_title).book


def _titled_document(document: Document, lines: list[str]) -> RawChapter:
    """An EPUB item whose text has no heading line: its TOC title is the heading."""
    title = normalize_spaces(document.title or "")
    heading = match_heading(title) or Heading(marker="", number=None, title=title)
    body = list(lines)
    while body and normalize_spaces(body[0]) in ("", title):
        body.pop(0)
    return RawChapter(heading=heading, lines=body)


def _chapter(
    raw: RawChapter, order: int, converter: ScriptConverter | None
) -> tuple[Chapter, list[Removal]]:
    paragraphs = [p for p in (normalize_paragraph(line) for line in raw.lines) if p]
    paragraphs, removed = remove_repeated_blocks(paragraphs)
    heading = raw.heading
    title = heading.display_title if heading else None
    spoken = heading.spoken if heading else ""
    volume = raw.volume
    if converter:
        paragraphs = [converter.to_simplified(p) for p in paragraphs]
        title, spoken, volume = (
            converter.to_simplified(x) if x else x for x in (title, spoken, volume)
        )
    segments = chapter_segments(paragraphs)
    chapter = Chapter(
        order=order,
        title=title or None,
        heading=spoken,
        number=heading.number if heading else None,
        volume=volume,
        segments=segments,
    )
    return chapter, removed


def _with_speakers(shown: Chapter, analysed: Chapter) -> Chapter:
    """Speakers found on the Simplified copy, put on the Traditional text. OpenCC keeps
    punctuation, so both copies cut into the same segments."""
    if len(shown.segments) != len(analysed.segments):
        return shown
    segments = [
        replace(a, text=s.text) for s, a in zip(shown.segments, analysed.segments, strict=True)
    ]
    return replace(shown, segments=segments)


def chapter_segments(paragraphs: list[str]) -> list[Segment]:
    """Narration sentences and quoted speech, in reading order. A quoted term stays in
    its narration sentence, marks and all; a speech segment holds the words inside the
    marks."""
    segments: list[Segment] = []
    open_quote = False
    for index, paragraph in enumerate(paragraphs):
        pieces, open_quote = split_quotes(paragraph, open_quote)
        narration = ""
        for piece in pieces:
            if piece.quoted and is_speech(piece):
                segments += _narration(narration, index)
                narration = ""
                if piece.text.strip():
                    segments.append(
                        Segment(text=piece.text.strip(), paragraph=index, kind="speech")
                    )
            elif piece.quoted:
                narration += f"“{piece.text}”"
            else:
                narration += piece.text
        segments += _narration(narration, index)
    return segments


def _narration(text: str, paragraph: int) -> list[Segment]:
    return [Segment(text=s, paragraph=paragraph) for s in split_sentences(text)]


def _pick(votes: list[str]) -> str | None:
    if not votes:
        return None
    return max(set(votes), key=lambda v: (votes.count(v), -votes.index(v)))
