"""Compact 64-bit fingerprints of examples: duplicates while streaming, leakage between two files.

A Python dict or set of ints costs about 100 bytes an entry (the entry, the int object, the
table's spare room), which for a 350k-example file is tens of MB that grow with the file.
Here the fingerprints live in open-addressing tables of plain arrays: 8 bytes a slot for the
fingerprint and 4 for the line where it was first seen, 16 to 32 bytes an example at the
load factors below (a table doubles when it is three quarters full).

The table is cut into partitions by the fingerprint's low bits, each growing on its own: a
resize copies one partition (1/64th of the data), so the peak never holds two whole tables
at once, as a single growing table (or a dict or set) does while it resizes.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Final

PARTITION_BITS: Final = 6
PARTITIONS: Final = 1 << PARTITION_BITS
_PARTITION_MASK: Final = PARTITIONS - 1
INITIAL_SLOTS: Final = 8  # a power of two, as every size after it
EMPTY: Final = 0


def _key(fingerprint: int) -> int:
    # 0 marks an empty slot, so a fingerprint of 0 is stored as 1: it merges two of 2**64
    # values, far less likely than any two examples' 64-bit fingerprints colliding.
    return fingerprint or 1


def _capacity(slots: int) -> int:
    # Linear probing stays short below ~3/4 full; a fuller partition doubles. Doubling, not
    # growing by half (fewer empty slots), because a growth re-inserts in Python: doubling moves
    # each fingerprint about once in all, growing by half about twice (measured 1.35 us against
    # 0.9 us a fingerprint, over a dict's 0.1 us).
    return slots * 3 // 4


def _home(key: int, size: int) -> int:
    return (key >> PARTITION_BITS) & (size - 1)  # sizes are powers of two


class FingerprintTable:
    """The fingerprints seen so far in one file, each with the line it was first seen on."""

    def __init__(self) -> None:
        self._keys = [array("q", bytes(8 * INITIAL_SLOTS)) for _ in range(PARTITIONS)]
        # 'I' (4 bytes) holds line numbers up to 4.29 billion: an 8 GB file has at most 2.9
        # billion lines ("{}" and a newline); a longer one is moved to 'Q' when it gets there.
        self._lines = [array("I", bytes(4 * INITIAL_SLOTS)) for _ in range(PARTITIONS)]
        # inserts each partition takes before it doubles (when it would be more than 3/4 full)
        self._room = [_capacity(INITIAL_SLOTS)] * PARTITIONS

    @property
    def count(self) -> int:
        return sum(_capacity(len(keys)) - room for keys, room in zip(self._keys, self._room, strict=True))

    def first_line(self, fingerprint: int, line: int) -> int:
        """The line this fingerprint was first seen on; ``line`` (recorded) when it is new."""
        # _key and _home written out: this runs once per example, and calls cost more than the probe
        key = fingerprint or 1
        part = key & _PARTITION_MASK
        keys = self._keys[part]
        size = len(keys)
        mask = size - 1
        slot = (key >> PARTITION_BITS) & mask
        found = keys[slot]
        while found != EMPTY:
            if found == key:
                return int(self._lines[part][slot])
            slot = (slot + 1) & mask
            found = keys[slot]
        keys[slot] = key
        lines = self._lines[part]
        try:
            lines[slot] = line
        except OverflowError:
            self._lines[part] = lines = array("Q", lines)
            lines[slot] = line
        room = self._room[part] - 1
        self._room[part] = room
        if not room:
            self._grow(part)
        return line

    def _grow(self, part: int) -> None:
        old_keys, old_lines = self._keys[part], self._lines[part]
        size = len(old_keys) * 2
        mask = size - 1
        keys = array("q", bytes(8 * size))
        lines = array(old_lines.typecode, bytes(old_lines.itemsize * size))
        for key, line in zip(old_keys, old_lines, strict=True):
            if key == EMPTY:
                continue
            slot = (key >> PARTITION_BITS) & mask
            while keys[slot] != EMPTY:
                slot = (slot + 1) & mask
            keys[slot] = key
            lines[slot] = line
        self._keys[part], self._lines[part] = keys, lines
        self._room[part] = _capacity(size) - _capacity(len(old_keys))

    def freeze(self) -> ExampleHashes:
        """The fingerprints alone, immutable; the table is emptied (the lines were only for warnings)."""
        count, tables = self.count, []
        for part in range(PARTITIONS):
            self._lines[part] = array("I")
            tables.append(self._keys[part].tobytes())
            self._keys[part] = array("q")  # one partition's copy at a time, not the whole table twice
        return ExampleHashes(tuple(tables), count)


class ExampleHashes:
    """An immutable set of 64-bit example fingerprints, in the frozen tables of a FingerprintTable.

    Process-local (they come from ``hash``): never persist them.
    """

    __slots__ = ("_count", "_tables")

    def __init__(self, tables: tuple[bytes, ...] = (), count: int = 0) -> None:
        self._tables = tuple(memoryview(table).cast("q") for table in tables)
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        for table in self._tables:
            for key in table:
                if key != EMPTY:
                    yield key

    def __contains__(self, fingerprint: object) -> bool:
        if not isinstance(fingerprint, int) or not self._tables:
            return False
        key = _key(fingerprint)
        table = self._tables[key & _PARTITION_MASK]
        size = len(table)
        slot = _home(key, size)
        while True:
            found = table[slot]
            if found == key:
                return True
            if found == EMPTY:
                return False
            slot = slot + 1 if slot + 1 < size else 0

    def shared_with(self, other: ExampleHashes) -> int:
        """How many fingerprints the two sets have in common: the smaller one's, looked up in the larger."""
        small, large = (self, other) if len(self) <= len(other) else (other, self)
        return sum(1 for key in small if key in large)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExampleHashes):
            return NotImplemented
        return len(self) == len(other) and self.shared_with(other) == len(self)

    def __hash__(self) -> int:
        return hash(self._count)  # equal sets have equal counts; the slots' order may differ

    def __reduce__(self) -> tuple[type[ExampleHashes], tuple[tuple[bytes, ...], int]]:
        # memoryviews do not pickle or deep-copy; the bytes under them do
        return ExampleHashes, (tuple(table.tobytes() for table in self._tables), self._count)

    def __repr__(self) -> str:
        return f"ExampleHashes({self._count} fingerprints)"
