"""Helpers shared by the command modules: verbosity, error output, common options."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ftops.errors import FtopsError

_verbose = False


def set_verbose(value: bool) -> None:
    global _verbose
    _verbose = value or bool(os.environ.get("FTOPS_DEBUG"))
    _cut_service_tracebacks()


class _TracebackToOneLine(logging.Filter):
    """Without -v, a traceback logged by a service ftops runs in-process (the embedded emulator
    and its HTTP server) is cut to one line: an error of the service is the service's answer,
    which ftops reports itself, and a user sees tracebacks only with -v."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not _verbose:
            error = record.exc_info[1]
            cause = f"{type(error).__name__}: {error}" if error is not None else "an error"
            record.msg = f"{record.getMessage()} ({cause}; run with -v for the traceback)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


_SERVICE_LOGGERS = ("ftops.emulator", "uvicorn.error")
_traceback_filter = _TracebackToOneLine()


def _cut_service_tracebacks() -> None:
    for name in _SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        if _traceback_filter not in logger.filters:
            logger.addFilter(_traceback_filter)


def is_verbose() -> bool:
    return _verbose


_no_color = False


def set_no_color(value: bool) -> None:
    """``--no-color`` on the command line: as if NO_COLOR were set (plain lines, no colour)."""
    global _no_color
    _no_color = value


def color_disabled() -> bool:
    return _no_color or bool(os.environ.get("NO_COLOR"))


def use_color() -> bool:
    return sys.stderr.isatty() and not color_disabled()


def err_line(text: str) -> None:
    from ftops.secrets import redact

    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def report_error(error: FtopsError) -> None:
    """One clear line (plus any diagnostics and a hint); a traceback only with -v."""
    from ftops.errors import InputError

    if _verbose:
        err_line("".join(traceback.format_exception(error)).rstrip())
    prefix = "\x1b[31mError:\x1b[0m " if use_color() else "Error: "
    err_line(prefix + str(error))
    if isinstance(error, InputError):
        for diagnostic in error.diagnostics:
            err_line("  " + diagnostic.render())
    if error.hint:
        err_line("  " + error.hint)
    for later in error.followups:  # e.g. the lock could not be released afterwards
        report_error(later)


def report_bug(error: BaseException) -> None:
    if _verbose:
        err_line("".join(traceback.format_exception(error)).rstrip())
    err_line(f"Error: internal error ({type(error).__name__}: {error}). Run with -v for the traceback.")


DEFAULT_MANIFESTS = Path("manifests")
_MANIFEST_SUFFIXES = (".yaml", ".yml")


def locate_manifests(value: Path) -> Path:
    """The default ``manifests`` folder, found as git finds its repository: in the current
    folder, else in the nearest folder above that has one holding manifests (so that ftops
    works from ``manifests/`` or ``datasets/`` too). A ``--manifests`` given is used as it is."""
    if value != DEFAULT_MANIFESTS or value.is_dir():
        return value
    here = Path.cwd()
    for folder in here.parents:
        candidate = folder / DEFAULT_MANIFESTS
        if candidate.is_dir() and any(p.suffix in _MANIFEST_SUFFIXES for p in candidate.iterdir()):
            return Path(os.path.relpath(candidate, here))
    return value


# Options several commands share. Defaults are resolved by the commands themselves.
ManifestsOption = Annotated[
    Path,
    typer.Option("--manifests", "-m", help="Folder of manifest files (default: manifests/ here or in the "
                 "nearest folder above that has one).", show_default=False, callback=locate_manifests),
]
ProviderOption = Annotated[
    str | None,
    typer.Option(
        "--provider",
        help="Override the manifests' provider: openai, azure, together, or emulator "
        "(starts a local emulator in-process, speaking the manifests' provider's API).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NoCacheOption = Annotated[
    bool,
    typer.Option("--no-cache", help="Check every dataset in full instead of reusing the reports of "
                 "unchanged files from the dataset cache (.ftops/cache, or FTOPS_CACHE_DIR)."),
]
