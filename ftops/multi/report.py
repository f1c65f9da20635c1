"""Progress lines of one alias's steps, with the addresses the plan showed (``jobs.x@tg``):
the steps themselves work at their part's addresses (``jobs.x``)."""

from __future__ import annotations

import re

from ftops.apply.jobprogress import JobProgress
from ftops.apply.progress import Advance, Reporter
from ftops.multi.partition import to_state

_LEADING_ADDRESS = re.compile(r"^(?P<address>(?:datasets|jobs)\.[A-Za-z0-9_-]+)(?=[:\s])")


class PartReporter:
    """``inner`` for the steps of ``alias``; closing it leaves ``inner`` open (it is shared)."""

    def __init__(self, inner: Reporter, alias: str) -> None:
        self._inner = inner
        self._alias = alias

    def _at(self, address: str) -> str:
        return to_state(address, self._alias)

    def line(self, text: str) -> None:
        self._inner.line(_LEADING_ADDRESS.sub(lambda m: self._at(m["address"]), text, count=1))

    def transfer(self, address: str, total: int) -> Advance:
        return self._inner.transfer(self._at(address), total)

    def transfer_done(self, address: str) -> None:
        self._inner.transfer_done(self._at(address))

    def job_update(self, address: str, progress: JobProgress) -> None:
        self._inner.job_update(self._at(address), progress)

    def close(self) -> None:
        pass
