"""Commands that look after the tool rather than a book: the segment cache."""

from __future__ import annotations

import click


@click.group("cache", invoke_without_command=True)
@click.pass_context
def cache_command(context: click.Context) -> None:
    """Where the segment cache is and how big it has grown (it is shared by every book)."""
    if context.invoked_subcommand is None:
        from audiobook.report import format_size
        from audiobook.speech.cache import CACHE_VARIABLE, SegmentCache

        cache = SegmentCache()
        usage = cache.usage()
        click.echo(f"{cache.root}: {usage.entries} segments, {format_size(usage.size)}")
        click.echo(f"(set {CACHE_VARIABLE} to move it; `audiobook cache clean` empties it)")


@cache_command.command("clean")
@click.option(
    "--older-than",
    "age",
    metavar="AGE",
    help="Only segments written more than AGE ago: 30d, 12h, 2w.",
)
def cache_clean_command(age: str | None) -> None:
    """Remove segments from the cache (they are synthesized again when needed)."""
    from audiobook.options import parse_age
    from audiobook.report import format_size
    from audiobook.speech.cache import SegmentCache

    cache = SegmentCache()
    removed = cache.clean(parse_age(age) if age else None)
    click.echo(
        f"Removed {removed.entries} segments ({format_size(removed.size)}) from {cache.root}"
    )
