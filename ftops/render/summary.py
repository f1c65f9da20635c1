"""The counts and the one-line summary every view of a plan shares."""

from __future__ import annotations

from dataclasses import dataclass

from ftops.plan.model import Action, CancelJob, DeleteFile, DeleteModel, Plan

_DESTRUCTIVE = (CancelJob, DeleteFile, DeleteModel)
# Said wherever a plan shows token counts made with another model's encoding (Together's models).
ESTIMATED_TOKENS = ("token counts are estimates: no tokenizer of the base model is installed, so they are "
                    "counted with cl100k_base (docs/pricing.md)")


@dataclass(frozen=True, slots=True)
class Summary:
    add: int
    change: int
    destroy: int
    adopt: int

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.adopt)


def summarize(plan: Plan) -> Summary:
    """A replacement adds one; it destroys one only when it cancels or deletes something itself
    (an older upload or model is deleted by its own change, counted once there)."""
    actions = [c.action for c in plan.changes]
    return Summary(
        add=sum(a in (Action.CREATE, Action.REPLACE) for a in actions),
        change=sum(a is Action.UPDATE for a in actions),
        destroy=sum(
            c.action is Action.DELETE
            or (c.action is Action.REPLACE and any(isinstance(s, _DESTRUCTIVE) for s in c.steps))
            for c in plan.changes
        ),
        adopt=sum(a is Action.ADOPT for a in actions),
    )


def summary_line(plan: Plan) -> str:
    if plan.refresh_only:
        if plan.drift:
            n = len(plan.drift)
            return (
                f"Refresh only: {n} object{'s' if n != 1 else ''} changed outside ftops; "
                "apply with --refresh-only to record it in the state."
            )
        return "No changes. The state matches the account."
    counts = summarize(plan)
    if not counts.has_changes:
        return "No changes. The account matches the manifests."
    line = f"Plan: {counts.add} to add, {counts.change} to change, {counts.destroy} to destroy"
    if counts.adopt:
        line += f", {counts.adopt} to adopt"
    return line + "."
