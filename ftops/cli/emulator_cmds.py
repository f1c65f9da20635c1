"""``ftops emulator serve``: the local OpenAI fine-tuning emulator, standalone; ``ftops emulator
plant-model``: a model "made by hand" in its data folder.

Only typer and the standard library at the top: the server stack is imported
inside the command body, so ``ftops --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

emulator_app = typer.Typer(
    name="emulator",
    help="A local, OpenAI-compatible fine-tuning API for rehearsals, CI and tests (simulated).",
    no_args_is_help=True,
)


@emulator_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (keep it on loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8765,
    data: Annotated[
        Path,
        typer.Option("--data", help="Folder for the emulator's database and files (kept across restarts)."),
    ] = Path(".ftops/emulator"),
    speed: Annotated[
        float,
        typer.Option(help="Simulated seconds per real second: 1 = jobs take minutes, 100 = seconds."),
    ] = 1.0,
    faults: Annotated[
        str | None,
        typer.Option(
            help="Inject faults, e.g. '429:0.1,500:0.05,latency:0.2s' or "
            "'[POST /v1/fine_tuning/jobs] seq:ok,drop-after' (see ftops.emulator.faults).",
        ),
    ] = None,
    organization: Annotated[
        str, typer.Option(help="The organization id the emulator reports.")
    ] = "org-emulator",
    non_owner_key: Annotated[
        list[str] | None,
        typer.Option("--non-owner-key", help="An API key without the Owner role (model deletes get 403)."),
    ] = None,
    model_shutdown: Annotated[
        list[str] | None,
        typer.Option(
            "--model-shutdown",
            help="MODEL=DATE: the shutdown date the models listing announces for MODEL "
            "(YYYY-MM-DD, or none); a date today or past refuses new jobs on it. Repeatable.",
        ),
    ] = None,
    model_shutdown_file: Annotated[
        Path | None,
        typer.Option(
            "--model-shutdown-file",
            help="A JSON or YAML map of model id to shutdown date; --model-shutdown wins over it.",
        ),
    ] = None,
    refuse: Annotated[
        list[str] | None,
        typer.Option(
            "--refuse",
            help="KIND[:MODEL]: answer job creations as the service does when it refuses them: "
            "no-access, not-tunable, daily-quota, invalid-file (see ftops.emulator.refusals). Repeatable.",
        ),
    ] = None,
    job_cutoff: Annotated[
        str | None,
        typer.Option(
            "--job-cutoff",
            help="YYYY-MM-DD: refuse job creates from that day, as the service will; 'none': never. "
            "Default: $FTOPS_JOB_CUTOFF, else OpenAI's announced 2027-01-06.",
        ),
    ] = None,
    refuse_training_downloads: Annotated[
        bool,
        typer.Option(
            "--refuse-training-downloads",
            help="Answer a download of a training file (purpose fine-tune) with the service's 400 "
            "'Not allowed to download files of purpose: fine-tune'.",
        ),
    ] = False,
) -> None:
    """Serve the emulator in the foreground until Ctrl-C."""
    from ftops.emulator import EmulatorConfig, serve
    from ftops.emulator.cutoff import default_job_cutoff, parse_job_cutoff
    from ftops.emulator.shutdowns import load_shutdown_file, parse_shutdown

    dates = dict(load_shutdown_file(model_shutdown_file)) if model_shutdown_file else {}
    dates.update(parse_shutdown(text) for text in model_shutdown or ())

    serve(
        EmulatorConfig(
            data_dir=data,
            host=host,
            port=port,
            speed=speed,
            faults=faults,
            organization=organization,
            non_owner_keys=frozenset(non_owner_key or ()),
            model_shutdowns=tuple(dates.items()),
            refusals=tuple(refuse or ()),
            job_cutoff=parse_job_cutoff(job_cutoff) if job_cutoff is not None else default_job_cutoff(),
            refuse_training_downloads=refuse_training_downloads,
        )
    )


@emulator_app.command("plant-model")
def plant_model_command(
    base: Annotated[str, typer.Option("--base", help="The base model, e.g. gpt-4o-mini-2024-07-18.")],
    training_file: Annotated[
        Path, typer.Option("--training-file", help="The JSONL file the model was trained on (uploaded).")
    ],
    data: Annotated[
        Path, typer.Option("--data", help="The emulator's data folder (a server may be running on it).")
    ] = Path(".ftops/emulator"),
    suffix: Annotated[str | None, typer.Option(help="The model name's suffix.")] = None,
    n_epochs: Annotated[int | None, typer.Option("--n-epochs", help="Epochs (default: auto).")] = None,
    organization: Annotated[
        str, typer.Option(help="The organization, as the server reports it (names the model).")
    ] = "org-emulator",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the model, job and file ids as JSON.")
    ] = False,
) -> None:
    """Plant a fine-tuned model "made by hand" (a succeeded job without ftops's tags), for docs and tests."""
    import json

    from ftops.emulator.plant import plant_in_folder

    planted = plant_in_folder(data, organization, base, training_file, suffix, n_epochs)
    if as_json:
        typer.echo(json.dumps(planted.to_json()))
    else:
        typer.echo(planted.model)
        typer.echo(f"(job {planted.job_id}, training file {planted.training_file}, in {data})", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``emulator`` command group to the ftops app."""
    app.add_typer(emulator_app)
