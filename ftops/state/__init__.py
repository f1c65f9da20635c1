"""The state: what ftops has created, stored behind one small interface.

``StateSnapshot`` is the immutable document; ``StateStorage`` the interface
(read, write, lock, unlock) that the local, S3 and PostgreSQL backends share;
``open_storage`` picks one from the manifests' ``backend`` block.
"""

from ftops.state.factory import BACKEND_TYPES, open_storage
from ftops.state.initialize import InitResult, init_backend
from ftops.state.lock import LockInfo, locked
from ftops.state.snapshot import FORMAT_VERSION, STATE_ADDRESS_KINDS, StateSnapshot, new_snapshot
from ftops.state.storage import BaseStorage, StateStorage
from ftops.state.transfer import Reachability, check_reachable, migrate_state, pull, push

__all__ = [
    "BACKEND_TYPES",
    "FORMAT_VERSION",
    "STATE_ADDRESS_KINDS",
    "BaseStorage",
    "InitResult",
    "LockInfo",
    "Reachability",
    "StateSnapshot",
    "StateStorage",
    "check_reachable",
    "init_backend",
    "locked",
    "migrate_state",
    "new_snapshot",
    "open_storage",
    "pull",
    "push",
]
