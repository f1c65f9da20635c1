"""The rules of provider aliases (``providers:``), offline: every ``provider: ALIAS`` names a
declared alias, a job reads only datasets it can train on, a name is on its job's provider.

``default`` names the project's own ``provider:`` block. A dataset without ``provider:`` is
uploaded to the provider of each job that reads it (``ftops.multi.partition``); one with
``provider:`` lives only there, so a job elsewhere cannot read it.
"""

from __future__ import annotations

from typing import Any, Final

from ftops.diagnostics import Diagnostic
from ftops.manifest.reader import LocatedDocument
from ftops.manifest.rules import Entry
from ftops.manifest.schema import did_you_mean

DEFAULT_ALIAS: Final = "default"


def declared_aliases(docs: list[LocatedDocument]) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Alias -> its settings; an alias declared twice with other settings is an error."""
    found: dict[str, tuple[LocatedDocument, Any]] = {}
    out: list[Diagnostic] = []
    for doc in docs:
        section = doc.data.get("providers")
        if not isinstance(section, dict):
            continue
        for alias, settings in section.items():
            first = found.get(alias)
            if first is None:
                found[alias] = (doc, settings)
            elif first[1] != settings:
                pos = first[0].position(("providers", alias), key=True)
                out.append(doc.diagnostic(
                    ("providers", alias), f"provider alias {alias!r} disagrees with its declaration at "
                    f"{first[0].display}:{pos.line}:{pos.column}", "manifest.alias-conflict", key=True))
    return {alias: settings for alias, (_, settings) in found.items()}, out


def provider_aliases(docs: list[LocatedDocument], entries: dict[str, dict[str, Entry]]) -> list[Diagnostic]:
    aliases, out = declared_aliases(docs)
    known = {DEFAULT_ALIAS, *aliases}

    def alias_of(entry: Entry) -> str | None:
        value = entry.data.get("provider") if isinstance(entry.data, dict) else None
        return value if isinstance(value, str) else None

    for kind in ("datasets", "jobs", "models"):
        for entry in entries[kind].values():
            alias = alias_of(entry)
            if alias is not None and alias not in known:
                hint = did_you_mean(alias, sorted(known))
                declared = ", ".join(sorted(known))
                out.append(entry.doc.diagnostic(
                    (*entry.path, "provider"), f"unknown provider alias {alias!r} (declared: {declared})"
                    + hint, "manifest.unknown-alias"))
    for entry in entries["jobs"].values():
        if not isinstance(entry.data, dict):
            continue
        job_alias = alias_of(entry) or DEFAULT_ALIAS
        for field in ("training_file", "validation_file"):
            name = entry.data.get(field)
            dataset = entries["datasets"].get(name) if isinstance(name, str) else None
            dataset_alias = (alias_of(dataset) if dataset is not None else None) or job_alias
            if job_alias in known and dataset_alias in known and dataset_alias != job_alias:
                out.append(entry.doc.diagnostic(
                    (*entry.path, field), f"jobs.{entry.name} trains on provider {job_alias!r} but "
                    f"datasets.{name} lives only on {dataset_alias!r}: remove `provider:` from the "
                    "dataset to upload it to each provider that reads it", "manifest.alias-mismatch"))
    for entry in entries["models"].values():
        if not isinstance(entry.data, dict):
            continue
        alias, job_name = alias_of(entry), entry.data.get("job")
        job = entries["jobs"].get(job_name) if isinstance(job_name, str) else None
        if alias is None or job is None:
            continue
        job_alias = alias_of(job) or DEFAULT_ALIAS
        if alias != job_alias and alias in known and job_alias in known:
            out.append(entry.doc.diagnostic(
                (*entry.path, "provider"), f"models.{entry.name} holds the model of jobs.{job_name}, which "
                f"trains on {job_alias!r}, not {alias!r}: a name with a job is on its job's provider "
                "(remove `provider:`)", "manifest.alias-mismatch"))
    return out
