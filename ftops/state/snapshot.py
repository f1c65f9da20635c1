"""The state document: an immutable snapshot and its strict JSON form.

A snapshot's ``serial`` is the serial of the stored version it was read from
(its *base*). Storages refuse a write whose base is not what is stored now, so
two runs that read the same version can never both write over it (no lost
update); see ``ftops.state.storage.BaseStorage.write``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass, field, replace
from typing import Any, Final, NoReturn, TypeGuard

from ftops import __version__
from ftops.errors import StateCorruptError, StateError
from ftops.resources import empty_mapping, freeze, thaw
from ftops.state.upgrade import upgrade_document

# 2: ``providers`` records the service each alias's resources are on (ftops.state.upgrade).
FORMAT_VERSION: Final = 2

# Kinds of address a state may hold; "pending" records an intent written before a create.
STATE_ADDRESS_KINDS: Final = frozenset({"datasets", "jobs", "models", "pending"})
_ADDRESS = re.compile(r"(?P<kind>[a-z]+)\.(?P<name>.+)", re.DOTALL)
_TOP_LEVEL_KEYS: Final = frozenset(
    {"format_version", "lineage", "serial", "resources", "project", "ftops_version", "job_watermark",
     "providers"}
)


@dataclass(frozen=True)
class StateSnapshot:
    lineage: str
    serial: int
    resources: Mapping[str, Any] = field(default_factory=empty_mapping)
    project: str | None = None
    format_version: int = FORMAT_VERSION
    ftops_version: str = __version__
    # Every job of the project created before this time (the service's seconds) had finished
    # when the state was written; refreshes read the jobs listing only down to it
    # (ftops.plan.listing). None: unknown, read it all. Written only when set.
    job_watermark: int | None = None
    # Provider alias -> the fingerprint of its service (type and non-secret address, never a key):
    # the records of ``ADDRESS@alias`` are on that alias, plain addresses on ``default``
    # (ftops.multi.partition). Written only when set.
    providers: Mapping[str, Mapping[str, str]] = field(default_factory=empty_mapping)

    def __post_init__(self) -> None:
        # Deep-freeze whatever the caller passed, so a snapshot can be shared freely.
        if not isinstance(self.resources, FrozenRecords):
            object.__setattr__(
                self, "resources", FrozenRecords({k: freeze(v) for k, v in self.resources.items()})
            )

    def with_resources(self, resources: Mapping[str, Any]) -> StateSnapshot:
        """Same lineage and base serial, new content: what a run hands to ``write``.

        A record passed back unchanged (the very object this snapshot holds, as in
        ``dict(snapshot.resources)`` with one entry edited) is already frozen and is
        reused, so an edit costs one record's freezing, not the whole state's.
        """
        if not isinstance(resources, FrozenRecords):
            mine = self.resources
            held = mine._records.get if isinstance(mine, FrozenRecords) else mine.get
            resources = FrozenRecords(
                {k: v if held(k, _ABSENT) is v else freeze(v) for k, v in resources.items()},
                lines=mine.lines if isinstance(mine, FrozenRecords) else None,
            )
        return replace(self, resources=resources)

    def content_equal(self, other: StateSnapshot) -> bool:
        """Whether storing ``other`` over ``self`` would change anything a user cares about."""
        if self.project != other.project or self.job_watermark != other.job_watermark:
            return False
        if thaw(self.providers) != thaw(other.providers):
            return False
        # ``==`` on the frozen values is fast (C) but takes 1 == 1.0 == True; a JSON document
        # would store those differently, so an equal pair is confirmed strictly.
        return self.resources == other.resources and _strictly_equal(self.resources, other.resources)

    def to_json(self) -> dict[str, Any]:
        data = {
            "format_version": self.format_version,
            "lineage": self.lineage,
            "serial": self.serial,
            "project": self.project,
            "ftops_version": self.ftops_version,
            "resources": thaw(self.resources),
        }
        if self.job_watermark is not None:
            data["job_watermark"] = self.job_watermark
        if self.providers:
            data["providers"] = thaw(self.providers)
        return data

    def to_text(self) -> str:
        """Stable, diff-friendly JSON: sorted keys, one line per resource, a trailing newline.

        Written by hand around ``json.dumps`` of each record because ``indent=`` makes
        the json module fall back to its pure-Python encoder (twice as slow on a state
        of 1,000 resources), and one line per record diffs as well as an indented tree.
        Each record's line is kept (``FrozenRecords.lines``): an apply writes the state
        after every step, and a step changes one record, so only that one is encoded
        again (issue 9: re-encoding every record made a 1,100-step apply quadratic).
        """
        self._check_head()
        records = self._record_lines()
        head: dict[str, Any] = {
            "format_version": self.format_version,
            "ftops_version": self.ftops_version,
        }
        if self.job_watermark is not None:
            head["job_watermark"] = self.job_watermark
        head |= {"lineage": self.lineage, "project": self.project}
        if self.providers:
            head["providers"] = thaw(self.providers)
        head["serial"] = self.serial
        lines = [f"  {_dump(key)}: {_dump(value)}," for key, value in head.items()]  # checked above
        body = ['  "resources": {', ",\n".join(records), "  }"] if records else ['  "resources": {}']
        return "\n".join(["{", *lines, *body, "}", ""])  # one join: the document is copied once

    def _check_head(self) -> None:
        """Refuse to store what ``from_json`` would then refuse to read back (the records are
        checked by ``_record_lines``)."""
        problem = None
        if self.format_version != FORMAT_VERSION or not _is_int(self.format_version):
            problem = f"format_version {self.format_version!r} is not {FORMAT_VERSION}"
        elif not _is_uuid(self.lineage):
            problem = f"lineage {self.lineage!r} is not a UUID"
        elif not _is_int(self.serial) or self.serial < 0:
            problem = f"serial {self.serial!r} is not a non-negative integer"
        elif self.job_watermark is not None and (not _is_int(self.job_watermark) or self.job_watermark < 0):
            problem = f"job_watermark {self.job_watermark!r} is not a non-negative integer"
        elif self.project is not None and not isinstance(self.project, str):
            problem = f"project {self.project!r} is not a string"
        elif not isinstance(self.ftops_version, str):
            problem = f"ftops_version {self.ftops_version!r} is not a string"
        elif (wrong := _providers_problem(thaw(self.providers))) is not None:
            problem = wrong
        if problem:
            raise StateError(f"state cannot be written: {problem}")

    def _record_lines(self) -> list[str]:
        """Each record's line of the document, in address order; a record whose line is kept
        (the very object, see ``FrozenRecords.lines``) was checked and encoded before."""
        resources = self.resources
        kept = resources.lines if isinstance(resources, FrozenRecords) else {}
        new = [
            (address, record)
            for address, record in resources.items()
            if (entry := kept.get(address)) is None or entry[0] is not record
        ]
        for address, record in new:  # checked in the mapping's order, as they were given
            _check_record(address, record)
        try:
            for address, record in sorted(new, key=lambda item: item[0]):
                kept[address] = (record, f"    {_dump(address)}: {_dump(record)}")
        except (TypeError, ValueError) as error:
            raise StateError(f"state cannot be written: a record is not plain JSON ({error})") from error
        return [kept[address][1] for address in sorted(resources)]

    @classmethod
    def from_text(cls, text: str | bytes, source: str) -> StateSnapshot:
        """Parse a stored state; any malformed input raises ``StateCorruptError`` naming ``source``."""
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise StateCorruptError(
                f"{source}: state is not valid JSON ({error})",
                hint="Restore it from its backup or history, or push a good copy with `ftops state push`.",
            ) from error
        return cls.from_json(data, source)

    @classmethod
    def from_json(cls, data: Any, source: str) -> StateSnapshot:
        if not isinstance(data, dict):
            _corrupt(source, f"expected a JSON object, found {type(data).__name__}")
        unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
        if unknown:
            _corrupt(source, f"unknown field(s): {', '.join(unknown)}")
        version = data.get("format_version")
        if not _is_int(version):
            _corrupt(source, "format_version is missing or not an integer")
        data = upgrade_document(data, FORMAT_VERSION)
        version = data["format_version"]
        if version != FORMAT_VERSION:
            newer = " (written by a newer ftops: upgrade ftops)" if version > FORMAT_VERSION else ""
            _corrupt(source, f"format_version {version} is not supported, expected {FORMAT_VERSION}{newer}")
        lineage = data.get("lineage")
        if not isinstance(lineage, str) or not _is_uuid(lineage):
            _corrupt(source, "lineage is missing or not a UUID string")
        serial = data.get("serial")
        if not _is_int(serial) or serial < 0:
            _corrupt(source, "serial is missing or not a non-negative integer")
        project = data.get("project")
        if project is not None and not isinstance(project, str):
            _corrupt(source, "project must be a string or null")
        ftops_version = data.get("ftops_version", __version__)
        if not isinstance(ftops_version, str):
            _corrupt(source, "ftops_version must be a string")
        job_watermark = data.get("job_watermark")
        if job_watermark is not None and (not _is_int(job_watermark) or job_watermark < 0):
            _corrupt(source, "job_watermark must be a non-negative integer")
        providers = data.get("providers", {})
        problem = _providers_problem(providers)
        if problem:
            _corrupt(source, problem)
        resources = data.get("resources")
        if not isinstance(resources, dict):
            _corrupt(source, "resources is missing or not an object")
        for address, record in resources.items():
            _check_address(source, address)
            if not isinstance(record, dict):
                _corrupt(source, f"resources.{address} must be an object")
        return cls(
            lineage=lineage,
            serial=serial,
            resources=resources,
            project=project,
            format_version=version,
            ftops_version=ftops_version,
            job_watermark=job_watermark,
            providers=freeze(providers),
        )


def _providers_problem(providers: Any) -> str | None:
    """What is wrong with a ``providers`` field (alias -> {text: text}), or None."""
    if not isinstance(providers, dict):
        return "providers must be an object"
    for alias, fingerprint in providers.items():
        if not isinstance(fingerprint, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fingerprint.items()
        ):
            return f"providers.{alias} must be an object of strings"
        if not isinstance(fingerprint.get("type"), str):
            return f"providers.{alias} has no type"
    return None


class FrozenRecords(Mapping[str, Any]):
    """The read-only address -> record mapping of a snapshot; every record deep-frozen.

    ``lines`` keeps each record's line of the state document, as ``address -> (record,
    line)``. It is shared by the snapshots ``with_resources`` derives from one another (they
    reuse the record objects), and an entry serves only the very record object it holds:
    records are deeply frozen, so the same object always encodes to the same line, and
    holding it keeps its identity from being reused by another object. A new object at an
    address (even an equal one) is checked and encoded again. Entries of addresses a later
    snapshot dropped stay until the address is written again (at most one per address the
    chain of snapshots ever held).
    """

    __slots__ = ("_records", "lines")

    def __init__(self, records: dict[str, Any], lines: dict[str, tuple[Any, str]] | None = None) -> None:
        self._records = records
        self.lines: dict[str, tuple[Any, str]] = {} if lines is None else lines

    def __getitem__(self, address: str) -> Any:
        return self._records[address]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    # The dict's own (C) methods and read-only views: Mapping's defaults go through
    # ``__getitem__`` once per record, and an apply walks the whole mapping at every step.
    def __contains__(self, address: object) -> bool:
        return address in self._records

    def get(self, address: str, default: Any = None) -> Any:
        return self._records.get(address, default)

    def keys(self) -> KeysView[str]:
        return self._records.keys()

    def values(self) -> ValuesView[Any]:
        return self._records.values()

    def items(self) -> ItemsView[str, Any]:
        return self._records.items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenRecords):
            return self._records == other._records
        return isinstance(other, Mapping) and self._records == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FrozenRecords({self._records!r})"


_ABSENT: Final = object()


def _dump(value: Any) -> str:
    # ``default`` lets the C encoder walk the frozen records without a thawed copy.
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        allow_nan=False,
        separators=(", ", ": "),
        default=_plain,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _strictly_equal(left: Any, right: Any) -> bool:
    if left is right:
        return True  # records a step did not touch are the same objects: no need to walk them
    if type(left) is not type(right):
        return False
    if isinstance(left, Mapping):
        return left.keys() == right.keys() and all(_strictly_equal(left[k], right[k]) for k in left)
    if isinstance(left, tuple):
        return len(left) == len(right) and all(map(_strictly_equal, left, right))
    return bool(left == right)


def new_snapshot(project: str | None) -> StateSnapshot:
    """A state that has never been stored: a fresh lineage, base serial 0, nothing in it."""
    return StateSnapshot(lineage=str(uuid.uuid4()), serial=0, project=project)


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _check_record(address: Any, record: Any) -> None:
    match = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
    if match is None or match["kind"] not in STATE_ADDRESS_KINDS:
        kinds = ", ".join(sorted(STATE_ADDRESS_KINDS))
        problem = f"resource address {address!r} is not KIND.NAME with KIND one of {kinds}"
    elif not isinstance(record, Mapping):
        problem = f"the record of {address} is not an object"
    else:
        return
    raise StateError(f"state cannot be written: {problem}")


def _check_address(source: str, address: str) -> None:
    match = _ADDRESS.fullmatch(address)
    if match is None or match["kind"] not in STATE_ADDRESS_KINDS:
        kinds = ", ".join(sorted(STATE_ADDRESS_KINDS))
        _corrupt(source, f"resource address {address!r} is not KIND.NAME with KIND one of {kinds}")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _corrupt(source: str, problem: str) -> NoReturn:
    raise StateCorruptError(
        f"{source}: state is malformed: {problem}",
        hint="Restore it from its backup or history, or push a good copy with `ftops state push`.",
    )
