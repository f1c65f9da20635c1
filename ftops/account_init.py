"""``ftops init --from-account``: read the account, save what training data the service gives
back, and write a new project's manifest of pins. Overwrites nothing.

Three listings (models, every job of the account, files) and one download per training
file; the provider package is the only one that talks to the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ftops.clock import today
from ftops.errors import ProviderError, UsageError
from ftops.manifest.from_account import (
    AccountModel,
    Pin,
    dataset_filename,
    fine_tuned_models,
    pin_names,
    render_manifest,
)
from ftops.manifest.scaffold import has_manifests, project_name_for, scaffold
from ftops.resources import ProviderConfig, ProviderType

_PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class FromAccountReport:
    """What was found, written, skipped and refused, as lines for people."""

    found: tuple[str, ...] = ()
    written: tuple[Path, ...] = ()
    skipped: tuple[Path, ...] = ()
    refused: tuple[str, ...] = ()
    pins: tuple[Pin, ...] = field(default=())


def init_from_account(directory: Path, project: str | None, provider_type: ProviderType,
                      say: Callable[[str], None]) -> FromAccountReport:
    """Pin every fine-tuned model of the account that no ftops project manages, in a new
    project at ``directory``; ``say`` prints progress lines as they happen."""
    from ftops.workflow import open_provider

    name = project or project_name_for(directory)
    if not _PROJECT_NAME.fullmatch(name):
        raise UsageError(f"project name {name!r} must be 1-64 letters, digits, '-' or '_'")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a folder")
    manifest = directory / "manifests" / "main.yaml"
    had_manifests = has_manifests(directory / "manifests")
    with open_provider(ProviderConfig(type=provider_type), directory) as provider:
        directory.mkdir(parents=True, exist_ok=True)  # once the account is reachable
        models = fine_tuned_models(provider.list_models(), provider.list_all_jobs(),
                                   provider.list_files())
        mine = [m for m in models if m.managed_by is None]
        managed = [m for m in models if m.managed_by is not None]
        names = pin_names(mine)
        found = tuple(_found_line(m, names.get(m.model_id)) for m in models)
        for line in found:
            say(line)
        written: list[Path] = []
        skipped: list[Path] = []
        refused: list[str] = []
        pins: list[Pin] = []
        for model in mine:
            saved: dict[str, str] = {}
            for file in model.files:
                target = directory / "datasets" / dataset_filename(names[model.model_id], file.role)
                shown = target.relative_to(directory).as_posix()
                if target.exists():
                    skipped.append(target)
                    say(f"skipped  {shown} (exists; left unchanged)")
                    saved[file.id] = "../" + shown
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    size = provider.download_file(file.id, target)
                except ProviderError as error:
                    if error.status is None or not 400 <= error.status < 500:
                        raise
                    # The message names the file and the HTTP status: "download file ID: ... (HTTP 400)".
                    line = (f"models.{names[model.model_id]}: {file.role} file not saved, the service "
                            f"refused it: {error.message}")
                    refused.append(line)
                    say(f"refused  {line}")
                    continue
                except FileExistsError:  # created by someone else since the check: theirs stays
                    skipped.append(target)
                    say(f"skipped  {shown} (exists; left unchanged)")
                    continue
                written.append(target)
                saved[file.id] = "../" + shown
                say(f"saved    {shown} ({size} bytes, {file.role} file {file.id})")
            pins.append(Pin(names[model.model_id], model, saved))
    if had_manifests:
        skipped.append(manifest)
        say(f"skipped  {manifest.relative_to(directory).as_posix()}: the folder already has manifests "
            "(left unchanged; init --from-account writes a new project's manifest)")
    else:
        text = render_manifest(name, provider_type, pins, managed, today().isoformat())
        manifest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with manifest.open("x", encoding="utf-8") as handle:
                handle.write(text)
            written.append(manifest)
            count = f"{len(pins)} model{'s' if len(pins) != 1 else ''} pinned"
            say(f"created  {manifest.relative_to(directory).as_posix()} ({count})")
        except FileExistsError:
            skipped.append(manifest)
    extra = scaffold(directory, name, starter=False)
    for path in extra.created:
        say(f"created  {path.relative_to(directory).as_posix()}")
    return FromAccountReport(found, tuple(written) + extra.created, tuple(skipped) + extra.skipped,
                             tuple(refused), tuple(pins))


def _found_line(model: AccountModel, name: str | None) -> str:
    made = f"job {model.job_id}" if model.job_id else "no job listed"
    shutdown = f", shuts down {model.shutdown_date}" if model.shutdown_date else ""
    if model.managed_by is not None:
        return f"found    {model.model_id} ({made}): managed by ftops project {model.managed_by}, not pinned"
    return f"found    {model.model_id} ({made}{shutdown}): pinned as models.{name}"
