"""Optional dependencies: the extras of pyproject.toml (``s3``, ``postgres``, ``plot``), and
the one-line hint that names the missing extra, as the user can install it.

The hint follows how ftops itself was installed: from a package index (``pip install
'ftops[s3]'``), or from a source folder (``pip install -e '.[s3]'`` from that folder; the
index's ftops would replace the checkout). The folder comes from the install record that
pip writes (PEP 610's ``direct_url.json``), or from ``pyproject.toml`` beside the package
when it runs from a checkout without being installed.
"""

from __future__ import annotations

import importlib
import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from ftops.errors import UsageError


def require(module: str, extra: str, needed_by: str) -> None:
    """Import ``module`` or raise one clear error naming ``extra`` and how to install it."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise UsageError(
            f"{needed_by} needs {module}, which is not installed (the '{extra}' extra)",
            hint=f"Install it: {install_command(extra)}",
        ) from None


def install_command(extra: str) -> str:
    """``pip install 'ftops[EXTRA]'``, or for a source folder ``pip install -e 'FOLDER[EXTRA]'``."""
    return install_command_for(extra, _install_record(), Path(__file__).resolve().parent, Path.cwd())


def install_command_for(extra: str, record: str | None, package_dir: Path, cwd: Path) -> str:
    """The command for an install described by ``record`` (pip's ``direct_url.json``, None when
    installed from an index or not installed) of the package at ``package_dir``."""
    source = _source_folder(record, package_dir)
    if source is None:
        return f"pip install 'ftops[{extra}]'"
    folder, editable = source
    where = "." if folder == cwd.resolve() else str(folder)
    return f"pip install {'-e ' if editable else ''}'{where}[{extra}]'"


def _install_record() -> str | None:
    try:
        return metadata.distribution("ftops").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None


def _source_folder(record: str | None, package_dir: Path) -> tuple[Path, bool] | None:
    """(the source folder ftops was installed from, whether editably), or None from an index."""
    if record:
        try:
            data = json.loads(record)
        except ValueError:
            return None
        url = urlparse(str(data.get("url", "")))
        dir_info = data.get("dir_info")
        if url.scheme == "file" and isinstance(dir_info, dict):
            return Path(unquote(url.path)).resolve(), bool(dir_info.get("editable"))
        return None
    checkout = package_dir.parent
    project = checkout / "pyproject.toml"
    if project.is_file() and 'name = "ftops"' in project.read_text(encoding="utf-8", errors="replace"):
        return checkout, True  # run from a checkout (PYTHONPATH) without being installed
    return None
