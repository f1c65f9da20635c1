"""The plan for machines: versioned JSON (``format_version``), one entry per change with
``address``, ``action``, ``reason``, ``before``, ``after``, plus drift, warnings, costs, jobs
in progress and the summary. Additions are backwards compatible; a removal bumps the version."""

from __future__ import annotations

from typing import Any, Final

from ftops.plan.model import Action, Change, Plan
from ftops.render.diff import ABSENT, field_changes
from ftops.render.summary import summarize, summary_line
from ftops.resources import thaw

RENDER_FORMAT_VERSION: Final = 1


def render_json(plan: Plan) -> dict[str, Any]:
    rendered = _render_json(plan)
    if plan.hosting:  # only for projects that deploy: every other plan's JSON stays as it was
        rendered["hosting"] = [
            {"address": h.address, "deployment": h.deployment, "model": h.model, "sku": h.sku,
             "capacity": h.capacity, "usd_per_hour": h.usd_per_hour, "usd_per_month": h.usd_per_month,
             "change": h.change}
            for h in plan.hosting
        ]
    return rendered


def _render_json(plan: Plan) -> dict[str, Any]:
    counts = summarize(plan)
    return {
        "format_version": RENDER_FORMAT_VERSION,
        "project": plan.project,
        "refresh_only": plan.refresh_only,
        "base": {
            "state_lineage": plan.base.state_lineage,
            "state_serial": plan.base.state_serial,
            "inputs_digest": plan.base.inputs_digest,
        },
        "changes": [_change(c) for c in plan.changes],
        "drift": [{"address": d.address, "message": d.message} for d in plan.drift],
        "warnings": list(plan.warnings),
        "costs": [
            {"address": c.address, "model": c.model, "training_tokens": c.training_tokens, "usd": c.usd,
             "tokens_estimated": c.tokens_estimated}
            for c in plan.costs
        ],
        "estimated_usd": round(plan.estimated_usd, 6),
        "in_progress": dict(plan.in_progress),
        "lifecycle": [
            {
                "address": m.address,
                "model_id": m.model_id,
                "base_model": m.base_model,
                "shutdown_date": m.shutdown_date,
                "days_left": m.days_left,
                "recording": m.recording,
            }
            for m in plan.lifecycle
        ],
        "summary": {
            "add": counts.add,
            "change": counts.change,
            "destroy": counts.destroy,
            "adopt": counts.adopt,
            "has_changes": plan.has_changes,
            "text": summary_line(plan),
        },
    }


def _diffed(change: Change) -> bool:
    return change.action in (Action.UPDATE, Action.REPLACE) and bool(change.before) and bool(change.after)


def _change(change: Change) -> dict[str, Any]:
    shown = {
        "address": change.address,
        "deposed": change.deposed,
        "action": change.action.value,
        "reason": change.reason,
        "before": thaw(change.before),
        "after": thaw(change.after),
        "fields": [
            {
                "path": f.path,
                "before": None if f.before is ABSENT else thaw(f.before),
                "after": None if f.after is ABSENT else thaw(f.after),
            }
            for f in (field_changes(change.before, change.after) if _diffed(change) else [])
        ],
        "depends_on": list(change.depends_on),
        "steps": [type(s).__name__ for s in change.steps],
    }
    if change.provider is not None:  # several providers: the alias the change's requests go to
        shown["provider"] = change.provider
    return shown
