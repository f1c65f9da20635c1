"""Commands of the manifests area: ``validate``, ``schema``, ``init``.

Only typer, the standard library and ``ftops.cli.common`` at the top: the
manifest engine (YAML, jsonschema) and the dataset engine load inside the
command bodies, so ``ftops --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ftops.cli.common import (
    DEFAULT_MANIFESTS,
    JsonOption,
    ManifestsOption,
    NoCacheOption,
    ProviderOption,
)


def validate(
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    json_output: JsonOption = False,
    no_tokens: Annotated[
        bool, typer.Option("--no-tokens", help="Skip token counts and cost estimates (faster).")
    ] = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Check the manifests and every dataset they reference, offline. Exit 1 on any error."""
    import json

    from ftops.manifest.check import validate_all
    from ftops.secrets import redact

    verdict = validate_all(manifests, tokens=not no_tokens, cache=not no_cache)
    if json_output:
        typer.echo(redact(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2, default=str)))
    else:
        for diagnostic in verdict.diagnostics:
            typer.echo(redact(diagnostic.render()))
        for name, report in verdict.dataset_reports.items():
            summary = getattr(report, "summary_lines", None)
            lines = summary() if callable(summary) else []
            if lines:
                typer.echo(f"dataset {name}:")
                ways = verdict.checked_for.get(name, ())
                if len(ways) > 1:  # read by jobs that train differently: the statistics are one way's
                    typer.echo(f"  as read by {ways[0]} (also checked as read by {'; '.join(ways[1:])})")
                for line in lines:
                    typer.echo(f"  {line}")
        errors = sum(d.severity == "error" for d in verdict.diagnostics)
        warnings = len(verdict.diagnostics) - errors
        if verdict.valid:
            project = verdict.project
            counts = ""
            if project is not None:
                counts = (
                    f"project {project.name}: {len(project.datasets)} datasets, "
                    f"{len(project.jobs)} jobs, {len(project.models)} models"
                )
            typer.echo(f"Valid: {counts}" + (f"; {warnings} warning(s)" if warnings else "") + ".")
        else:
            typer.echo(f"Invalid: {errors} error(s), {warnings} warning(s).", err=True)
    if not verdict.valid:
        raise typer.Exit(1)


def schema() -> None:
    """Print the JSON Schema of a manifest file (draft 2020-12), for editors."""
    from ftops.manifest.schema import manifest_schema_text

    typer.echo(manifest_schema_text(), nl=False)


def init(
    directory: Annotated[Path, typer.Argument(help="The project folder (holds manifests/).")] = Path("."),
    project: Annotated[
        str | None,
        typer.Option("--project", help="Name of a new project (default: the folder name)."),
    ] = None,
    migrate_state: Annotated[
        bool,
        typer.Option(
            "--migrate-state",
            help="Copy the state from the backend it was in to the one the manifests now name.",
        ),
    ] = False,
    lock_timeout: Annotated[
        str, typer.Option("--lock-timeout", help="How long to wait for the state lock, e.g. 60s.")
    ] = "0s",
    from_account: Annotated[
        bool,
        typer.Option(
            "--from-account",
            help="Pin every fine-tuned model the account holds (no starter job), with its provenance, "
            "and save its training data where the service allows.",
        ),
    ] = False,
    provider: ProviderOption = None,
) -> None:
    """Set up a project folder, then check its state backend.

    Creates manifests/, datasets/ and state/ with a starter manifest when the folder has no
    manifests yet (never overwriting a file). When it has manifests, checks that the backend
    they name is reachable, and with --migrate-state copies the state over from the backend it
    was in (lineage and serial kept; refused if the target holds another lineage). With
    --from-account, the manifest pins the account's fine-tuned models instead.
    """
    from ftops.cli.core_cmds import parse_duration
    from ftops.manifest.scaffold import has_manifests, scaffold

    if from_account:
        _init_from_account(directory, project, provider)
        return
    if provider is not None:
        from ftops.errors import UsageError

        raise UsageError("--provider applies to init only with --from-account")

    manifests_dir = directory / "manifests"
    existing = has_manifests(manifests_dir)
    result = scaffold(directory, project)
    for path in result.created:
        typer.echo(f"created  {path}")
    for path in result.skipped:
        typer.echo(f"skipped  {path} (exists; left unchanged)")
    if not existing:
        enter = "" if directory == Path(".") else f"cd {directory} && "
        typer.echo(f"Next: {enter}ftops validate, then rehearse it for free on the local emulator "
                   "(no key, no network): ftops apply --provider emulator --auto-approve --wait")
        return

    from ftops.manifest import load_project
    from ftops.state.initialize import init_backend

    loaded = load_project(manifests_dir)
    outcome = init_backend(
        loaded.backend,
        loaded.root,
        migrate=migrate_state,
        lock_timeout=parse_duration(lock_timeout, "--lock-timeout"),
    )
    typer.echo(outcome.summary())


def _init_from_account(directory: Path, project: str | None, provider: str | None) -> None:
    from ftops.account_init import init_from_account
    from ftops.errors import UsageError
    from ftops.provider.registry import PROVIDER_TYPES

    kind = provider or "openai"
    if kind not in PROVIDER_TYPES:
        raise UsageError(f"unknown provider {kind!r}: use one of {', '.join(PROVIDER_TYPES)}")
    report = init_from_account(directory, project, kind, typer.echo)  # type: ignore[arg-type]
    pinned = len(report.pins)
    refused = f"; {len(report.refused)} training file(s) refused by the service" if report.refused else ""
    models = f"{pinned} model{'s' if pinned != 1 else ''}"
    typer.echo(f"Pinned {models}{refused}. Next: cd {directory} && ftops plan")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
    app.command("validate")(validate)
    app.command("schema")(schema)
    app.command("init")(init)
