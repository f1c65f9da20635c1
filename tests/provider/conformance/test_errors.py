"""Every failure a service can give becomes exactly one class of ``ftops.errors``, as one line
(with an optional one-line hint), exit status 1, and never the key. The table this proves is in
docs/providers.md ("What each failure becomes")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ftops import errors
from ftops.emulator import RunningEmulator
from ftops.provider.base import FineTuningProvider
from ftops.provider.retry import RetryPolicy
from ftops.secrets import SECRET_ENV_VARS

from .conftest import KEY
from .subjects import Subject
from .support import job_spec, upload_training


def one_line(error: errors.FtopsError) -> str:
    """The error as the CLI prints it, checked: one line, a hint of one line, no key, exit 1."""
    text = str(error)
    assert text and "\n" not in text, text
    assert error.hint is None or "\n" not in error.hint, error.hint
    assert KEY not in text and KEY not in (error.hint or "")
    assert error.exit_code == 1
    return text


Operation = Callable[[FineTuningProvider, Subject], object]
OPERATIONS: dict[str, Operation] = {
    "list-files": lambda p, _s: p.list_files(),
    "list-jobs": lambda p, _s: p.list_jobs("conf-errors"),
    "list-models": lambda p, _s: p.list_models(),
    # A create refused for its key did nothing: its outcome is known, not OutcomeUnknownError.
    "create-job": lambda p, s: p.create_job(job_spec("conf-errors", s.base_model), "file-none", None),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_a_key_the_service_refuses_is_an_authentication_error(
    operation: Operation, subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider,
) -> None:
    emulator.set_revoked_keys({KEY})
    with pytest.raises(errors.AuthenticationError) as caught:
        operation(provider, subject)
    assert type(caught.value) is errors.AuthenticationError and caught.value.status == 401
    one_line(caught.value)
    assert provider.request_count == 1  # a wrong key is not retried


def test_an_unknown_job_is_not_found(subject: Subject, provider: FineTuningProvider) -> None:
    with pytest.raises(errors.NotFoundError) as caught:
        provider.retrieve_job(subject.missing_job_id)
    assert type(caught.value) is errors.NotFoundError and caught.value.status == 404
    assert subject.missing_job_id in one_line(caught.value)


def test_a_429_is_waited_out_as_retry_after_asks(
    emulator: RunningEmulator, provider: FineTuningProvider, retry: RetryPolicy,
) -> None:
    emulator.set_faults("[GET *] seq:429,429, retry-after:2.5s")
    assert provider.list_jobs("conf-errors") == ()
    assert retry.waits == [2.5, 2.5]


def test_a_429_asking_a_wait_too_long_for_one_run_fails_at_once(
    emulator: RunningEmulator, provider: FineTuningProvider, retry: RetryPolicy,
) -> None:
    emulator.set_faults("[GET *] seq:429, retry-after:300s")
    with pytest.raises(errors.RateLimitedError) as caught:
        provider.list_files()
    one_line(caught.value)
    assert retry.waits == [] and provider.request_count == 1


def test_a_429_that_outlasts_the_retries_is_rate_limited(
    emulator: RunningEmulator, provider: FineTuningProvider, retry: RetryPolicy,
) -> None:
    emulator.set_faults("[GET *] 429:1, retry-after:0.5s")
    with pytest.raises(errors.RateLimitedError) as caught:
        provider.list_models()
    assert type(caught.value) is errors.RateLimitedError and caught.value.status == 429
    one_line(caught.value)
    assert retry.waits == [0.5] * (retry.attempts - 1)
    assert len(emulator.requests()) == retry.attempts


def test_a_5xx_that_outlasts_the_retries_is_a_service_error(
    emulator: RunningEmulator, provider: FineTuningProvider, retry: RetryPolicy,
) -> None:
    emulator.set_faults("[GET *] 500:1")
    with pytest.raises(errors.ServiceError) as caught:
        provider.list_files()
    assert type(caught.value) is errors.ServiceError and caught.value.status == 500
    one_line(caught.value)
    assert len(emulator.requests()) == retry.attempts


def test_a_refused_connection_is_a_service_error(unreachable: FineTuningProvider, retry: RetryPolicy) -> None:
    with pytest.raises(errors.ServiceError) as caught:
        unreachable.list_models()
    assert type(caught.value) is errors.ServiceError and caught.value.status is None
    assert "could not reach" in one_line(caught.value)
    assert len(retry.waits) == retry.attempts - 1


def test_each_refusal_of_a_job_is_one_error_and_makes_no_job(
    subject: Subject, emulator: RunningEmulator, provider: FineTuningProvider, project: str, tmp_path: Path,
) -> None:
    file = upload_training(provider, project, tmp_path, "refused")
    assert subject.refusals, "every service refuses some jobs: stage them on its emulator"
    for refusal in subject.refusals:
        emulator.runtime.refusals = ()
        refusal.stage(emulator)
        before = subject.count_jobs(emulator)
        with pytest.raises(errors.FtopsError) as caught:
            provider.create_job(job_spec(project, refusal.model, training=refusal.training), file.id, None)
        assert type(caught.value) is refusal.error, (refusal.name, caught.value)
        assert refusal.words in one_line(caught.value), refusal.name
        assert subject.count_jobs(emulator) == before, refusal.name


def test_every_variable_the_adapter_takes_a_key_from_is_one_ftops_redacts(
    subject: Subject, provider: FineTuningProvider,
) -> None:
    assert provider.capabilities.secret_env_vars == subject.capabilities.secret_env_vars
    assert set(provider.capabilities.secret_env_vars) <= set(SECRET_ENV_VARS)
