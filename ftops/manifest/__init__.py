"""Manifests: the YAML files that declare a project, loaded into ``ftops.resources.Project``.

    load_project(manifests_dir)        -> Project, or ManifestError listing every problem
    validate_manifests(manifests_dir)  -> (Project | None, diagnostics); never raises for user mistakes
    manifest_schema()                  -> the JSON Schema (draft 2020-12) of one manifest file
    find_project_root(manifests_dir)   -> the folder that holds the manifests folder

Modules: ``reader`` (bytes -> located plain values, with YAML bomb limits),
``schema`` (JSON Schema errors -> file:line:col), ``rules`` (what a schema
cannot say: references, files, secrets, cross-file agreement), ``build`` (the
typed model), ``loader`` (the folder, end to end), ``scaffold`` (``ftops init``).
"""

from ftops.manifest.loader import find_project_root, load_project, validate_manifests
from ftops.manifest.schema import manifest_schema

__all__ = ["find_project_root", "load_project", "manifest_schema", "validate_manifests"]
