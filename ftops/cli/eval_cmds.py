"""Commands of the evaluations area: ``record`` and ``eval``.

Only typer and ``ftops.cli.common`` at the top; the engines load in the bodies.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ftops.cli.common import DEFAULT_MANIFESTS, ManifestsOption, ProviderOption

if TYPE_CHECKING:
    from ftops.evals.record import RecordTarget
    from ftops.resources import Project
    from ftops.workflow import Settings

ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, max=64, help="Answers asked at once (default 4).")
]
# --detailed-exitcode: the verdict as the exit status (0 stays "completed" without it).
VERDICT_EXIT = {"PASS": 0, "FAIL": 3, "INCONCLUSIVE": 4}


def record(
    names: Annotated[list[str] | None, typer.Argument(help="Model names to record.")] = None,
    all_names: Annotated[
        bool, typer.Option("--all", help="Every model name that points at a model.")
    ] = False,
    prompts: Annotated[
        Path | None,
        typer.Option("--prompts", help="A JSONL file of cases to ask instead of the name's evals."),
    ] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", min=1, max=20, help="Answers per case (default: the eval's).")
    ] = None,
    concurrency: ConcurrencyOption = 4,
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
) -> None:
    """Ask the model behind each name every case of its evals and keep the answers under recordings/.

    Append-only: a second run asks only for cases not yet recorded, and an interrupted one keeps
    every answer it got. The estimated cost is shown first, and refused above the budget."""
    from ftops.errors import UsageError
    from ftops.evals import record as recorder
    from ftops.plan.records import read_records
    from ftops.workflow import Settings, load_project, session

    settings = Settings(manifests=manifests, provider=provider)
    project = load_project(settings)
    with session(settings, "record", project=project, lock=False) as current:
        records = read_records(current.read_state())
        recorded_names = sorted(n for n in project.models if n in records.models)
        chosen_names = recorded_names if all_names else (names or [])
        if not chosen_names:
            raise UsageError("name a model to record, or pass --all" if not all_names
                             else "no model name points at a model yet: nothing to record")
        targets = recorder.targets(project, records, [n.removeprefix("models.") for n in chosen_names],
                                   prompts=prompts, samples=samples)
        provider_name = provider or project.provider.type
        cost = recorder.estimate_all(targets, provider_name, project.chat_pricing)
        typer.echo(f"Recording {len(targets)} name(s): {cost.describe()}.")
        recorder.check_budget(project, cost, "ftops record")
        done = []
        for alias, group in _by_alias(settings, project, targets):  # several providers: each name's own
            done += recorder.record_all(current.provider_of(alias), group, provider_name,
                                        concurrency=concurrency)
    for item in done:
        got = item.collected
        where = item.target.path.relative_to(project.root).as_posix()
        typer.echo(f"models.{item.target.name}: {item.target.model_id} -> {where}: "
                   f"{got.asked} answer(s) recorded, {got.reused} already there")


def _by_alias(settings: Settings, project: Project,
              targets: list[RecordTarget]) -> list[tuple[str, list[RecordTarget]]]:
    """The targets grouped by the provider alias their model is on (one group without aliases)."""
    from ftops.workflow import alias_of_address

    groups: dict[str, list[RecordTarget]] = {}
    for target in targets:
        groups.setdefault(alias_of_address(project, settings, f"models.{target.name}"), []).append(target)
    return sorted(groups.items())


def eval_cmd(
    name: Annotated[str, typer.Argument(help="The model name whose candidate (or current model) to judge.")],
    against: Annotated[
        str | None,
        typer.Option("--against",
                     help="current, recording, or a model id (default: the gate's no_worse_than)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text, json (JSON alone on stdout) or markdown (a PR comment).")
    ] = "text",
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 0 on PASS, 3 on FAIL, 4 on INCONCLUSIVE."),
    ] = False,
    concurrency: ConcurrencyOption = 4,
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
) -> None:
    """Judge a name's pending candidate (or its current model) on its gate's evals against a baseline.

    Prints per eval both scores, the difference with its 95% interval, the verdict, the cases that
    went from pass to fail, the cost and the cache hits. Exits 0 whenever the evaluation completes."""
    import json
    import sys

    from ftops.errors import UsageError
    from ftops.gate import report
    from ftops.gate.workflow import evaluate
    from ftops.workflow import Settings

    if output_format not in ("text", "json", "markdown"):
        raise UsageError(f"--format must be text, json or markdown, not {output_format!r}")
    say = (lambda line: typer.echo(line, err=True)) if output_format == "json" else typer.echo
    result = evaluate(Settings(manifests=manifests, provider=provider), name, against,
                      concurrency=concurrency, say=say)
    if output_format == "json":
        typer.echo(json.dumps(report.to_json(result), indent=2))
    elif output_format == "markdown":
        typer.echo(report.markdown(result), nl=False)
    else:
        typer.echo(report.text(result), nl=False)
    sys.stdout.flush()
    if detailed_exitcode:
        raise typer.Exit(VERDICT_EXIT[result.verdict.value])


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
    app.command("record")(record)
    app.command("eval")(eval_cmd)
