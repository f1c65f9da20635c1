"""``ftops metrics``: a job's training curves as a terminal chart, a CSV, a PNG or JSON.

Only typer, the standard library and ``ftops.cli.common`` at the top; the body
imports ``ftops.metrics`` (and, for ``--plot``, matplotlib).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ftops.cli.common import DEFAULT_MANIFESTS, JsonOption, ManifestsOption, ProviderOption


def metrics(
    address: Annotated[
        str, typer.Argument(help="jobs.NAME, models.NAME, or a job id of the provider (ftjob-... on OpenAI).")
    ],
    manifests: ManifestsOption = DEFAULT_MANIFESTS,
    provider: ProviderOption = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a PNG chart (needs the 'plot' extra: matplotlib).")
    ] = None,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the merged step/checkpoint table as CSV.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Training and validation loss and accuracy of a finished job, and whether it overfitted."""
    from ftops.metrics import load_job_metrics, loss_chart, render_summary, summarize
    from ftops.metrics.export import to_json, write_csv
    from ftops.secrets import redact
    from ftops.workflow import Settings

    job = load_job_metrics(Settings(manifests=manifests, provider=provider), address)
    summary = summarize(job)
    if plot is not None:
        from ftops.metrics.plot import write_png

        write_png(job, summary, plot)
    if csv_out is not None:
        write_csv(job, csv_out)
    if json_output:
        typer.echo(redact(json.dumps(to_json(job, summary), indent=2)))
        return
    typer.echo(redact(loss_chart(job.steps)))
    typer.echo("")
    typer.echo(redact(render_summary(job, summary)))
    for label, path in (("chart", plot), ("table", csv_out)):
        if path is not None:
            typer.echo(f"Wrote the {label} to {path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
    app.command()(metrics)
