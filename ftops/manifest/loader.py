"""Load a manifests folder: find the files, read each, apply every rule, build the typed project.

Every problem of every file is collected before anything is decided, so one
run shows the whole list, like ``terraform validate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ftops.diagnostics import Diagnostic, errors_of
from ftops.errors import ManifestError
from ftops.manifest import build, provider_rules, rules
from ftops.manifest.aliases import provider_aliases
from ftops.manifest.reader import LocatedDocument, read_manifest
from ftops.manifest.schema import schema_diagnostics
from ftops.resources import DATASET_FORMATS, Project

SUFFIXES = (".yaml", ".yml")


def find_project_root(manifests_dir: Path) -> Path:
    """The folder that holds the manifests folder: dataset files and the local state live under it."""
    return manifests_dir.resolve().parent


def display_path(path: Path) -> str:
    """How messages name a file: relative to the current directory when under it, else absolute."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def manifest_files(manifests_dir: Path) -> list[Path]:
    """The top-level *.yaml / *.yml files, sorted; hidden files (editor backups) are ignored.
    Subfolders are not read, as with Terraform modules: a folder is one unit."""
    return sorted(
        p for p in manifests_dir.iterdir()
        if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


@dataclass(frozen=True, slots=True)
class DatasetTarget:
    """A dataset whose file resolved, and what to check it for; known even when other entries are wrong.
    A dataset read by jobs that train differently has one target per way (``_dataset_targets``)."""

    name: str
    path: Path
    display: str
    format: str
    model: str | None  # the base model of the first job (by name) that reads it this way
    n_epochs: int | str | None
    provider: str = "openai"  # the provider type: its rules and prices apply
    method: str = "supervised"  # the job's method and training kind: its rules and price
    training: str | None = None


@dataclass(frozen=True, slots=True)
class EvalTarget:
    """An eval whose file resolved, to check offline even when other entries are wrong."""

    name: str
    path: Path
    display: str
    has_grader: bool = False  # cases with a rubric need the eval's grader


@dataclass(frozen=True, slots=True)
class Outcome:
    project: Project | None
    diagnostics: tuple[Diagnostic, ...]
    datasets: tuple[DatasetTarget, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()  # (training, validation) dataset names, for leakage checks
    evals: tuple[EvalTarget, ...] = ()


def validate_manifests(manifests_dir: Path) -> tuple[Project | None, list[Diagnostic]]:
    """Every diagnostic (errors and warnings) and the project when there is no error. Never raises
    for a user's mistake."""
    outcome = examine(manifests_dir)
    return outcome.project, list(outcome.diagnostics)


def examine(manifests_dir: Path) -> Outcome:
    """``validate_manifests`` plus the datasets to check, for ``ftops validate``."""
    shown = display_path(manifests_dir)
    if not manifests_dir.is_dir():
        what = "is not a folder" if manifests_dir.exists() else "does not exist"
        message = f"the manifests folder {what}; run 'ftops init' to create a project, or pass --manifests"
        return Outcome(None, (Diagnostic(shown, None, None, "", message, code="manifest.no-folder"),))
    try:
        files = manifest_files(manifests_dir)
    except OSError as error:
        message = f"cannot list the manifests folder: {error.strerror or error}"
        return Outcome(None, (Diagnostic(shown, None, None, "", message, code="manifest.unreadable"),))
    if not files:
        return Outcome(None, (Diagnostic(shown, None, None, "", "no *.yaml or *.yml files in the manifests "
                                         "folder; run 'ftops init' to create a starter manifest",
                                         code="manifest.no-files"),))
    root = find_project_root(manifests_dir)
    docs: list[LocatedDocument] = []
    diagnostics: list[Diagnostic] = []
    for file in files:
        outside = _outside_root(file, root)
        if outside is not None:
            diagnostics.append(outside)
            continue
        doc, problems = read_manifest(file.absolute(), display_path(file))
        diagnostics.extend(problems)
        if doc is None:
            continue
        secrets, reported = rules.secret_keys(doc)
        diagnostics.extend(secrets)
        # a value the reader already refused (a tag, NaN) would only repeat as a schema error
        refused = {problem.path for problem in problems}
        diagnostics.extend(d for d in schema_diagnostics(doc, reported) if d.path not in refused)
        docs.append(doc)
    if not docs:
        return Outcome(None, _sorted(diagnostics))

    entries, duplicates = rules.merge_entries(docs)
    diagnostics.extend(duplicates)
    diagnostics.extend(rules.project_wide(docs))
    diagnostics.extend(rules.backend_path(docs, root))
    providers = provider_rules.JobProviders.of(docs)  # each job's provider, by its alias
    diagnostics.extend(rules.references(entries, providers.accepts_of))
    diagnostics.extend(provider_rules.job_fields(entries, providers))
    diagnostics.extend(provider_rules.deployment_fields(entries, providers))
    diagnostics.extend(rules.check_regexes(entries))
    diagnostics.extend(provider_aliases(docs, entries))
    base_model_problems = rules.base_models(entries, providers.settings_of)
    diagnostics.extend(base_model_problems)
    dataset_paths: dict[str, Path] = {}
    for entry in entries["datasets"].values():
        resolved, problem = rules.dataset_file(entry, root)
        if problem is not None:
            diagnostics.append(problem)
        elif resolved is not None:
            dataset_paths[entry.name] = resolved

    # a refused base model prices nothing: its datasets are checked as with no model, so no
    # hint asks for a price for a typo
    unpriced = {d.path.split(".")[1] for d in base_model_problems}

    eval_paths: dict[str, Path] = {}
    for entry in entries["evals"].values():
        resolved, problem = rules.dataset_file(entry, root)
        if problem is not None:
            diagnostics.append(problem)
        elif resolved is not None:
            eval_paths[entry.name] = resolved

    targets, pairs = _dataset_targets(entries, dataset_paths, unpriced, providers.type_of)
    evals = tuple(EvalTarget(name, path, display_path(path), "grader" in entries["evals"][name].data)
                  for name, path in sorted(eval_paths.items()))
    if errors_of(diagnostics) or len(docs) < len(files):
        return Outcome(None, _sorted(diagnostics), targets, pairs, evals)
    project = _project(docs, files, entries, dataset_paths, eval_paths, manifests_dir, root)
    return Outcome(project, _sorted(diagnostics), targets, pairs, evals)


def _outside_root(file: Path, root: Path) -> Diagnostic | None:
    """A manifest that is a symlink to a file outside the project is refused, as a dataset is
    (``rules.dataset_file``): a pull request must not make CI read a file elsewhere."""
    try:
        resolved = file.resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        return Diagnostic(display_path(file), None, None, "", f"cannot resolve the file: {error}",
                          code="manifest.unreadable")
    if resolved.is_relative_to(root):
        return None
    return Diagnostic(display_path(file), None, None, "",
                      f"the file is a link to {resolved}, outside the project root ({root}); "
                      "keep manifests inside the project", code="manifest.file-outside")


def _dataset_targets(entries: dict[str, dict[str, rules.Entry]], paths: dict[str, Path],
                     unpriced: set[str], provider_of: Callable[[Any], str],
                     ) -> tuple[tuple[DatasetTarget, ...], tuple[tuple[str, str], ...]]:
    """One target per dataset and distinct way its readers train (provider type, method,
    training kind, base model), in the order of the jobs' names: a file read by a job on OpenAI
    and one on Together is checked by both services' rules (``ftops.datasets.shared``)."""
    users: dict[str, list[dict[str, Any]]] = {}
    pairs: list[tuple[str, str]] = []
    for job_name, entry in sorted(entries["jobs"].items()):
        data = entry.data if isinstance(entry.data, dict) else {}
        if job_name in unpriced:
            data = {key: value for key, value in data.items() if key != "model"}
        train, valid = data.get("training_file"), data.get("validation_file")
        for name in dict.fromkeys(n for n in (train, valid) if isinstance(n, str)):
            users.setdefault(name, []).append(data)
        if isinstance(train, str) and isinstance(valid, str) and train in paths and valid in paths \
                and train != valid:
            pairs.append((train, valid))
    targets: list[DatasetTarget] = []
    for name, path in sorted(paths.items()):
        data = entries["datasets"][name].data
        fmt = data.get("format", "chat")
        if fmt not in DATASET_FORMATS:
            continue
        readers = users.get(name) or [{}]
        seen: set[tuple[str, str, str | None, str | None]] = set()
        for job in readers:
            target = _target(name, path, fmt, job, provider_of(job or data))  # no job: the dataset's own
            kind = (target.provider, target.method, target.training, target.model)
            if kind not in seen:
                seen.add(kind)
                targets.append(target)
    return tuple(targets), tuple(dict.fromkeys(pairs))


def _target(name: str, path: Path, fmt: str, job: dict[str, Any], provider: str) -> DatasetTarget:
    model = job.get("model") if isinstance(job.get("model"), str) else None
    method = rules.method_type(job) or "supervised"
    raw_method = job.get("method")
    training = raw_method.get("training") if isinstance(raw_method, dict) else None
    return DatasetTarget(name, path, display_path(path), fmt, model, _n_epochs(job), provider, method,
                         training if isinstance(training, str) else None)


def _n_epochs(job: dict[str, Any]) -> int | str | None:
    method = job.get("method")
    hyper = method.get("hyperparameters") if isinstance(method, dict) else job.get("hyperparameters")
    value = hyper.get("n_epochs") if isinstance(hyper, dict) else None
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def _endpoint_project(provider_doc: LocatedDocument | None) -> str | None:
    """The Together project id of a ``type: together`` provider block (its endpoints' namespace)."""
    raw = provider_doc.data["provider"] if provider_doc else None
    if isinstance(raw, dict) and raw.get("type") == "together" and isinstance(raw.get("project"), str):
        return str(raw["project"])
    return None


def _project(docs: list[LocatedDocument], files: list[Path], entries: dict[str, dict[str, rules.Entry]],
             dataset_paths: dict[str, Path], eval_paths: dict[str, Path], manifests_dir: Path,
             root: Path) -> Project:
    def first(section: str) -> LocatedDocument | None:
        return next((doc for doc in docs if section in doc.data), None)

    name = next(doc.data["project"] for doc in docs if "project" in doc.data)
    provider_doc, backend_doc = first("provider"), first("backend")
    return Project(
        name=name,
        root=root,
        manifests_dir=manifests_dir.resolve(),
        manifest_files=tuple(f.resolve() for f in files),
        provider=build.provider(provider_doc.data["provider"] if provider_doc else None),
        backend=build.backend(backend_doc.data["backend"] if backend_doc else None),
        datasets=MappingProxyType({n: build.dataset(e, dataset_paths[n], root)
                                   for n, e in sorted(entries["datasets"].items())}),
        jobs=MappingProxyType({n: build.job(e, root) for n, e in sorted(entries["jobs"].items())}),
        models=MappingProxyType({n: build.model(e, root, _endpoint_project(provider_doc))
                                 for n, e in sorted(entries["models"].items())}),
        evals=MappingProxyType({n: build.eval_suite(e, eval_paths[n], root)
                                for n, e in sorted(entries["evals"].items())}),
        budget=build.budget(first("budget"), root),
        pricing=build.pricing(docs),
        providers=build.providers(docs),
        chat_pricing=build.chat_pricing(docs),
        hosting_pricing=build.hosting_pricing(docs),
    )


def _sorted(diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=lambda d: (d.file, d.line or 0, d.column or 0, d.path, d.message)))


def load_project(manifests_dir: Path) -> Project:
    """The typed project, or ``ManifestError`` listing every problem."""
    project, diagnostics = validate_manifests(manifests_dir)
    if project is None:
        errors = errors_of(diagnostics)
        count = len(errors)
        raise ManifestError(f"{count} problem{'s' if count != 1 else ''} in {display_path(manifests_dir)}",
                            errors or diagnostics)
    return project
