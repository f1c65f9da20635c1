"""``ftops dataset stats``: check one JSONL file outside any manifest. Only typer and the standard
library at the top; the dataset engine is imported inside the command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ftops.cli import common

dataset_app = typer.Typer(
    name="dataset",
    help="Work with training files directly, outside any manifest.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@dataset_app.command("stats")
def stats(
    file: Annotated[Path, typer.Argument(help="A JSONL training or validation file.")],
    model: Annotated[
        str | None,
        typer.Option("--model", help="Base model: picks the encoding, the token limit and the price."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="chat (supervised), preference (dpo) or reinforcement; "
                          "instruction or text (Together AI, supervised).")
    ] = "chat",
    n_epochs: Annotated[
        str, typer.Option("--epochs", help="Epochs for the cost estimate: a number or auto.")
    ] = "auto",
    provider: Annotated[
        str, typer.Option("--provider", help="openai, azure or together: whose rules and prices apply.")
    ] = "openai",
    training: Annotated[
        str | None, typer.Option("--training", help="Together AI: lora (its default) or full, for the price.")
    ] = None,
    json_output: common.JsonOption = False,
) -> None:
    """Validate FILE and print its problems, then its statistics; exit 1 if it cannot be trained on."""
    from ftops.datasets import FORMATS, TrainingTerms, check_dataset
    from ftops.errors import UsageError

    if format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {format!r}")
    if provider not in ("openai", "azure", "together"):
        raise UsageError(f"--provider must be openai, azure or together, not {provider!r}")
    if format in ("instruction", "text") and provider != "together":
        raise UsageError(f"--format {format} is Together AI's: add --provider together")
    if training is not None and (provider != "together" or training not in ("lora", "full")):
        raise UsageError("--training is lora or full, with --provider together")
    epochs: int | str = "auto"
    if n_epochs != "auto":
        if not n_epochs.isdigit() or not 1 <= int(n_epochs) <= 50:
            raise UsageError(f"--epochs must be auto or a number from 1 to 50, not {n_epochs!r}")
        epochs = int(n_epochs)
    method = {"preference": "dpo", "reinforcement": "reinforcement"}.get(format, "supervised")
    report = check_dataset(file, format, model=model, n_epochs=epochs,
                           terms=TrainingTerms(provider, method, training))
    if json_output:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for diagnostic in report.diagnostics:
            common.err_line(diagnostic.render())
        for line in report.summary_lines():
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ftops app."""
    app.add_typer(dataset_app)
