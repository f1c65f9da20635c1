"""The one error tree of ftops.

Every error a user can meet is an ``FtopsError``; the CLI prints its message as
one line (plus its diagnostics, if any) and exits with its ``exit_code``.
Tracebacks are shown only with ``-v``. Anything that is not an ``FtopsError``
is a bug, and the CLI says so.

    FtopsError                      exit 1
    ├── UsageError                  a flag, argument or address that makes no sense
    ├── InputError                  a file the user gave us is wrong; carries diagnostics
    │   ├── ManifestError           manifests: schema, references, YAML problems
    │   └── DatasetError            training data that cannot be trained on
    ├── StateError                  the state document or its storage
    │   ├── StateCorruptError       unreadable, wrong format version, wrong lineage
    │   ├── StateLockedError        someone else holds the lock (names the holder)
    │   ├── StateConflictError      a conditional write lost a race (stale serial/etag)
    │   └── StateRolledBackError    the state is older than the newest its store has held
    ├── PlanError                   the plan cannot be made or carried out as asked
    │   ├── StalePlanError          a saved plan no longer matches state or inputs
    │   ├── BudgetExceededError     estimated cost above the manifests' budget
    │   ├── ProtectedResourceError  the plan would delete something protected
    │   └── ApprovalRequiredError   apply needs a yes and cannot ask for one
    └── ProviderError               the API said no, or could not be reached
        ├── AuthenticationError     401: missing or wrong key
        ├── PermissionDeniedError   403: e.g. deleting a model without the Owner role
        ├── NotFoundError           404
        ├── RateLimitedError        429 that outlived our retries
        ├── ServiceError            5xx or connection trouble that outlived our retries
        ├── PagingError             a listing that does not end (its cursor never advances)
        └── OutcomeUnknownError     a create whose result we never saw
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ftops.diagnostics import Diagnostic


class FtopsError(Exception):
    """Base of every error ftops reports to a user."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Errors met afterwards, while cleaning up (e.g. releasing the lock): shown after this one.
        self.followups: tuple[FtopsError, ...] = ()

    def followed_by(self, later: FtopsError) -> FtopsError:
        self.followups = (*self.followups, later)
        return self

    def __str__(self) -> str:
        return self.message


class UsageError(FtopsError):
    pass


class InputError(FtopsError):
    """A user-supplied file is wrong. ``diagnostics`` lists every problem found."""

    def __init__(
        self,
        message: str,
        diagnostics: Sequence[Diagnostic] = (),
        *,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)


class ManifestError(InputError):
    pass


class DatasetError(InputError):
    pass


class StateError(FtopsError):
    pass


class StateCorruptError(StateError):
    pass


class StateLockedError(StateError):
    pass


class StateConflictError(StateError):
    pass


class StateRolledBackError(StateError):
    pass


class PlanError(FtopsError):
    pass


class StalePlanError(PlanError):
    pass


class BudgetExceededError(PlanError):
    pass


class ProtectedResourceError(PlanError):
    pass


class ApprovalRequiredError(PlanError):
    pass


class ProviderError(FtopsError):
    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class AuthenticationError(ProviderError):
    pass


class PermissionDeniedError(ProviderError):
    pass


class NotFoundError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    pass


class ServiceError(ProviderError):
    pass


class PagingError(ProviderError):
    pass


class OutcomeUnknownError(ProviderError):
    pass
