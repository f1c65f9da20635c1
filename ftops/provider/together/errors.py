"""``together`` SDK exceptions → the ``ftops.errors`` tree, as one line that says what to do,
and the SDK's exception classes for the shared retry rule (``ftops.provider.retry``).

The service's message is kept (it names the cause), prefixed with what ftops was doing, and
passed through ``redact``. Together answers errors in OpenAI's ``{"error": {...}}`` shape,
except a few bare ``{"message": ...}`` (the model limits' 404, the upload's 409).
"""

from __future__ import annotations

from typing import Any

import httpx
import together

from ftops import errors
from ftops.provider.retry import SdkErrors
from ftops.secrets import redact

_KEY_HINT = "Check TOGETHER_API_KEY in the environment (and provider.base_url, when one is set)."


def _service_message(error: together.APIError) -> str:
    body: Any = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            message: str = inner["message"]
            param = inner.get("param")
            return f"{message} (param: {param})" if isinstance(param, str) and param else message
    return error.message


def error_code(error: Any) -> str | None:
    body: Any = getattr(error, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    code = inner.get("code") if isinstance(inner, dict) else None
    return code if isinstance(code, str) and code else None


def translate(error: Any, what: str) -> errors.ProviderError:
    """One ``ProviderError`` subclass for one SDK error; ``what`` says what was attempted."""
    if isinstance(error, together.APIStatusError):
        status = error.status_code
        line = f"{what}: {redact(_service_message(error))} (HTTP {status})"
        if status == 401:
            return errors.AuthenticationError(line, status=status, hint=_KEY_HINT)
        if status == 403:
            return errors.PermissionDeniedError(line, status=status)
        if status == 404:
            return errors.NotFoundError(line, status=status)
        if status == 429:
            return errors.RateLimitedError(line + ", still rate-limited after retries", status=status,
                                           hint="Try again later.")
        if status >= 500:
            return errors.ServiceError(line + ", still failing after retries", status=status)
        return errors.ProviderError(line, status=status)
    if isinstance(error, together.APITimeoutError):
        return errors.ServiceError(f"{what}: timed out, still failing after retries")
    if isinstance(error, together.APIConnectionError):
        cause = error.__cause__
        reason = f" ({redact(str(cause))})" if cause and str(cause) else ""
        return errors.ServiceError(f"{what}: could not reach the API{reason}, still failing after retries")
    return errors.ProviderError(f"{what}: {redact(str(error))}")


def connection_error(error: httpx.TransportError) -> together.APIConnectionError:
    """The SDK's upload PUTs the bytes with the bare HTTP client, whose failures it does not wrap:
    wrapped here (the cause kept) so the retry rule reads them as any dropped connection."""
    try:
        request = error.request
    except RuntimeError:  # no request attached
        request = httpx.Request("PUT", "http://upload.invalid/")
    wrapped = together.APIConnectionError(message=str(error) or type(error).__name__, request=request)
    wrapped.__cause__ = error
    return wrapped


TOGETHER_ERRORS = SdkErrors(
    status_error=together.APIStatusError,
    connection_error=together.APIConnectionError,
    timeout_error=together.APITimeoutError,
    base_error=together.TogetherError,
    never_connected=(httpx.ConnectError, httpx.ConnectTimeout),
    translate=translate,
    error_code=error_code,
)
