"""The S3 backend: the state as one object, the lock as another, both written conditionally.

- The state is written with ``If-Match: <ETag read>`` (or ``If-None-Match: *`` when
  there was none), so a run that read an older version can never overwrite a newer
  one, lock or no lock. A bucket with versioning keeps every earlier version.
- The state is read with ``If-None-Match: <ETag this storage last read or wrote>``: an
  apply writes after every step, and its check before each write then costs a "304 Not
  Modified" instead of downloading the whole document again. An unchanged ETag is what
  the conditional write above already takes to mean an unchanged object.
- The lock is ``<key>.lock``, created with ``If-None-Match: *`` (as Terraform's S3
  backend does with ``use_lockfile``) and holding the holder's details and lease. The
  holder renews the lease by rewriting it with ``If-Match`` on the ETag it last wrote
  (so it notices at once a lock removed or taken by another run); S3 itself cannot say
  whether a holder runs, so the lease does: ``force-unlock`` refuses while it runs,
  unless the holder is on this very host and its process is gone.
- ``<key>.highest`` records the highest serial the state has held for its lineage
  (one small PUT per state write), so a restored older version is noticed.

Credentials come only from boto3's usual sources (``AWS_*`` variables, profiles,
instance roles), never from manifests or the state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ftops.errors import StateConflictError, StateError, UsageError
from ftops.secrets import redact
from ftops.state.lock import LockInfo, check_force_unlock, judge_alive
from ftops.state.snapshot import StateSnapshot
from ftops.state.storage import BaseStorage, highest_record, parse_highest_record

if TYPE_CHECKING:
    from botocore.client import BaseClient

T = TypeVar("T")

OPTIONS = ("bucket", "key", "region", "endpoint_url")
DEFAULT_KEY = "ftops/ftops.state.json"
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Storage(BaseStorage):
    backend = "s3"

    def __init__(
        self, bucket: str, key: str, region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        super().__init__()
        self.bucket = bucket
        self.key = key
        self.lock_key = key + ".lock"
        self.highest_key = key + ".highest"
        self.region = region
        self.endpoint_url = endpoint_url
        self._client: BaseClient | None = None
        self._held: dict[str, str] = {}  # lock id -> the ETag of the lock object as we last wrote it
        # The state object's ETag and bytes as this storage last read or wrote them.
        self._last_state: tuple[str, bytes] | None = None
        self._conditional_reads = True  # off if the store refuses If-None-Match on GET

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> S3Storage:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise UsageError(
                f"s3 backend: unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTIONS)}"
            )
        for name in OPTIONS:
            if options.get(name) is not None and not isinstance(options[name], str):
                raise UsageError(f"s3 backend: option {name} must be a string")
        bucket = options.get("bucket")
        if not bucket:
            raise UsageError("s3 backend: option bucket is required")
        return cls(
            bucket=bucket,
            key=options.get("key") or DEFAULT_KEY,
            region=options.get("region"),
            endpoint_url=options.get("endpoint_url"),
        )

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def client(self) -> BaseClient:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=10,
                read_timeout=30,
                # S3-compatible stores (MinIO, Ceph, local emulators) expect path-style URLs.
                s3={"addressing_style": "path"} if self.endpoint_url else None,
            )
            self._client = boto3.session.Session().client(
                "s3", region_name=self.region, endpoint_url=self.endpoint_url, config=config
            )
        return self._client

    # ---- state ---------------------------------------------------------------------------

    def _load(self) -> tuple[bytes | None, str | None]:
        last = self._last_state if self._conditional_reads else None
        if last is not None:
            try:
                reply = self._call(
                    "read the state",
                    lambda: _not_modified_as_none(
                        lambda: self.client.get_object(Bucket=self.bucket, Key=self.key, IfNoneMatch=last[0])
                    ),
                    missing_ok=True,
                    unsupported_ok=True,
                )
            except _Missing:
                self._last_state = None
                return None, None
            except _Unsupported:
                self._conditional_reads = False
                return self._load()
            if reply is None:  # 304: still the object we last saw
                return last[1], last[0]
            with reply["Body"] as body:
                data: bytes = body.read()
            etag = str(reply["ETag"])
        else:
            loaded, tag = self._get(self.key)
            if loaded is None or tag is None:
                return loaded, tag
            data, etag = loaded, tag
        self._last_state = (etag, data)
        return data, etag

    def _store(self, snapshot: StateSnapshot, text: str, expected: str | None) -> None:
        condition = {"IfMatch": expected} if expected is not None else {"IfNoneMatch": "*"}
        data = text.encode("utf-8")
        try:
            reply = self._call(
                "write the state",
                lambda: self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=data,
                    ContentType="application/json",
                    **condition,
                ),
                conflict_ok=True,
            )
        except _Conflict as error:
            raise StateConflictError(
                f"state {self.describe()} changed since it was read: another run wrote it",
                hint="Run the command again: it will start from the newer state.",
            ) from error
        etag = reply.get("ETag")
        self._last_state = (str(etag), data) if etag else None

    # ---- lock ------------------------------------------------------------------------------

    def _try_lock(self, info: LockInfo) -> LockInfo | None:
        body = json.dumps(info.to_json(), indent=2).encode("utf-8")
        try:
            reply = self._call(
                "take the lock",
                lambda: self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.lock_key,
                    Body=body,
                    ContentType="application/json",
                    IfNoneMatch="*",
                ),
                conflict_ok=True,
            )
        except _Conflict:
            holder, etag = self._lock_object()
            if holder is None or etag is None:
                return info  # released between our attempt and our look: try again
            if holder.id != info.id:
                return holder
            # Our own lock object: a retried PUT whose first answer was lost had landed.
            self._held[info.id] = etag
            return None
        self._held[info.id] = str(reply.get("ETag", ""))
        return None

    def _renew_lock(self, info: LockInfo) -> bool:
        etag = self._held.get(info.id)
        if etag is None:
            return False
        body = json.dumps(info.to_json(), indent=2).encode("utf-8")
        try:
            reply = self._call(
                "renew the lock",
                lambda: self.client.put_object(
                    Bucket=self.bucket, Key=self.lock_key, Body=body, ContentType="application/json",
                    IfMatch=etag,
                ),
                conflict_ok=True,
            )
        except _Conflict:
            # Changed since our last write: removed (force-unlock) or taken, unless our own
            # renewal whose answer was lost had landed.
            holder, current = self._lock_object()
            if holder is None or current is None or holder.id != info.id or holder.expires != info.expires:
                return False
            self._held[info.id] = current
            return True
        self._held[info.id] = str(reply.get("ETag", ""))
        return True

    def current_lock(self) -> LockInfo | None:
        holder, _ = self._lock_object()
        return holder

    def _lock_object(self) -> tuple[LockInfo | None, str | None]:
        data, etag = self._get(self.lock_key)
        if data is None:
            return None, None
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        holder = LockInfo.from_json(parsed, f"s3://{self.bucket}/{self.lock_key}")
        return holder.with_alive(judge_alive(holder)), etag

    def _release(self, lock_id: str) -> None:
        if lock_id not in self._held:
            raise StateError(f"lock {lock_id} on {self.describe()} is not held by this process")
        del self._held[lock_id]
        self._delete_lock(lock_id, own=True)

    def force_unlock(self, lock_id: str) -> None:
        self._delete_lock(lock_id, own=False)

    def _delete_lock(self, lock_id: str, *, own: bool) -> None:
        holder, etag = self._lock_object()
        if own and holder is not None:
            holder = holder.with_alive(None)  # our own lock: alive, and ours to release
        # The lease says whether a holder on another host still runs (``judge_alive``).
        check_force_unlock(holder if etag is not None else None, lock_id, self.describe())
        try:
            # Conditional on the ETag: never delete a lock someone else took in the meantime.
            self._call(
                "release the lock",
                lambda: self.client.delete_object(Bucket=self.bucket, Key=self.lock_key, IfMatch=etag),
                conflict_ok=True,
                unsupported_ok=True,
            )
        except _Conflict as error:
            raise StateError(f"the lock of {self.describe()} changed while being released") from error
        except _Unsupported:
            # Stores without conditional deletes (S3 itself before late 2025): the holder was
            # checked just above, so only a take-over within those milliseconds could be lost.
            self._call(
                "release the lock", lambda: self.client.delete_object(Bucket=self.bucket, Key=self.lock_key)
            )

    # ---- reachability and history ------------------------------------------------------------

    def _load_highest(self) -> tuple[str, int] | None:
        data, _ = self._get(self.highest_key)
        return None if data is None else parse_highest_record(data)

    def _store_highest(self, lineage: str, serial: int) -> None:
        body = highest_record(lineage, serial)
        self._call(
            "record the highest serial",
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=self.highest_key, Body=body, ContentType="application/json"
            ),
        )

    def versioning_enabled(self) -> bool:
        reply = self._call(
            "read the bucket's versioning", lambda: self.client.get_bucket_versioning(Bucket=self.bucket)
        )
        return bool(reply.get("Status") == "Enabled")

    def reachability_notes(self) -> tuple[str, ...]:
        if self.versioning_enabled():
            return ()
        return (f"bucket {self.bucket} has versioning off: earlier states are not kept",)

    def close(self) -> None:
        super().close()
        if self._client is not None:
            self._client.close()
            self._client = None

    # ---- plumbing --------------------------------------------------------------------------

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            reply = self._call(
                f"read s3://{self.bucket}/{key}",
                lambda: self.client.get_object(Bucket=self.bucket, Key=key),
                missing_ok=True,
            )
        except _Missing:
            return None, None
        with reply["Body"] as body:
            data: bytes = body.read()
        return data, str(reply["ETag"])

    def _call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        conflict_ok: bool = False,
        missing_ok: bool = False,
        unsupported_ok: bool = False,
    ) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if conflict_ok and (code in _CONFLICT_CODES or status in ("409", "412")):
                raise _Conflict from error
            if code in _MISSING_CODES and (missing_ok or conflict_ok):
                # A conditional write or delete on an object that vanished lost a race too.
                raise (_Missing if missing_ok else _Conflict) from error
            if code == "NotImplemented" or status == "501":
                if unsupported_ok:
                    raise _Unsupported from error
                raise StateError(
                    f"cannot {what} in {self.describe()}: the store does not support conditional "
                    "requests (If-Match / If-None-Match), which the s3 backend needs so that no "
                    "update or lock is ever lost",
                    hint="Use AWS S3 or an S3-compatible store that supports conditional writes.",
                ) from error
            raise StateError(f"cannot {what} in {self.describe()}: {redact(str(error))}") from error
        except BotoCoreError as error:
            raise StateError(
                f"cannot {what} in {self.describe()}: {redact(str(error))}",
                hint="Check the AWS_* environment variables, the region and endpoint_url.",
            ) from error


def _not_modified_as_none(fn: Callable[[], T]) -> T | None:
    """``fn()``, or None when S3 answers "304 Not Modified" to a conditional GET."""
    from botocore.exceptions import ClientError

    try:
        return fn()
    except ClientError as error:
        if str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")) == "304":
            return None
        raise


class _Conflict(Exception):
    """A conditional request found the object changed (HTTP 412/409)."""


class _Unsupported(Exception):
    """The store does not implement a conditional request (HTTP 501)."""


class _Missing(Exception):
    """The object does not exist (HTTP 404)."""
