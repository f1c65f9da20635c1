"""``ftops cache``: the dataset cache (``ftops.datasets.cache``), to see or empty it. Only typer and the
standard library at the top."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ftops.cli.common import DEFAULT_MANIFESTS, ManifestsOption

if TYPE_CHECKING:
    from ftops.datasets.cache import ReportCache

cache_app = typer.Typer(
    name="cache",
    help="The dataset cache: reports of unchanged datasets reused by validate and plan.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _cache(manifests: Path) -> ReportCache:
    from ftops.datasets.cache import ReportCache, default_cache_dir

    # the project root is the folder that holds the manifests' folder
    return ReportCache(default_cache_dir(manifests.resolve().parent))


@cache_app.command("info")
def info(manifests: ManifestsOption = DEFAULT_MANIFESTS) -> None:
    """Where the dataset cache is, how many entries it holds and their size."""
    cache = _cache(manifests)
    entries, size = cache.size()
    typer.echo(f"{cache.directory}: {entries} entries, {size / 1e6:.1f} MB "
               f"(at most {cache.max_entries} entries and {cache.max_bytes / 1e6:.0f} MB)")


@cache_app.command("clear")
def clear(manifests: ManifestsOption = DEFAULT_MANIFESTS) -> None:
    """Remove every entry of the dataset cache; the next validate or plan checks every dataset in full."""
    cache = _cache(manifests)
    removed = cache.clear()
    typer.echo(f"Removed {removed} entries from {cache.directory}.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
    app.add_typer(cache_app)
