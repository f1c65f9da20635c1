"""The rules a schema cannot express: secrets, files on disk, regexes, and everything across files.

Each rule works on the plain values of documents that already parsed, reads
them defensively (a value of the wrong type was reported by the schema and is
skipped here), and reports where the problem stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ftops.diagnostics import Diagnostic
from ftops.lifecycle.catalogue import catalogue_for
from ftops.manifest.reader import LocatedDocument, PathKey
from ftops.manifest.schema import did_you_mean
from ftops.provider.accepts import JobAcceptance, acceptance_for
from ftops.resources import DATASET_FORMATS
from ftops.secrets import redact

KINDS: Final = ("datasets", "jobs", "models", "evals")
# Top-level settings a project has once; several files may repeat them only identically.
SINGLETONS: Final = ("provider", "backend", "budget")

_SECRET_WORDS: Final = frozenset(
    {"key", "apikey", "token", "password", "passwd", "pwd", "secret", "credential", "credentials"}
)
# Where a secret belongs instead, by section and kind.
_SECRET_HOMES: Final = {
    ("provider", "openai"): "OPENAI_API_KEY",
    ("provider", "emulator"): "OPENAI_API_KEY",
    ("provider", "azure"): "AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN for an Entra ID token)",
    ("provider", "together"): "TOGETHER_API_KEY",
    ("backend", "s3"): "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile)",
    ("backend", "postgres"): "PGPASSWORD or FTOPS_PG_CONN",
}
_NOT_SECRET: Final = frozenset({("backend", "s3", "key")})  # the S3 object key is a path


@dataclass(frozen=True, slots=True)
class Entry:
    """One named declaration (a dataset, job or model) and the document it stands in."""

    kind: str
    name: str
    doc: LocatedDocument
    data: Any

    @property
    def path(self) -> PathKey:
        return (self.kind, self.name)

    def where(self) -> str:
        pos = self.doc.position(self.path, key=True)
        return f"{self.doc.display}:{pos.line}:{pos.column}"


def section_type(doc: LocatedDocument, section: str) -> str:
    value = doc.data.get(section)
    default = "openai" if section == "provider" else "local"
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return str(value["type"])
    return default


def secret_keys(doc: LocatedDocument) -> tuple[list[Diagnostic], frozenset[PathKey]]:
    """Secret-looking keys in provider and backend (rejected, naming the variable to use) and
    key-shaped values anywhere. Also returns the keys reported, so the schema does not repeat them."""
    out: list[Diagnostic] = []
    flagged: set[PathKey] = set()
    for section in ("provider", "backend"):
        settings = doc.data.get(section)
        if not isinstance(settings, dict):
            continue
        kind = section_type(doc, section)
        for key in settings:
            words = set(re.split(r"[_\-.]", key.lower()))
            if not words & _SECRET_WORDS or (section, kind, key) in _NOT_SECRET:
                continue
            home = _SECRET_HOMES.get((section, kind), "an environment variable")
            flagged.add((section, key))
            out.append(doc.diagnostic(
                (section, key),
                f"secrets never go in manifests (they are committed to git): remove {key!r} "
                f"and set {home} in the environment", "manifest.secret-in-manifest", key=True))
    for path, value in _strings(doc.data, ()):
        if redact(value) != value:
            out.append(doc.diagnostic(path, "this value looks like a secret key; manifests are committed to "
                                      "git, so keep keys in the environment", "manifest.secret-value"))
    return out, frozenset(flagged)


def _strings(value: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def merge_entries(docs: list[LocatedDocument]) -> tuple[dict[str, dict[str, Entry]], list[Diagnostic]]:
    """Named declarations of every file, by kind; a name declared in two files is an error naming both."""
    merged: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
    out: list[Diagnostic] = []
    for doc in docs:
        for kind in KINDS:
            section = doc.data.get(kind)
            if not isinstance(section, dict):
                continue
            for name, data in section.items():
                entry = Entry(kind, name, doc, data)
                first = merged[kind].get(name)
                if first is not None:
                    out.append(doc.diagnostic(entry.path, f"{kind[:-1]} {name!r} is already declared at "
                                              f"{first.where()}; names are unique across files",
                                              "manifest.duplicate-name", key=True))
                    continue
                merged[kind][name] = entry
    return merged, out


def project_wide(docs: list[LocatedDocument]) -> list[Diagnostic]:
    """The project name, provider, backend, budget and pricing: several files must agree."""
    out: list[Diagnostic] = []
    names = [(doc, doc.data["project"]) for doc in docs if isinstance(doc.data.get("project"), str)]
    if not names and not any("project" in doc.data for doc in docs):
        first = docs[0]
        out.append(Diagnostic(first.display, 1, 1, "project",
                              "no manifest declares the project's name; add 'project: <name>' to one file",
                              code="manifest.no-project"))
    for doc, name in names[1:]:
        first_doc, first_name = names[0]
        if name != first_name:
            pos = first_doc.position(("project",))
            out.append(doc.diagnostic(("project",), f"project {name!r} disagrees with {first_name!r} "
                                      f"declared at {first_doc.display}:{pos.line}:{pos.column}; all "
                                      "files belong to one project", "manifest.project-mismatch"))
    for section in SINGLETONS:
        declared = [doc for doc in docs if section in doc.data]
        for doc in declared[1:]:
            if doc.data[section] != declared[0].data[section]:
                pos = declared[0].position((section,), key=True)
                out.append(doc.diagnostic((section,), f"{section} is declared differently at "
                                          f"{declared[0].display}:{pos.line}:{pos.column}; declare it once",
                                          "manifest.conflicting-setting", key=True))
    prices: dict[str, tuple[LocatedDocument, Any]] = {}
    for doc in docs:
        pricing = doc.data.get("pricing")
        if not isinstance(pricing, dict):
            continue
        for model, price in pricing.items():
            if model in prices and prices[model][1] != price:
                first_doc = prices[model][0]
                pos = first_doc.position(("pricing", model), key=True)
                out.append(doc.diagnostic(("pricing", model), f"price of {model!r} differs from the one at "
                                          f"{first_doc.display}:{pos.line}:{pos.column}",
                                          "manifest.conflicting-setting", key=True))
            prices.setdefault(model, (doc, price))
    return out


def method_type(job: dict[str, Any]) -> str | None:
    method = job.get("method", "supervised")
    if isinstance(method, str):
        return method
    if isinstance(method, dict):
        kind = method.get("type", "supervised")
        return kind if isinstance(kind, str) else None
    return None


def provider_settings(docs: list[LocatedDocument]) -> dict[str, Any]:
    """The provider section as written (the first file's; ``project_wide`` reports disagreements)."""
    declared = (d.data["provider"] for d in docs if isinstance(d.data.get("provider"), dict))
    provider: dict[str, Any] = next(declared, {})
    return provider


def references(entries: dict[str, dict[str, Entry]],
               accepts_of: Callable[[Any], JobAcceptance] | None = None) -> list[Diagnostic]:
    """Jobs name datasets that exist and fit their method on their provider (``accepts_of`` a job's
    plain values: its provider's facts); models name jobs that exist."""
    out: list[Diagnostic] = []
    datasets, jobs = entries["datasets"], entries["jobs"]
    for job in jobs.values():
        if not isinstance(job.data, dict):
            continue
        accepts = accepts_of(job.data) if accepts_of is not None else acceptance_for("openai")
        method = method_type(job.data)
        if "hyperparameters" in job.data and "method" in job.data:
            out.append(job.doc.diagnostic((*job.path, "hyperparameters"),
                                          "give hyperparameters either here (supervised shorthand) or under "
                                          "method, not both", "manifest.hyperparameters-twice", key=True))
        for field in ("training_file", "validation_file"):
            name = job.data.get(field)
            if not isinstance(name, str):
                continue
            target = datasets.get(name)
            if target is None:
                out.append(job.doc.diagnostic((*job.path, field), f"no dataset named {name!r}"
                                              + did_you_mean(name, datasets), "manifest.dangling-reference"))
                continue
            fmt = target.data.get("format", "chat") if isinstance(target.data, dict) else None
            wanted = accepts.formats_for(method or "")
            if wanted and isinstance(fmt, str) and fmt in DATASET_FORMATS and fmt not in wanted:
                where = "" if accepts.service == "OpenAI" else f" on {accepts.service}"
                out.append(job.doc.diagnostic(
                    (*job.path, field), f"dataset {name!r} has format {fmt}, but method {method}{where} "
                    f"trains on {_either(wanted)} datasets", "manifest.format-mismatch"))
        if job.data.get("validation_file") is not None and job.data.get("validation_file") == \
                job.data.get("training_file"):
            diagnostic = job.doc.diagnostic((*job.path, "validation_file"),
                                            "the validation set is the training set, so its metrics say "
                                            "nothing about overfitting", "manifest.validation-is-training")
            out.append(_warning(diagnostic))
    for model in entries["models"].values():
        if not isinstance(model.data, dict) or not isinstance(model.data.get("job"), str):
            continue
        name = model.data["job"]
        if name not in jobs:
            out.append(model.doc.diagnostic((*model.path, "job"), f"no job named {name!r}"
                                            + did_you_mean(name, jobs), "manifest.dangling-reference"))
    out.extend(_gate_references(entries))
    return out


def _either(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _gate_references(entries: dict[str, dict[str, Entry]]) -> list[Diagnostic]:
    """A gate names evals that exist."""
    out: list[Diagnostic] = []
    for model in entries["models"].values():
        gate = model.data.get("gate") if isinstance(model.data, dict) else None
        names = gate.get("evals") if isinstance(gate, dict) else None
        for index, name in enumerate(names if isinstance(names, list) else ()):
            if isinstance(name, str) and name not in entries["evals"]:
                where = (*model.path, "gate", "evals", index)
                out.append(model.doc.diagnostic(where, f"no eval named {name!r}"
                                                + did_you_mean(name, entries["evals"]),
                                                "manifest.dangling-reference"))
    return out


def _warning(diagnostic: Diagnostic) -> Diagnostic:
    return Diagnostic(diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.path,
                      diagnostic.message, severity="warning", code=diagnostic.code)


def dataset_file(entry: Entry, root: Path) -> tuple[Path | None, Diagnostic | None]:
    """Where a dataset's (or an eval's) file is: relative to its manifest, symlinks followed, inside
    the project root."""
    file = entry.data.get("file") if isinstance(entry.data, dict) else None
    if not isinstance(file, str) or not file:
        return None, None
    at = (*entry.path, "file")
    try:
        resolved = (entry.doc.path.parent / file).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # a symlink loop; a NUL byte in the path
        return None, entry.doc.diagnostic(at, f"cannot resolve {file!r}: {error}", "manifest.file-missing")
    if not resolved.is_relative_to(root):
        return None, entry.doc.diagnostic(at, f"{file!r} resolves outside the project root ({root}); "
                                          "keep datasets inside the project", "manifest.file-outside")
    if not resolved.is_file():
        state = "is not a file" if resolved.exists() else "does not exist"
        hint = ""
        try:
            nearby = [p.name for p in resolved.parent.iterdir() if p.is_file()]
        except OSError:  # no such folder, or not readable: no suggestion
            nearby = []
        hint = did_you_mean(resolved.name, nearby)
        return None, entry.doc.diagnostic(at, f"{file!r} {state} (looked at {resolved.relative_to(root)})"
                                          + hint, "manifest.file-missing")
    return resolved, None


def backend_path(docs: list[LocatedDocument], root: Path) -> list[Diagnostic]:
    """The local backend's state file stays inside the project root, symlinks followed: a
    manifest from a pull request must not make ``ftops plan`` in CI read, lock or write a
    file anywhere else (found by tests/reliability/hostile)."""
    doc = next((d for d in docs if isinstance(d.data.get("backend"), dict)), None)
    if doc is None:
        return []
    backend = doc.data["backend"]
    path = backend.get("path")
    if backend.get("type", "local") != "local" or not isinstance(path, str) or not path:
        return []
    try:
        resolved = (root / path).resolve()
    except (OSError, RuntimeError, ValueError) as error:
        return [doc.diagnostic(("backend", "path"), f"cannot resolve {path!r}: {error}",
                               "manifest.file-outside")]
    if resolved.is_relative_to(root):
        return []
    return [doc.diagnostic(("backend", "path"), f"{path!r} resolves outside the project root ({root}); keep "
                           "the local state inside the project (or use a remote backend)",
                           "manifest.file-outside")]


def check_regexes(entries: dict[str, dict[str, Entry]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for model in entries["models"].values():
        checks = model.data.get("checks") if isinstance(model.data, dict) else None
        if not isinstance(checks, list):
            continue
        for index, check in enumerate(checks):
            pattern = check.get("matches") if isinstance(check, dict) else None
            if not isinstance(pattern, str):
                continue
            try:
                re.compile(pattern)
            except re.error as error:
                out.append(model.doc.diagnostic((*model.path, "checks", index, "matches"),
                                                f"not a valid regular expression: {error}",
                                                "manifest.bad-regex"))
    return out


def base_models(entries: dict[str, dict[str, Entry]],
                settings_of: Callable[[Any], Mapping[str, Any]]) -> list[Diagnostic]:
    """A job's base model that its provider's packaged catalogue is sure it cannot train:
    refused offline, before a plan prices it or an apply uploads for it (issue 17).
    ``settings_of``: a job's plain values -> its provider's settings (its alias's, or the project's)."""
    out = []
    for _, entry in sorted(entries["jobs"].items()):
        provider = settings_of(entry.data)
        kind, base_url = provider.get("type", "openai"), provider.get("base_url")
        catalogue = catalogue_for(kind, base_url if isinstance(base_url, str) else None) \
            if isinstance(kind, str) else None
        if catalogue is None:
            continue
        model = entry.data.get("model") if isinstance(entry.data, dict) else None
        problem = catalogue.offline_problem(model) if isinstance(model, str) else None
        if problem is not None:
            out.append(entry.doc.diagnostic((*entry.path, "model"), problem, "manifest.base-model"))
    return out
