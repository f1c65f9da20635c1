"""Where a Together job keeps ftops's identity (pure: no SDK, no server)."""

from __future__ import annotations

import re

import pytest

from ftops.provider.together.identity import MAX_SUFFIX, digest_of, suffix_for
from ftops.provider.types import JobIdentity, identity_digest

IDENTITY = JobIdentity("kakao-friends", "jobs.chunsik", "a" * 64)
TOKEN = "ftops-" + identity_digest("kakao-friends", "jobs.chunsik", "a" * 64)


@pytest.mark.parametrize(("user", "suffix"), [
    (None, TOKEN),
    ("chunsik", f"chunsik-{TOKEN}"),
    ("a" * 64, f"{'a' * 21}-{TOKEN}"),  # cut so that the whole fits Together's 40 characters
    ("my suffix!", f"my-suffix-{TOKEN}"),  # characters Together refuses become "-"
    ("!!!", TOKEN),
])
def test_the_suffix_ends_with_the_identity_token_and_fits(user: str | None, suffix: str) -> None:
    made = suffix_for(IDENTITY, user)
    assert made == suffix and len(made) <= MAX_SUFFIX and re.fullmatch(r"[A-Za-z0-9._-]+", made)
    assert digest_of(made, None) == TOKEN.removeprefix("ftops-")


def test_the_token_is_read_from_the_output_model_when_the_suffix_is_not_echoed() -> None:
    model = f"acme/Qwen2.5-7B-Instruct-chunsik-{TOKEN}-1a2b3c4d"
    assert digest_of(None, model) == TOKEN.removeprefix("ftops-")
    assert digest_of("chunsik", "acme/Qwen2.5-7B-Instruct-chunsik-1a2b3c4d") is None


def test_the_digest_tells_project_resource_and_inputs_apart() -> None:
    derived = JobIdentity("", None, "", TOKEN.removeprefix("ftops-"))
    assert derived.carries(IDENTITY)
    assert not derived.carries(JobIdentity("kakao-friends", "jobs.other", "a" * 64))
    assert not derived.carries(JobIdentity("kakao-friends", "jobs.chunsik", "b" * 64))
    assert not derived.carries(JobIdentity("other", "jobs.chunsik", "a" * 64))
