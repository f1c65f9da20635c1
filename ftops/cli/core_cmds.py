"""The core commands: plan, apply, destroy, status, wait, output, chat, import, state, force-unlock.

Only typer, the standard library and ``ftops.cli.common`` at the top; each body
imports ``ftops.workflow`` (the Python API that does the work) and the renderers.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ftops.cli.common import (
    DEFAULT_MANIFESTS,
    JsonOption,
    ManifestsOption,
    NoCacheOption,
    ProviderOption,
    color_disabled,
    set_no_color,
)

if TYPE_CHECKING:
    from ftops.apply import ApplyResult, Reporter
    from ftops.errors import FtopsError
    from ftops.plan.model import Plan
    from ftops.workflow import Settings

LockTimeoutOption = Annotated[
    str, typer.Option("--lock-timeout", help="How long to wait for the state lock, e.g. 60s, 2m.")
]
TargetOption = Annotated[
    list[str] | None,
    typer.Option("--target", help="Plan only this address and what it depends on (repeatable)."),
]
ReplaceOption = Annotated[
    list[str] | None,
    typer.Option("--replace", help="Force a new upload or a new job for this address (repeatable)."),
]
AutoApproveOption = Annotated[bool, typer.Option("--auto-approve", help="Apply without asking.")]
ParallelismOption = Annotated[
    int, typer.Option("--parallelism", help="Changes run at once (uploads above all).")
]
WaitFlag = Annotated[
    bool, typer.Option("--wait", help="Wait for the jobs to end, then promote and prune in the same run.")
]
WaitTimeoutOption = Annotated[
    str | None,
    typer.Option("--wait-timeout", help="Give up waiting after this long, e.g. 2h (default: never)."),
]

NoColorOption = Annotated[
    bool,
    typer.Option("--no-color", help="Plain output: no colour, no live bars (also when NO_COLOR is set)."),
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(text: str, flag: str) -> float:
    """``60s``, ``2m``, ``1.5h``, ``500ms`` or a plain number of seconds."""
    from ftops.errors import UsageError

    match = _DURATION.match(text)
    if match is None:
        raise UsageError(f"{flag} {text!r}: use a duration such as 30s, 2m or 1h")
    value = float(match.group(1))
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]


def _settings(manifests: Path, provider: str | None, lock_timeout: str = "0s", *,
              no_cache: bool = False) -> Settings:
    from ftops.workflow import Settings

    return Settings(manifests=manifests, provider=provider,
                    lock_timeout=parse_duration(lock_timeout, "--lock-timeout"), dataset_cache=not no_cache)


def _note_emulator(provider: str | None) -> None:
    if provider == "emulator":
        from ftops.workflow import EMULATOR_STATE_PATH

        _echo(f"Using the embedded emulator (state in {EMULATOR_STATE_PATH}, apart from the real one).",
              err=True)


def _note_rehearsal(settings: Settings, nothing_found: str = "") -> None:
    """Say on stderr that the state holds nothing of what was asked, and where a rehearsal's
    state is, if one was kept apart (a newcomer's first runs are rehearsals)."""
    from ftops.workflow import rehearsal_note

    text = " ".join(part for part in (nothing_found, rehearsal_note(settings)) if part)
    if text:
        _echo(text, err=True)


def _set_no_color(value: bool) -> None:
    """``--no-color`` for this command: plain lines, as when NO_COLOR is set or not on a terminal."""
    set_no_color(value)


def _interactive() -> bool:
    return sys.stdout.isatty() and not color_disabled() and not os.environ.get("CI")


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _echo(text: str, err: bool = False) -> None:
    from ftops.secrets import redact

    typer.echo(redact(text), err=err)


def _show_plan(plan: Plan, fmt: str = "text") -> None:
    from ftops.render import render_json, render_markdown, render_text

    if fmt == "json":
        _echo(json.dumps(render_json(plan), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        _echo(render_markdown(plan))
    else:
        _echo(render_text(plan, color=_interactive()))


_APPLY_APPROVAL_HINT = "Pass --auto-approve, or apply a saved plan: ftops plan --out PLAN; ftops apply PLAN"
# A saved plan is made by `ftops plan`, which never plans a destroy: only the flag can say yes.
_DESTROY_APPROVAL_HINT = "Pass --auto-approve to destroy without a terminal (a saved plan cannot destroy)."


def _approver(auto_approve: bool, question: str, command: str = "apply",
              hint: str = _APPLY_APPROVAL_HINT) -> Any:
    def approve(_plan: Plan) -> bool:
        from ftops.errors import ApprovalRequiredError

        if auto_approve:
            return True
        if not _stdin_is_terminal() or os.environ.get("CI"):
            raise ApprovalRequiredError(
                f"{command} needs approval, and there is no terminal to ask on (or CI is set)", hint=hint,
            )
        answer = typer.prompt(f"\n{question}\n  Only 'yes' will be accepted", default="", show_default=False)
        if answer.strip() != "yes":
            _echo("Apply cancelled.")
            return False
        return True

    return approve


def _reporter() -> Reporter:
    from ftops.apply import make_reporter

    return make_reporter(_interactive())


def _report_result(result: ApplyResult, verb: str = "Apply", release_error: FtopsError | None = None) -> None:
    from ftops.apply import Status

    done = len(result.of(Status.DONE))
    pending, skipped, failed = result.pending, result.of(Status.SKIPPED), result.failed
    for outcome in skipped:
        _echo(f"{outcome.address}: skipped ({outcome.message})")
    summary = f"{done} change(s) done"
    if pending:
        summary += f", {len(pending)} pending"
    if skipped:
        summary += f", {len(skipped)} skipped"
    if failed:
        summary += f", {len(failed)} failed"
    _echo(f"\n{verb} {'failed' if failed else 'complete'}: {summary} "
          f"({result.requests} API requests, {result.mutating_requests} mutating).")
    if pending and not failed:
        names = ", ".join(o.address for o in pending)
        _echo(f"Pending: {names} wait for their jobs. Run `ftops apply --wait` (or `ftops wait`, then "
              "`ftops apply`) to finish.")
    for outcome in failed[1:]:
        _echo(f"Error: {outcome.message}", err=True)
    # What was done (above), then the error that stopped the run, then the lock (issue 22).
    if failed and failed[0].error is not None:
        if release_error is not None:
            failed[0].error.followed_by(release_error)
        raise failed[0].error
    if release_error is not None:
        raise release_error


# ---- plan / apply / destroy --------------------------------------------------------------------


def plan(
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Save the plan to apply it exactly later.")
    ] = None,
    json_output: JsonOption = False,
    fmt: Annotated[str, typer.Option("--format", help="text, json or markdown.")] = "text",
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 0 with no changes, 2 with changes, 1 on error.")
    ] = False,
    refresh_only: Annotated[bool, typer.Option("--refresh-only", help="Report drift only.")] = False,
    target: TargetOption = None,
    replace: ReplaceOption = None,
    lock_timeout: LockTimeoutOption = "0s",
    no_color: NoColorOption = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Show what apply would change, from the manifests, the state and the account."""
    from ftops import workflow
    from ftops.errors import UsageError

    _set_no_color(no_color)
    fmt = "json" if json_output else fmt
    if fmt not in ("text", "json", "markdown"):
        raise UsageError(f"--format {fmt!r}: use text, json or markdown")
    settings = _settings(manifests, provider, lock_timeout, no_cache=no_cache)
    _note_emulator(provider)
    run = workflow.plan(settings, _plan_options(target, replace, refresh_only))
    if out is not None:
        workflow.save_plan(run.plan, out)
    _show_plan(run.plan, fmt)
    if fmt == "text":
        _echo(f"\n(The account was read in {run.requests} API requests.)")
    if out is not None and fmt == "text":
        _echo(f"\nSaved the plan to {out}. Apply exactly it with: ftops apply {out}")
    changed = run.plan.has_changes or (run.plan.refresh_only and bool(run.plan.drift))
    if detailed_exitcode and changed:
        raise typer.Exit(2)


def _plan_options(target: list[str] | None, replace: list[str] | None, refresh_only: bool = False,
                  destroy: bool = False) -> Any:
    from ftops import clock
    from ftops.lifecycle.window import warning_days
    from ftops.plan.options import PlanOptions

    return PlanOptions(
        targets=frozenset(target or ()), replaces=frozenset(replace or ()),
        refresh_only=refresh_only, destroy=destroy, today=clock.today(),
        shutdown_warning_days=warning_days(),
    )


def _wait_options(timeout: str | None) -> Any:
    from ftops.apply import WaitOptions

    return WaitOptions(timeout=parse_duration(timeout, "--wait-timeout") if timeout else None)


def apply(
    plan_file: Annotated[Path | None, typer.Argument(help="A plan saved by `ftops plan --out`.")] = None,
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    auto_approve: AutoApproveOption = False,
    wait: WaitFlag = False,
    wait_timeout: WaitTimeoutOption = None,
    parallelism: ParallelismOption = 4,
    refresh_only: Annotated[bool, typer.Option("--refresh-only", help="Only update the state.")] = False,
    target: TargetOption = None,
    replace: ReplaceOption = None,
    lock_timeout: LockTimeoutOption = "0s",
    no_color: NoColorOption = False,
    no_cache: NoCacheOption = False,
    accept_inconclusive: Annotated[
        list[str] | None,
        typer.Option("--accept-inconclusive", metavar="NAME",
                     help="Let this model name move on an INCONCLUSIVE gate verdict (kept in the state "
                     "with who and when). Repeatable."),
    ] = None,
) -> None:
    """Make the account match the manifests (plan, show, ask, execute), or apply a saved plan."""
    from ftops import workflow
    from ftops.errors import UsageError

    _set_no_color(no_color)
    if plan_file is not None and (target or replace or refresh_only):
        raise UsageError("a saved plan is applied as it is: --target, --replace and --refresh-only "
                         "belong to `ftops plan`")
    _note_emulator(provider)
    hooks = workflow.ApplyHooks(
        show=_show_plan,
        approve=_approver(auto_approve, "Do you want to perform these actions?"),
        reporter=_reporter,
    )
    run = workflow.apply(
        _settings(manifests, provider, lock_timeout, no_cache=no_cache), hooks,
        options=_plan_options(target, replace, refresh_only), plan_file=plan_file,
        wait=_wait_options(wait_timeout) if wait else None, parallelism=parallelism,
        accept_inconclusive=frozenset(n.removeprefix("models.") for n in accept_inconclusive or ()),
    )
    if run.result is not None:
        _report_result(run.result, release_error=run.release_error)
    elif run.release_error is not None:
        raise run.release_error


def destroy(
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    auto_approve: AutoApproveOption = False,
    parallelism: ParallelismOption = 4,
    lock_timeout: LockTimeoutOption = "0s",
    no_color: NoColorOption = False,
) -> None:
    """Delete everything the project owns in the account; protected models are kept and reported."""
    from ftops import workflow

    _set_no_color(no_color)
    hooks = workflow.ApplyHooks(
        show=_show_plan,
        approve=_approver(auto_approve, "Do you really want to destroy everything this project owns?",
                          "destroy", _DESTROY_APPROVAL_HINT),
        reporter=_reporter,
    )
    run = workflow.apply(
        _settings(manifests, provider, lock_timeout), hooks,
        options=_plan_options(None, None, destroy=True), parallelism=parallelism,
    )
    if run.result is not None:
        _report_result(run.result, "Destroy", run.release_error)
    elif run.release_error is not None:
        raise run.release_error


# ---- status / wait / output / chat --------------------------------------------------------------


def status(
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    json_output: JsonOption = False,
    no_color: NoColorOption = False,
) -> None:
    """The project's jobs (status, progress, trained tokens, model, last event) and model names."""
    from ftops import workflow

    _set_no_color(no_color)
    settings = _settings(manifests, provider)
    rows, models = workflow.status(settings)
    if json_output:
        payload = {"jobs": [r.to_json() for r in rows], "models": [m.to_json() for m in models]}
        _echo(json.dumps(payload, indent=2))
        return
    if not rows and not models:
        _echo("Nothing in the state yet: run `ftops apply`.")
        _note_rehearsal(settings)
        return
    if _interactive():
        from rich.console import Console

        from ftops.render.status import status_tables

        console = Console()
        for table in status_tables(rows, models):
            console.print(table)
        return
    from ftops.render.status import status_lines

    for line in status_lines(rows, models):
        _echo(line)


def wait_cmd(
    address: Annotated[
        str | None, typer.Argument(help="A job address; default: every unfinished job.")
    ] = None,
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    wait_timeout: WaitTimeoutOption = None,
    lock_timeout: LockTimeoutOption = "0s",
    no_color: NoColorOption = False,
) -> None:
    """Wait for the state's unfinished jobs to end, with a live bar per job; exit 1 if one failed."""
    from ftops import workflow
    from ftops.errors import PlanError
    from ftops.provider.types import JobPhase

    _set_no_color(no_color)
    jobs = workflow.wait(_settings(manifests, provider, lock_timeout), _reporter(),
                         _wait_options(wait_timeout), address)
    bad = [j for j in jobs if j.phase is not JobPhase.SUCCEEDED]
    for job in jobs:
        _echo(f"{job.id}: {job.status}" + (f" ({job.fine_tuned_model})" if job.fine_tuned_model else ""))
    if bad:
        reason = f": {bad[0].error.message}" if bad[0].error else ""
        raise PlanError(f"job {bad[0].id} {bad[0].status}{reason}")


def output(
    name: Annotated[str | None, typer.Argument(
        help="A model name, or NAME.deployment for its deployment (Azure); default: all of them.")] = None,
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    json_output: JsonOption = False,
    with_provider: Annotated[bool, typer.Option(
        "--with-provider", help="Also each model's provider (alias, type, base URL): to follow a move.",
    )] = False,
) -> None:
    """Model names → the fine-tuned model ids they point at (from the state), and NAME.deployment → the
    deployment serving it (Azure), for applications and CI."""
    from ftops import workflow
    from ftops.errors import UsageError

    settings = _settings(manifests, provider)
    if with_provider:
        _output_with_providers(settings, name, json_output)
        return
    values = workflow.outputs(settings)
    if name is not None:
        key = name.removeprefix("models.")
        if key not in values:
            raise UsageError(f"models.{key} points at no model in the state",
                             hint=workflow.rehearsal_note(settings))
        _echo(json.dumps(values[key]) if json_output else values[key])
        return
    if not values:
        _note_rehearsal(settings, "No model name points at a model in the state yet.")
    if json_output:
        _echo(json.dumps(values, indent=2))
    else:
        for key, model_id in values.items():
            _echo(f"{key} = {model_id}")


def _output_with_providers(settings: Any, name: str | None, json_output: bool) -> None:
    """``output --with-provider``: ``NAME = MODEL  (TYPE BASE_URL, provider ALIAS)``, or in JSON
    ``{"model": ..., "provider": {"alias", "type", "base_url"}}`` per name."""
    from ftops import workflow
    from ftops.errors import UsageError

    values = workflow.outputs_with_providers(settings)
    if name is not None:
        key = name.removeprefix("models.")
        if key not in values:
            raise UsageError(f"models.{key} points at no model in the state",
                             hint=workflow.rehearsal_note(settings))
        values = {key: values[key]}
    elif not values:
        _note_rehearsal(settings, "No model name points at a model in the state yet.")
    if json_output:
        shown = {k: {"model": v.model_id, "provider": {"alias": v.alias, "type": v.type,
                                                        "base_url": v.base_url}}
                 for k, v in values.items()}
        _echo(json.dumps(shown[name.removeprefix("models.")] if name is not None else shown, indent=2))
        return
    for key, value in values.items():
        where = f"{value.type} {value.base_url}" if value.base_url else value.type
        _echo(f"{key} = {value.model_id}  ({where}, provider {value.alias})")


def chat(
    name: Annotated[str, typer.Argument(help="A model name of the manifests, or any model id.")],
    text: Annotated[str, typer.Argument(help="What to ask.")],
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    system: Annotated[
        str | None, typer.Option("--system", help="A system message sent before the question.")
    ] = None,
) -> None:
    """Ask a model name's current model (or any model id) one question."""
    from ftops import workflow

    _model, reply = workflow.chat(_settings(manifests, provider), name, text, system=system)
    _echo(reply)


# ---- import / state / force-unlock --------------------------------------------------------------


def import_cmd(
    address: Annotated[str, typer.Argument(help="datasets.NAME, jobs.NAME or models.NAME")],
    object_id: Annotated[str, typer.Argument(help="The file, job or model id in the account.")],
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    lock_timeout: LockTimeoutOption = "0s",
) -> None:
    """Record an object that already exists in the account under an address."""
    from ftops import workflow

    _echo(workflow.import_object(_settings(manifests, provider, lock_timeout), address, object_id))


state_app = typer.Typer(name="state", help="Inspect and edit the state.", no_args_is_help=True)


@state_app.command("list")
def state_list(manifests: ManifestsOption = DEFAULT_MANIFESTS, provider: ProviderOption = None) -> None:
    """Every address in the state."""
    from ftops import workflow
    from ftops.apply.admin import list_addresses

    settings = _settings(manifests, provider)
    addresses = list_addresses(workflow.read_state(settings))
    for address in addresses:
        _echo(address)
    if not addresses:
        _note_rehearsal(settings, "The state is empty.")


@state_app.command("show")
def state_show(address: str, manifests: ManifestsOption = DEFAULT_MANIFESTS,
               provider: ProviderOption = None) -> None:
    """One record of the state, as JSON."""
    from ftops import workflow
    from ftops.apply.admin import show
    from ftops.errors import UsageError

    settings = _settings(manifests, provider)
    try:
        record = show(workflow.read_state(settings), address)
    except UsageError as error:
        raise UsageError(error.message, hint=workflow.rehearsal_note(settings)) from None
    _echo(json.dumps(record, indent=2))


@state_app.command("rm")
def state_rm(address: str, manifests: ManifestsOption = DEFAULT_MANIFESTS, provider: ProviderOption = None,
             lock_timeout: LockTimeoutOption = "0s") -> None:
    """Forget an address (the account is not touched)."""
    from ftops import workflow
    from ftops.apply.admin import remove

    settings = _settings(manifests, provider, lock_timeout)
    workflow.edit_state(settings, "state rm", lambda j: remove(j, address))
    _echo(f"Removed {address} from the state.")


@state_app.command("mv")
def state_mv(source: str, destination: str, manifests: ManifestsOption = DEFAULT_MANIFESTS,
             provider: ProviderOption = None, lock_timeout: LockTimeoutOption = "0s") -> None:
    """Rename an address (e.g. after renaming a resource in the manifests)."""
    from ftops import workflow
    from ftops.apply.admin import move

    workflow.edit_state(_settings(manifests, provider, lock_timeout), "state mv",
                        lambda j: move(j, source, destination))
    _echo(f"Moved {source} to {destination}.")


@state_app.command("pull")
def state_pull(manifests: ManifestsOption = DEFAULT_MANIFESTS, provider: ProviderOption = None) -> None:
    """Print the stored state document exactly as stored (e.g. to back it up or repair it)."""
    from ftops import workflow

    typer.echo(workflow.state_pull(_settings(manifests, provider)), nl=False)


@state_app.command("push")
def state_push(
    file: Annotated[Path, typer.Argument(help="A full state document, e.g. from `ftops state pull`.")],
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace even a newer or other state.")] = False,
    lock_timeout: LockTimeoutOption = "0s",
) -> None:
    """Replace the stored state; refuses an older serial or another lineage unless --force."""
    from ftops import workflow
    from ftops.errors import UsageError

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{file}: cannot read it ({error})") from None
    stored = workflow.state_push(_settings(manifests, provider, lock_timeout), text, str(file), force)
    _echo(f"Pushed {file}: the state is now serial {stored.serial} of lineage {stored.lineage}.")


def force_unlock(
    lock_id: Annotated[str, typer.Argument(help="The lock id that the lock error printed.")],
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
) -> None:
    """Remove a lock left by a crashed run (only with the id of the current holder)."""
    from ftops import workflow

    workflow.force_unlock(_settings(manifests, provider), lock_id)
    _echo(f"Released lock {lock_id}.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
    app.command()(plan)
    app.command()(apply)
    app.command()(destroy)
    app.command()(status)
    app.command("wait")(wait_cmd)
    app.command()(output)
    app.command()(chat)
    app.command("import")(import_cmd)
    app.add_typer(state_app)
    app.command("force-unlock")(force_unlock)
