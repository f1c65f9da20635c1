"""Where a Together job keeps ftops's identity: Together jobs carry no user metadata.

The job's **suffix** ends with ``ftops-<digest>``, the 12-hex digest of project, resource
address and inputs hash (``ftops.provider.types.identity_digest``); the service puts the
suffix in the output model's name, so it shows there too. Together takes at most 40
characters of ``[A-Za-z0-9._-]``: a suffix of the manifest's is kept in front, cut to fit
and with other characters made ``-``.

A job with a token is read back as ``JobIdentity("", None, "", digest)``: whoever knows a
full identity (the planner, ``find_job``) tells whether the job carries it. The training
file's name (``ftops-<project>--<dataset>--<hash12>.jsonl``) is not trusted to say the
project: the service answers an upload of bytes it already holds with the first file, whose
name may be another project's.
"""

from __future__ import annotations

import re
from typing import Final

from ftops.provider.types import IDENTITY_DIGEST_LENGTH, JobIdentity, identity_digest

MAX_SUFFIX: Final = 40  # the SDK's docstring, and what the service refuses beyond
MARK: Final = "ftops-"
# What is left of the 40 to a manifest's suffix once "-ftops-<digest>" is added: the validator
# refuses a longer one offline (``ftops.provider.together.accepts``), so nothing is cut unseen.
MAX_USER_SUFFIX: Final = MAX_SUFFIX - 1 - len(MARK) - IDENTITY_DIGEST_LENGTH
_TOKEN: Final = re.compile(rf"(?:^|-){MARK}([0-9a-f]{{{IDENTITY_DIGEST_LENGTH}}})$")
_IN_MODEL_NAME: Final = re.compile(rf"-{MARK}([0-9a-f]{{{IDENTITY_DIGEST_LENGTH}}})-")
_NOT_ALLOWED: Final = re.compile(r"[^A-Za-z0-9._-]+")


def suffix_for(identity: JobIdentity, user_suffix: str | None) -> str:
    """The suffix to create a job with: the manifest's suffix (cut to fit) and the identity token."""
    if identity.resource is None:
        raise ValueError("a job is created with its full identity")
    token = MARK + identity_digest(identity.project, identity.resource, identity.inputs_hash)
    if not user_suffix:
        return token
    room = MAX_SUFFIX - len(token) - 1
    kept = _NOT_ALLOWED.sub("-", user_suffix)[:room].strip("-")
    return f"{kept}-{token}" if kept else token


def digest_of(suffix: str | None, output_model: str | None) -> str | None:
    """The identity digest a job's suffix (or, when the service does not echo it, its output
    model's name) carries; None for a job ftops did not create."""
    found = _TOKEN.search(suffix or "")
    if found is None and output_model:
        found = _IN_MODEL_NAME.search(output_model)
    return found.group(1) if found else None
