"""SDK exceptions → the ``ftops.errors`` tree, as one line that says what to do.

The service's own message is kept (it usually names the cause), prefixed with
what ftops was doing, and passed through ``redact`` because an SDK message may
quote a header or a URL.
"""

from __future__ import annotations

from typing import Any

import openai

from ftops import errors
from ftops.lifecycle.refusals import explain
from ftops.secrets import redact


def _service_message(error: openai.APIError) -> str:
    body: Any = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            message = inner["message"]
            param = inner.get("param")
            return f"{message} (param: {param})" if isinstance(param, str) and param else message
    return error.message


def error_code(error: openai.APIError) -> str | None:
    """The service's ``error.code`` (e.g. ``daily_rate_limit_exceeded``), when it sent one."""
    body: Any = error.body
    inner = body.get("error", body) if isinstance(body, dict) else None
    code = inner.get("code") if isinstance(inner, dict) else None
    return code if isinstance(code, str) and code else None


def _explained(error: openai.APIStatusError, what: str) -> errors.ProviderError | None:
    """A refusal that ends a job before it starts (issue 10), as one line with cause and remedy;
    the service's own words follow as the hint."""
    # Only job creation: the same code elsewhere (say, on a chat) would not mean a refused job.
    line = explain(error_code(error)) if what.startswith("create job") else None
    if line is None:
        return None
    status = error.status_code
    hint = "The service said: " + redact(_service_message(error))
    kind = {403: errors.PermissionDeniedError, 429: errors.RateLimitedError}.get(status, errors.ProviderError)
    return kind(f"{what}: {line} (HTTP {status})", status=status, hint=hint)


def _azure_hint(error: openai.APIStatusError) -> str | None:
    """What to do about errors only Azure OpenAI gives: no such deployment, an unknown api-version,
    a wrong endpoint (Azure's bare "Resource not found")."""
    code = error_code(error)
    if code == "DeploymentNotFound":
        return ("On Azure OpenAI a model answers through a deployment, and ftops asks the deployment "
                "named after the model id: deploy the model under that name (see docs/azure.md).")
    if code == "BadRequest" and "api version" in _service_message(error).lower():
        return "Set provider.api_version to one your Azure OpenAI resource supports, e.g. 2025-04-01-preview."
    if error.status_code == 404 and _service_message(error) == "Resource not found":
        return "Check provider.endpoint (https://RESOURCE.openai.azure.com) and provider.api_version."
    return None


def translate(error: openai.OpenAIError, what: str) -> errors.ProviderError:
    """One ``ProviderError`` subclass for one SDK error; ``what`` says what was attempted."""
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        explained = _explained(error, what)
        if explained is not None:
            return explained
        detail = redact(_service_message(error))
        line = f"{what}: {detail} (HTTP {status})"
        if status == 401:
            return errors.AuthenticationError(
                line, status=status,
                hint="Check the API key in the environment (OPENAI_API_KEY; for azure, AZURE_OPENAI_API_KEY "
                "or AZURE_OPENAI_AD_TOKEN) and, for azure, provider.endpoint.",
            )
        if status == 403:
            hint = None
            if what.startswith("delete model"):
                hint = "Deleting a fine-tuned model needs the Owner role in the organization."
            return errors.PermissionDeniedError(line, status=status, hint=hint)
        if status == 404:
            return errors.NotFoundError(line, status=status, hint=_azure_hint(error))
        if status == 429:
            return errors.RateLimitedError(
                line + ", still rate-limited after retries", status=status, hint="Try again later."
            )
        if status >= 500:
            return errors.ServiceError(line + ", still failing after retries", status=status)
        return errors.ProviderError(line, status=status, hint=_azure_hint(error))
    if isinstance(error, openai.APITimeoutError):
        return errors.ServiceError(f"{what}: timed out, still failing after retries")
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__
        reason = f" ({redact(str(cause))})" if cause and str(cause) else ""
        return errors.ServiceError(f"{what}: could not reach the API{reason}, still failing after retries")
    return errors.ProviderError(f"{what}: {redact(str(error))}")
