"""The public Python API: every name in ftops.__all__ resolves to the function or class the CLI uses,
and importing ftops stays cheap (nothing heavy until a name is used)."""

from __future__ import annotations

import json
import subprocess
import sys

import ftops
from ftops import workflow


def test_all_lists_exactly_the_exports() -> None:
    assert sorted(ftops.__all__) == sorted(["__version__", *ftops._EXPORTS])


def test_every_exported_name_resolves() -> None:
    for name in ftops.__all__:
        assert getattr(ftops, name) is not None, name


def test_the_exports_are_the_workflow_functions() -> None:
    import ftops.apply
    import ftops.plan  # the subpackages, imported: they must not shadow the exports

    assert ftops.make_plan is workflow.plan
    assert ftops.apply_plan is workflow.apply
    assert ftops.load is workflow.load
    assert ftops.Settings is workflow.Settings


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        ftops.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_import_ftops_loads_nothing_heavy() -> None:
    probe = (
        "import sys, json, ftops\n"
        "heavy = ['openai', 'yaml', 'ftops.workflow', 'starlette', 'tiktoken']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []
