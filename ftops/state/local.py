"""The local backend: a JSON file, its ``.backup``, and a ``.lock`` file beside it.

Writes are atomic: a temporary file in the same folder, fsync, rename, fsync of
the folder; a crash leaves either the old or the new state, never half of one.
The version being replaced becomes the backup by a second name (a hard link), not a
copy: it is already on disk, and since the state is only ever replaced, never changed
in place, the two names cannot drift apart. (An apply writes the state after every
step; writing the previous version out again each time doubled the bytes written.)
The compare-and-swap of ``_store`` runs under ``flock`` on the folder itself, so
two processes cannot both replace the same version (and no extra file is left).

The lock file is created with its content in one step (a private temporary
file, flocked, then hard-linked to ``<path>.lock``, which fails if the name is
taken: the O_EXCL rule with no half-written window). The holder keeps ``flock``
on it for as long as it holds the lock, and the kernel drops that flock when
the process dies: a lock file whose flock anyone can take is a crashed holder's.
(That proof is exact, so here the lease written in the lock, renewed in place through
the same descriptor, is for people: a flock held means alive, whatever the lease says.)

``<path>.highest`` records the highest serial the file has held for its lineage, so a
state restored from its backup or an older copy is noticed (``BaseStorage``).

Every error of the file system names the file it concerns (``No space left on device``
alone does not say which disk is full).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from ftops.errors import StateConflictError, StateError
from ftops.state.lock import LockInfo, check_force_unlock, judge_alive
from ftops.state.snapshot import StateSnapshot
from ftops.state.storage import BaseStorage, highest_record, parse_highest_record

FILE_MODE = 0o600


class LocalStorage(BaseStorage):
    backend = "local"

    def __init__(self, path: Path, display: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.backup_path = path.with_name(path.name + ".backup")
        self.highest_path = path.with_name(path.name + ".highest")
        self._display = display or str(path)
        self._held: dict[str, int] = {}  # lock id -> fd that holds the flock
        self._last_digest: tuple[bytes, str] | None = None  # bytes last loaded, their digest

    def describe(self) -> str:
        return f"local {self._display}"

    # ---- state ---------------------------------------------------------------------------

    def _load(self) -> tuple[bytes | None, str | None]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        except OSError as error:
            raise StateError(f"cannot read state {self._display}: {error.strerror}") from error
        # A write loads the file twice (to check it, then under the folder's mutex), and an
        # apply writes after every step: the same bytes need not be hashed again.
        last = self._last_digest
        if last is None or last[0] != data:
            last = self._last_digest = (data, _digest(data))
        return data, last[1]

    def _store(self, snapshot: StateSnapshot, text: str, expected: str | None) -> None:
        self._ensure_dir()
        with _named_errors("write the state", self.path), self._dir_mutex():
            current, version = self._load()
            if version != expected:
                raise StateConflictError(
                    f"state {self.describe()} changed since it was read: another run wrote it",
                    hint="Run the command again: it will start from the newer state.",
                )
            if current is not None:
                with _named_errors("keep the backup", self.backup_path):
                    _keep_as_backup(self.path, self.backup_path, current)
            _atomic_write(self.path, text.encode("utf-8"))

    # ---- the highest serial held -------------------------------------------------------------

    def _load_highest(self) -> tuple[str, int] | None:
        try:
            data = self.highest_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StateError(f"cannot read {self.highest_path}: {error.strerror}") from error
        return parse_highest_record(data)

    def _store_highest(self, lineage: str, serial: int) -> None:
        with _named_errors("record the highest serial", self.highest_path):
            _atomic_write(self.highest_path, highest_record(lineage, serial), durable=False)

    def _ensure_dir(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            folder = self.path.parent
            raise StateError(f"cannot create the state folder {folder}: {error.strerror}") from error

    @contextlib.contextmanager
    def _dir_mutex(self) -> Iterator[None]:
        fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    # ---- lock ------------------------------------------------------------------------------

    def _try_lock(self, info: LockInfo) -> LockInfo | None:
        self._ensure_dir()
        with _named_errors("take the lock", self.lock_path):
            return self._try_lock_file(info)

    def _try_lock_file(self, info: LockInfo) -> LockInfo | None:
        fd, temp = tempfile.mkstemp(prefix=".ftops-lock-", dir=self.path.parent)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, _lock_json(info))
            os.fsync(fd)
            os.chmod(temp, FILE_MODE)
            try:
                os.link(temp, self.lock_path)
            except FileExistsError:
                os.close(fd)
                # None: released between our link and our look; ``info`` asks for another try.
                return self.current_lock() or info
            self._held[info.id] = fd
            _fsync_dir(self.path.parent)
            return None
        except BaseException:
            if info.id not in self._held:
                with contextlib.suppress(OSError):
                    os.close(fd)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def _renew_lock(self, info: LockInfo) -> bool:
        fd = self._held.get(info.id)
        if fd is None:
            return False
        try:
            if os.fstat(fd).st_ino != os.stat(self.lock_path).st_ino:
                return False  # removed (force-unlock) and maybe taken by another run
        except FileNotFoundError:
            return False
        with _named_errors("renew the lock", self.lock_path):
            data = _lock_json(info)
            # In place, through the descriptor that holds the flock: the same length (the lease
            # time is fixed-width), so a reader sees the old text or the new one.
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        return True

    def current_lock(self) -> LockInfo | None:
        try:
            fd = os.open(self.lock_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StateError(f"cannot read the lock file {self.lock_path}: {error.strerror}") from error
        try:
            data = os.read(fd, 1 << 16)
            try:
                info = LockInfo.from_json(json.loads(data), str(self.lock_path))
            except ValueError as error:
                raise StateError(f"lock file {self.lock_path} is unreadable: {error}") from error
            return info.with_alive(judge_alive(info, proof=self._holder_alive(fd, info)))
        finally:
            os.close(fd)

    def _holder_alive(self, fd: int, info: LockInfo) -> bool:
        if info.id in self._held:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return True  # a live process keeps its flock on this file
            raise
        fcntl.flock(fd, fcntl.LOCK_UN)
        # Nobody holds the flock: the kernel dropped it when the holder's process ended.
        # (A pid check alone could be fooled by pid reuse; the flock cannot.)
        return False

    def _release(self, lock_id: str) -> None:
        fd = self._held.get(lock_id)
        if fd is None:
            raise StateError(f"lock {lock_id} on {self.describe()} is not held by this process")
        try:
            holder = self.current_lock()
            if holder is not None and holder.id == lock_id:
                with _named_errors("release the lock", self.lock_path):
                    os.unlink(self.lock_path)
                    _fsync_dir(self.path.parent)
        finally:
            del self._held[lock_id]
            os.close(fd)

    def force_unlock(self, lock_id: str) -> None:
        check_force_unlock(self.current_lock(), lock_id, self.describe(), still_running="that process")
        with _named_errors("remove the lock", self.lock_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.lock_path)
            _fsync_dir(self.path.parent)

    def reachability_notes(self) -> tuple[str, ...]:
        folder = self.path.parent
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        if not os.access(existing, os.W_OK):
            raise StateError(f"state folder {existing} is not writable")
        return ()

    def close(self) -> None:
        super().close()
        for lock_id in list(self._held):
            fd = self._held.pop(lock_id)
            os.close(fd)


@contextlib.contextmanager
def _named_errors(what: str, path: Path) -> Iterator[None]:
    """An ``OSError`` as a ``StateError`` naming ``path`` (a write's error names no file, and
    a temporary file's name would not tell which state it was for)."""
    try:
        yield
    except OSError as error:
        if isinstance(error, FileExistsError | BlockingIOError):
            raise
        raise StateError(
            f"cannot {what}: {path}: {error.strerror or error}",
            hint="Check the disk and the folder's permissions, then run the command again.",
        ) from error


def _lock_json(info: LockInfo) -> bytes:
    return json.dumps(info.to_json(), indent=2).encode("utf-8") + b"\n"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keep_as_backup(path: Path, backup: Path, current: bytes) -> None:
    """Make ``backup`` name the file ``path`` names now (whose bytes are ``current``), before
    ``path`` is replaced: a hard link renamed over the old backup, or, where the file system
    has no hard links or the file is not ours to chmod, a copy written atomically."""
    temp = backup.with_name(f".{backup.name}.{uuid.uuid4().hex}.tmp")
    try:
        os.link(path, temp)
    except OSError:
        _atomic_write(backup, current)
        return
    try:
        os.chmod(temp, FILE_MODE)  # the backup is as private as the state (shared inode)
    except OSError:
        os.unlink(temp)
        _atomic_write(backup, current)
        return
    try:
        os.replace(temp, backup)
    finally:
        # Left behind if the rename did nothing (the backup already was this very file: a
        # write that failed after this step), or failed.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    _fsync_dir(backup.parent)  # the backup's name is on disk before the state is replaced


def _atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` in one rename; ``durable``: on disk before returning (the
    state), or left to the kernel (the highest-serial record: a power cut can only make it lag,
    and it is written after every state write, where two more fsyncs would double the cost)."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if durable:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
