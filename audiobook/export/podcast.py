"""A book as a podcast: an RSS 2.0 feed with the itunes tags podcast apps need.

Every chapter file is an episode. Its GUID is derived from the book and the chapter's
place and title, so a rebuild or a new chapter never changes an existing one; its date is
given the first time it is published and kept in ``podcast.json`` beside the feed, each new
chapter a minute after the one before, so that apps list the episodes in book order.
``$SOURCE_DATE_EPOCH`` (the reproducible-builds convention) stands for "now" when set.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from audiobook import __version__
from audiobook.audio.tags import Cover
from audiobook.errors import AudiobookError
from audiobook.files import write_atomic

FEED_NAME = "feed.xml"
STATE_NAME = "podcast.json"


@dataclass(frozen=True)
class Episode:
    number: int  # the chapter's place in the book
    title: str
    path: Path
    duration_ms: int


def episode_guid(book_name: str, episode: Episode) -> str:
    name = f"audiobook:{book_name}:{episode.number}:{episode.title}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def check_base_url(base_url: str) -> str:
    if not base_url.startswith(("http://", "https://")):
        raise AudiobookError(f"--base-url {base_url!r}: give the http(s) address of the folder")
    return base_url.rstrip("/") + "/"


def build_time() -> datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` (seconds) when it is set: the same inputs then give
    the same feed, byte for byte."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return datetime.now(timezone.utc)
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise AudiobookError(
            f"SOURCE_DATE_EPOCH={epoch!r}: give a number of seconds since 1970"
        ) from None


def publication_dates(
    state_path: Path, guids: list[str], now: datetime | None = None
) -> dict[str, datetime]:
    """The date of each episode: kept from earlier runs, new ones after all of those."""
    dates = _published(state_path)
    now = (now or build_time()).replace(microsecond=0)
    latest = max(dates.values(), default=now - timedelta(minutes=1))
    next_date = max(now, latest + timedelta(minutes=1))
    for guid in guids:
        if guid not in dates:
            dates[guid] = next_date
            next_date += timedelta(minutes=1)
    state = {"published": {g: d.isoformat() for g, d in sorted(dates.items(), key=_by_date)}}
    write_atomic(state_path, json.dumps(state, ensure_ascii=False, indent=1))
    return dates


def _published(state_path: Path) -> dict[str, datetime]:
    """The dates given in earlier runs; a damaged file is an error, not a silent reset
    (new dates would reorder a feed people already follow)."""
    try:
        state = json.loads(state_path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise AudiobookError(
            f"{state_path}: damaged ({exc}); fix it, or delete it to date every episode again"
        ) from None
    known = state.get("published") if isinstance(state, dict) else None
    if not isinstance(known, dict):
        raise AudiobookError(f'{state_path}: needs a "published" table of episode dates')
    dates = {}
    for guid, stamp in known.items():
        try:
            date = datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            raise AudiobookError(
                f"{state_path}: {guid}: {stamp!r} is not a date like 2026-01-31T08:00:00+00:00"
            ) from None
        dates[guid] = date if date.tzinfo else date.replace(tzinfo=timezone.utc)
    return dates


def _by_date(item: tuple[str, datetime]) -> datetime:
    return item[1]


def write_feed(
    book_dir: Path,
    *,
    title: str,
    author: str,
    episodes: list[Episode],
    base_url: str,
    cover: Cover | None = None,
    now: datetime | None = None,
) -> Path:
    """``book_dir/feed.xml`` for the episodes (files inside ``book_dir``), whose public
    address is ``base_url`` + the book folder's name."""
    folder_url = check_base_url(base_url) + quote(book_dir.name) + "/"
    guids = [episode_guid(title, e) for e in episodes]
    now = (now or build_time()).replace(microsecond=0)
    dates = publication_dates(book_dir / STATE_NAME, guids, now)

    feed = FeedGenerator()
    feed.load_extension("podcast")
    feed.title(title)
    feed.author({"name": author})
    feed.link(href=folder_url, rel="alternate")
    feed.description(f"《{title}》有声书，{author}著，共 {len(episodes)} 集。")
    feed.language("zh-cn")
    feed.generator("audiobook", __version__)
    feed.lastBuildDate(now)
    feed.podcast.itunes_author(author)
    feed.podcast.itunes_type("serial")
    feed.podcast.itunes_explicit("no")
    feed.podcast.itunes_category("Arts", "Books")
    if cover is not None:
        name = "cover.png" if cover.mime == "image/png" else "cover.jpg"
        write_atomic(book_dir / name, cover.data)
        feed.podcast.itunes_image(folder_url + name)
        feed.image(url=folder_url + name, title=title, link=folder_url)
    for episode, guid in zip(episodes, guids, strict=True):
        entry = feed.add_entry(order="append")
        entry.id(guid)
        entry.guid(guid, permalink=False)
        entry.title(episode.title)
        entry.description(f"第 {episode.number} 集：{episode.title}")
        entry.enclosure(
            folder_url + quote(episode.path.name), str(episode.path.stat().st_size), "audio/mpeg"
        )
        entry.published(dates[guid])
        entry.podcast.itunes_episode(episode.number)
        entry.podcast.itunes_episode_type("full")
        entry.podcast.itunes_duration(round(episode.duration_ms / 1000))
    path = book_dir / FEED_NAME
    write_atomic(path, feed.rss_str(pretty=True))
    return path
