"""When to try a request again, and how long to wait first.

The SDK's own retries are switched off (``max_retries=0``) because they cannot
tell a read from a create: repeating a create whose first attempt may have
succeeded is how a fine-tuning job gets trained (and billed) twice. Here:

- a read (listing, retrieve, events, chat) is retried on 429, 5xx and connection
  trouble, with exponential backoff and jitter, honouring ``Retry-After``;
- a create is retried only when the service certainly did nothing: a 429 (the
  request was refused), or a connection that was never established. Anything else
  whose outcome we did not see (a timeout, a dropped connection, a 5xx) raises
  ``OutcomeUnknownError`` so the caller looks for the object before trying again;
- a cancel or delete is idempotent, so it is retried like a read;
- a host name that does not resolve is not retried at all: no wait makes a misspelt
  ``base_url`` resolve, and six tries took about 13 s before the one line (issue 17).
"""

from __future__ import annotations

import email.utils
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import httpx2
import openai

from ftops.errors import OutcomeUnknownError, ProviderError, ServiceError
from ftops.provider.errors import error_code, translate
from ftops.secrets import redact

T = TypeVar("T")

# A Retry-After longer than this is treated as "give up": waiting minutes inside one
# apply is worse than failing with a clear message the user can act on.
MAX_RETRY_AFTER_S = 120.0


class Kind(Enum):
    READ = "read"  # safe to repeat
    CREATE = "create"  # never repeat unless the service certainly did nothing
    IDEMPOTENT = "idempotent"  # cancel/delete: repeating is harmless


@dataclass
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    # Every wait taken, for tests and benchmarks that check Retry-After was honoured.
    waits: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff (attempt counts from 1)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def wait(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
        self.sleep(seconds)


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, ``retry-after`` seconds, or an HTTP date."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """One SDK's exception classes and how to read them: the ``openai`` SDK's by default; the
    ``together`` SDK (generated the same way, over ``httpx``) brings its own (``ftops.provider.together``)."""

    status_error: type[Exception]  # has .status_code and .response
    connection_error: type[Exception]
    timeout_error: type[Exception]
    base_error: type[Exception]  # anything else the SDK raises
    never_connected: tuple[type[BaseException], ...]  # HTTP-client causes: the request was never sent
    translate: Callable[[Any, str], ProviderError]
    error_code: Callable[[Any], str | None]


OPENAI_ERRORS = SdkErrors(
    status_error=openai.APIStatusError,
    connection_error=openai.APIConnectionError,
    timeout_error=openai.APITimeoutError,
    base_error=openai.OpenAIError,
    never_connected=(httpx2.ConnectError, httpx2.ConnectTimeout),
    translate=translate,
    error_code=error_code,
)


def _never_sent(error: BaseException, sdk: SdkErrors) -> bool:
    """True when the connection was never established, so the service saw nothing."""
    return isinstance(error.__cause__, sdk.never_connected)


def _unresolved_host(error: BaseException) -> socket.gaierror | None:
    """The name-resolution failure behind a connection error, if that is what it was."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, socket.gaierror):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _host_error(what: str, error: BaseException, failure: socket.gaierror) -> ServiceError:
    request = getattr(error, "request", None)
    host = request.url.host if request is not None else "the API host"
    reason = failure.strerror or str(failure)
    return ServiceError(
        f"{what}: cannot resolve the host name {host} ({redact(reason)})",
        hint="Check the provider's base_url or endpoint in the manifests, and the network or DNS.",
    )


# 429s that waiting seconds cannot cure: the daily job quota frees up over hours (issue 10).
NOT_RETRIED_CODES = frozenset({"daily_rate_limit_exceeded"})


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def call(policy: RetryPolicy, kind: Kind, what: str, operation: Callable[[], T],
         sdk: SdkErrors = OPENAI_ERRORS) -> T:
    """Run ``operation`` (one SDK call), retrying as ``kind`` allows; SDK errors become
    ``ftops.errors`` ones. ``what`` names the request for messages, e.g. "create job jobs.x"."""
    translate = sdk.translate
    attempt = 0
    while True:
        attempt += 1
        try:
            return operation()
        except sdk.status_error as error:
            status: int = getattr(error, "status_code", 0)
            if not _retryable_status(status) or sdk.error_code(error) in NOT_RETRIED_CODES:
                raise translate(error, what) from error
            if kind is Kind.CREATE and status != 429:
                raise OutcomeUnknownError(
                    f"{what}: the service answered {status}, so whether it was done is unknown",
                    status=status,
                ) from error
            delay = retry_after_seconds(error.response.headers)  # type: ignore[attr-defined]
            if delay is not None and delay > MAX_RETRY_AFTER_S:
                raise translate(error, what) from error
            if attempt >= policy.attempts:
                raise translate(error, what) from error
            policy.wait(delay if delay is not None else policy.backoff(attempt))
        except sdk.connection_error as error:
            unresolved = _unresolved_host(error)
            if unresolved is not None:  # nothing was sent: safe for a create too, and final
                raise _host_error(what, error, unresolved) from error
            if kind is Kind.CREATE and not _never_sent(error, sdk):
                timeout = isinstance(error, sdk.timeout_error)
                raise OutcomeUnknownError(
                    f"{what}: {'timed out' if timeout else 'the connection dropped'} "
                    "before an answer, so whether it was done is unknown"
                ) from error
            if attempt >= policy.attempts:
                raise translate(error, what) from error
            policy.wait(policy.backoff(attempt))
        except sdk.base_error as error:
            raise translate(error, what) from error


__all__ = [
    "OPENAI_ERRORS", "Kind", "ProviderError", "RetryPolicy", "SdkErrors", "call", "retry_after_seconds",
]
