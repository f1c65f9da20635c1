"""The plan for people: one line per change with Terraform's symbols, the reason, a field-level
diff for updates and replacements, then jobs in progress, cost, drift, warnings and the summary."""

from __future__ import annotations

from ftops.plan.model import Action, Change, Plan
from ftops.render.diff import field_changes, one_line, show
from ftops.render.summary import ESTIMATED_TOKENS, summary_line

_COLORS = {
    Action.CREATE: "32",  # green
    Action.UPDATE: "33",  # yellow
    Action.DELETE: "31",  # red
    Action.REPLACE: "35",  # magenta
    Action.ADOPT: "36",  # cyan
    Action.NOOP: "0",
}
_DIFFED = (Action.UPDATE, Action.REPLACE)


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and code != "0" else text

    def bold(self, text: str) -> str:
        return self("1", text)


def render_text(plan: Plan, color: bool = False) -> str:
    paint = _Paint(color)
    lines: list[str] = []
    shown = [c for c in plan.changes if c.action is not Action.NOOP]
    if shown:
        lines.append("ftops will perform the following actions:")
        lines.append("")
        width = max(len(c.key) for c in shown)
        for change in shown:
            lines.extend(_change_lines(change, width, paint))
        lines.append("")
    if plan.in_progress:
        lines.append(paint.bold("Jobs in progress:"))
        width = max(len(a) for a in plan.in_progress)
        lines.extend(f"  {address.ljust(width)}  {status}" for address, status in plan.in_progress.items())
        lines.append("")
    if plan.costs:
        lines.extend(_cost_lines(plan))
        lines.append("")
    if plan.hosting:
        lines.extend(hosting_lines(plan))
        lines.append("")
    dated = [m for m in plan.lifecycle if m.shutdown_date]
    if dated:
        lines.append(paint.bold("Model shutdown dates:"))
        width = max(len(m.address) for m in dated)
        for m in dated:
            days = (
                "" if m.days_left is None else f" ({m.days_left} days)" if m.days_left > 0 else " (shut down)"
            )
            model = m.model_id or "(no model yet)"
            recorded = f", recorded in {m.recording}" if m.recording else ""
            if m.model_id and not m.recording and (m.days_left is None or m.days_left > 0):
                # After the shutdown, a recording is the only exact record of how the model answered.
                recorded = f" and has no recording: run ftops record {m.address.removeprefix('models.')}"
            lines.append(f"  {m.address.ljust(width)}  {model} on {m.base_model}: {m.shutdown_date}{days}"
                         f"{recorded}")
        lines.append("")
    if plan.drift:
        lines.append(paint.bold("Changes outside ftops (drift):"))
        lines.extend(f"  {one_line(d.address)}: {one_line(d.message)}" for d in plan.drift)
        lines.append("")
    if plan.warnings:
        lines.append(paint.bold("Warnings:"))
        lines.extend(f"  {paint('33', '!')} {one_line(w)}" for w in plan.warnings)
        lines.append("")
    lines.append(paint.bold(summary_line(plan)))
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, width: int, paint: _Paint) -> list[str]:
    code = _COLORS[change.action]
    symbol = paint(code, change.action.symbol.rjust(3))
    lines = [f"  {symbol} {one_line(change.key).ljust(width)}  {one_line(change.reason)}"]
    if change.action in _DIFFED and change.before is not None and change.after is not None:
        for field in field_changes(change.before, change.after):
            lines.append(
                f"          {paint('33', '~')} {field.path}: {show(field.before)} → {show(field.after)}"
            )
    return lines


def hosting_lines(plan: Plan) -> list[str]:
    """Each deployment with its hourly price and monthly run-rate (730 h), then the total of those
    that stay: what the project costs to keep serving, used or not."""
    from ftops.datasets.hosting import table_date

    lines = ["Hosting (deployments, billed by the hour while they exist):"]
    width = max(len(h.address) for h in plan.hosting)
    name_width = max(len(h.deployment) for h in plan.hosting)
    for h in plan.hosting:
        price = (f"${h.usd_per_hour:,.2f}/h  ${h.usd_per_month or 0.0:,.2f}/month"
                 if h.usd_per_hour is not None else "unknown (no hourly price for this model)")
        lines.append(f"  {h.change.ljust(6)}  {h.address.ljust(width)}  {h.deployment.ljust(name_width)}  "
                     f"{h.sku} x{h.capacity}  {price}")
    staying = [h for h in plan.hosting if h.change != "delete"]
    total = sum(h.usd_per_month or 0.0 for h in staying)
    unknown = " (some prices unknown)" if any(h.usd_per_hour is None for h in staying) else ""
    lines.append(f"  Run-rate after this plan: ${total:,.2f}/month{unknown} (packaged prices of "
                 f"{table_date()}, unconfirmed; pricing: {{MODEL: {{hosting: N}}}} overrides them)")
    return lines


def _cost_lines(plan: Plan) -> list[str]:
    lines = ["Estimated training cost of the jobs this plan starts:"]
    width = max(len(c.address) for c in plan.costs)
    model_width = max(len(c.model) for c in plan.costs)
    marked = any(c.tokens_estimated for c in plan.costs)
    for cost in plan.costs:
        usd = f"${cost.usd:,.2f}" if cost.usd is not None else "unknown (no price for this model)"
        about = ("~" if cost.tokens_estimated else " ") if marked else ""
        lines.append(
            f"  {cost.address.ljust(width)}  {cost.model.ljust(model_width)}  "
            f"{about}{cost.training_tokens:>12,} tokens  {usd}"
        )
    tokens = sum(c.training_tokens for c in plan.costs)
    unknown = " (some prices unknown)" if any(c.usd is None for c in plan.costs) else ""
    lines.append(f"  Total: {tokens:,} training tokens, ${plan.estimated_usd:,.2f}{unknown}")
    if marked:
        lines.append(f"  ~ {ESTIMATED_TOKENS}")
    return lines
