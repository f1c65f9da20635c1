"""A listing ends: the guard every paged listing runs each page through.

A service (or a proxy, or a mock of the spec) that answers every page with
``has_more: true`` and the same last id would keep a cursor loop asking forever: one
such server took about 190,000 requests in ten minutes (issue 17). So a listing stops,
with one ``PagingError``, as soon as its cursor does not advance or a page brings
only ids already seen, and in any case after ``max_pages`` pages or ``max_seconds``.
The next request is never sent with a cursor already used, so nothing outside the
spec's paging is ever asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ftops.errors import PagingError

_HINT: Final = (
    "The service (or something in front of it) does not page as its API says; check the provider's "
    "base_url, and report it if it is the service itself."
)


@dataclass(frozen=True, slots=True)
class PagingLimits:
    # Far above any real account (10,000 files a page; 100 jobs a page is 1,000,000 jobs),
    # low enough that a runaway listing ends in minutes, not hours.
    max_pages: int = 10_000
    max_seconds: float = 900.0


class PageGuard:
    """Follows one listing: ``next_cursor`` says where the next page starts, or that it ended."""

    def __init__(
        self, what: str, limits: PagingLimits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._what = what
        self._limits = limits
        self._clock = clock
        self._started = clock()
        self._pages = 0
        self._seen: set[str] = set()
        self._cursors: set[str] = set()

    def next_cursor(self, ids: Sequence[str], has_more: bool) -> str | None:
        """The id to ask the next page after; None when the listing is complete."""
        self._pages += 1
        if not has_more or not ids:
            return None
        cursor = ids[-1]
        if cursor in self._cursors:
            self._fail(f"the cursor did not advance (page {self._pages} ended at {cursor} again)")
        if self._seen.issuperset(ids):
            self._fail(f"page {self._pages} repeats ids already listed")
        if self._pages >= self._limits.max_pages:
            self._fail(f"still more after {self._pages} pages (at most {self._limits.max_pages})")
        elapsed = self._clock() - self._started
        if elapsed >= self._limits.max_seconds:
            self._fail(f"still more after {elapsed:.0f} s and {self._pages} pages "
                       f"(at most {self._limits.max_seconds:.0f} s)")
        self._cursors.add(cursor)
        self._seen.update(ids)
        return cursor

    def _fail(self, why: str) -> None:
        raise PagingError(f"{self._what}: the listing does not end: {why}; stopped", hint=_HINT)
