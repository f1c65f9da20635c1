"""The state journal of one provider alias's part (``ftops.multi.partition``): the executor's
steps read and write their part's records at the addresses their plan uses, and every write
goes through the one journal of the whole state (one lock, one write per step)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ftops.apply.journal import StateJournal, Transform
from ftops.multi.partition import merge_view, view
from ftops.plan.records import StateRecords, read_records
from ftops.state import StateSnapshot


class PartJournal(StateJournal):
    """``whole``'s records as the part ``alias`` sees them. It holds no snapshot of its own."""

    def __init__(self, whole: StateJournal, alias: str) -> None:  # holds no state: no super().__init__
        self._whole = whole
        self._alias = alias
        self._cached: tuple[StateSnapshot, StateRecords] | None = None

    @property
    def writes(self) -> int:
        return self._whole.writes

    @writes.setter
    def writes(self, value: int) -> None:
        self._whole.writes = value

    @property
    def snapshot(self) -> StateSnapshot:
        """The whole state with only this part's records, at the part's addresses."""
        whole = self._whole.snapshot
        return whole.with_resources(view(whole.resources, self._alias))

    def records(self) -> StateRecords:
        snapshot = self._whole.snapshot
        cached = self._cached
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        records = read_records(view(snapshot.resources, self._alias))
        self._cached = (snapshot, records)
        return records

    def update(self, transform: Transform) -> StateSnapshot:
        alias = self._alias

        def whole(resources: Mapping[str, Any]) -> Mapping[str, Any]:
            return merge_view(resources, alias, transform(view(resources, alias)))

        return self._whole.update(whole)
