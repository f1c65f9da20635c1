"""The plan for a pull-request comment: a summary line, a table of changes, the text diff in a
fenced block, and what else a reviewer must see (cost, drift, warnings)."""

from __future__ import annotations

from ftops.plan.model import Action, Plan
from ftops.render.diff import one_line
from ftops.render.summary import ESTIMATED_TOKENS, summary_line
from ftops.render.text import render_text


def _cell(text: str) -> str:
    # A reason may hold anything a manifest said: keep it inside its table cell.
    return one_line(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def _diff_line(line: str) -> str:
    """Symbols first on the line, so a diff block colours additions and deletions; no line
    may close the fence early."""
    line = line.replace("```", "'''")
    stripped = line.lstrip()
    return stripped if stripped.startswith(("+ ", "- ", "-/+ ", "~ ", "<= ")) else line


def render_markdown(plan: Plan) -> str:
    lines = [f"### ftops plan for `{_cell(plan.project)}`", "", f"**{summary_line(plan)}**"]
    if plan.costs:
        lines[-1] += f" Estimated training cost: **${plan.estimated_usd:,.2f}**."
        if any(c.tokens_estimated for c in plan.costs):
            lines[-1] += f" ({ESTIMATED_TOKENS})"
    if plan.hosting:
        monthly = sum(h.usd_per_month or 0.0 for h in plan.hosting if h.change != "delete")
        lines[-1] += f" Hosting run-rate after it: **${monthly:,.2f}/month**."
    shown = [c for c in plan.changes if c.action is not Action.NOOP]
    if shown:
        lines += ["", "| | Address | Action | Reason |", "|---|---|---|---|"]
        for change in shown:
            symbol, key, reason = change.action.symbol, _cell(change.key), _cell(change.reason)
            lines.append(f"| `{symbol}` | `{key}` | {change.action.value} | {reason} |")
    if plan.drift:
        lines += ["", "**Changed outside ftops:**", ""]
        lines += [f"- `{_cell(d.address)}`: {_cell(d.message)}" for d in plan.drift]
    if plan.warnings:
        lines += ["", "**Warnings:**", ""]
        lines += [f"- {_cell(w)}" for w in plan.warnings]
    text = render_text(plan, color=False).rstrip("\n")
    body = "\n".join(_diff_line(line) for line in text.split("\n"))
    lines += ["", "<details><summary>Plan output</summary>", "", "```diff", body, "```", "", "</details>"]
    return "\n".join(lines) + "\n"
