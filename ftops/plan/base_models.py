"""A job's base model, checked against the account's models listing before anything moves.

A misspelled base model (``gpt-4.1-mnii``) used to pass the plan, priced by its prefix,
and fail only when apply created the job, after the upload (issue 17). The refresh has
already listed the account's models, so the plan refuses a job it would create on a model
the account does not list, or on one the provider's catalogue knows cannot be fine-tuned,
naming the closest listed names. Pure: the listing and the catalogue are given.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ftops.diagnostics import Diagnostic
from ftops.lifecycle.catalogue import Catalogue, did_you_mean
from ftops.provider.registry import base_model_of_any
from ftops.resources import Job


def base_model_problems(
    jobs: Iterable[Job], listed: Collection[str], catalogue: Catalogue | None
) -> tuple[Diagnostic, ...]:
    """One diagnostic per job whose base model cannot be trained on, at the job's declaration."""
    out = []
    for job in jobs:
        problem = _problem(job.model, listed, catalogue)
        if problem is None:
            continue
        where = job.declared_at
        out.append(Diagnostic(
            where.file if where else "manifests", where.line if where else None,
            where.column if where else None, f"{job.address}.model", problem, code="plan.base-model",
        ))
    return tuple(out)


def _problem(model: str, listed: Collection[str], catalogue: Catalogue | None) -> str | None:
    fine_tuned = _is_fine_tune(model)
    tunable = [name for name in listed if catalogue is None or name in catalogue.fine_tunable
               or _is_fine_tune(name)]
    if model in listed:
        if catalogue is None or model not in catalogue.not_fine_tunable:
            return None
        return f"{model!r} cannot be fine-tuned" + did_you_mean(model, tunable, "the closest that can")
    if fine_tuned:  # continuing from a fine-tuned model: one of this account's, by its exact id
        same_kind = [name for name in listed if _is_fine_tune(name)]
        return ("no fine-tuned model of the account is named " + repr(model)
                + " (deleted, or another organization's?)" + did_you_mean(model, same_kind))
    candidates = [name for name in tunable if not _is_fine_tune(name)]
    return f"the account lists no model {model!r}" + did_you_mean(model, candidates)


def _is_fine_tune(model: str) -> bool:
    """A fine-tuned model's id, in any known provider's form (OpenAI's ``ft:...``, Azure's ...)."""
    return base_model_of_any(model) is not None
