"""What every adapter answers alike about itself: its capabilities, where it talks, how many
requests it sent, and closing its connection (a base class, so each adapter keeps only what
is its service's own)."""

from __future__ import annotations

from typing import Protocol, Self

from ftops.provider.types import Capabilities


class _Counter(Protocol):
    @property
    def total(self) -> int: ...

    @property
    def mutating(self) -> int: ...


class _Connection(Protocol):
    @property
    def description(self) -> str: ...

    @property
    def counter(self) -> _Counter: ...

    def close(self) -> None: ...


class ConnectedProvider:
    """The bookkeeping members of ``FineTuningProvider``, over ``_connection`` and ``_capabilities``
    (each adapter's ``__init__`` sets both)."""

    _connection: _Connection
    _capabilities: Capabilities

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @property
    def description(self) -> str:
        return self._connection.description

    @property
    def request_count(self) -> int:
        return self._connection.counter.total

    @property
    def mutating_request_count(self) -> int:
        return self._connection.counter.mutating

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
