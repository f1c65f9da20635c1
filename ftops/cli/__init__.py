"""The ``ftops`` command line: a thin layer that parses, calls, renders, and maps errors.

Start-up is on every command's path, so this package imports only typer and the
standard library at the top; each command imports what it needs inside its body
(no ``openai``, server or YAML import on ``--help``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ftops import __version__
from ftops.cli import common

app = typer.Typer(
    name="ftops",
    help="Declarative fine-tuning for OpenAI: plan and apply datasets, jobs and models from YAML manifests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ftops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Show debug output and tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    common.set_verbose(verbose)


def _register_commands() -> None:
    # Each module declares its commands with typer only; heavy imports live in the bodies.
    from ftops.cli import (
        cache_cmds,
        core_cmds,
        dataset_cmds,
        emulator_cmds,
        eval_cmds,
        manifest_cmds,
        metrics_cmds,
    )

    modules = (manifest_cmds, dataset_cmds, core_cmds, eval_cmds, emulator_cmds, metrics_cmds, cache_cmds)
    for module in modules:
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point of the console script: every FtopsError becomes one line and its exit code."""
    from ftops.errors import FtopsError

    try:
        app()
    except FtopsError as error:
        common.report_error(error)
        sys.exit(error.exit_code)
    except KeyboardInterrupt as interrupt:
        _report_interrupt(interrupt)
        sys.exit(130)
    except SystemExit as exit_:
        # typer turns Ctrl-C into a silent exit 130; its KeyboardInterrupt is in the chain.
        behind = _interrupt_behind(exit_)
        if behind is not None:
            _report_interrupt(behind)
        raise
    except Exception as error:  # a bug: say so plainly, traceback only with -v
        common.report_bug(error)
        sys.exit(1)


def _interrupt_behind(exit_: SystemExit) -> KeyboardInterrupt | None:
    if exit_.code != 130:
        return None
    cause: BaseException | None = exit_
    for _ in range(4):  # SystemExit <- typer's Exit <- the KeyboardInterrupt
        cause = (cause.__cause__ or cause.__context__) if cause is not None else None
        if isinstance(cause, KeyboardInterrupt):
            return cause
    return None


def _report_interrupt(interrupt: KeyboardInterrupt) -> None:
    """One line; after a wait, the next step too, as the jobs train on in the account."""
    # A wait raises its own kind, once ftops.apply is loaded (never imported here just for this).
    waits = sys.modules.get("ftops.apply.errors")
    if waits is not None and isinstance(interrupt, waits.WaitInterrupted):
        common.err_line(f"Interrupted: {interrupt.message}.")
        common.err_line("  " + interrupt.hint)
    else:
        common.err_line("Interrupted.")
