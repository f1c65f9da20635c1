"""ftops: declarative, idempotent fine-tuning for OpenAI and Azure OpenAI.

Datasets, fine-tuning jobs and active models are declared in YAML manifests;
``ftops plan`` shows what would change and ``ftops apply`` makes it so.

The Python API is the one the CLI calls (``ftops.workflow``, see docs/api.md),
re-exported here: ``from ftops import Settings, load, make_plan, apply_plan``
(``workflow.plan`` and ``workflow.apply`` under names that the subpackages ``ftops.plan``
and ``ftops.apply`` do not shadow). The names are resolved on first use, so
``import ftops`` (and the CLI's start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# exported name -> (the module that defines it, its name there)
_EXPORTS: dict[str, tuple[str, str]] = {
    "Settings": ("ftops.workflow", "Settings"),
    "ApplyHooks": ("ftops.workflow", "ApplyHooks"),
    "load_project": ("ftops.workflow", "load_project"),
    "load": ("ftops.workflow", "load"),
    "make_plan": ("ftops.workflow", "plan"),
    "save_plan": ("ftops.workflow", "save_plan"),
    "apply_plan": ("ftops.workflow", "apply"),
    "status": ("ftops.workflow", "status"),
    "wait": ("ftops.workflow", "wait"),
    "outputs": ("ftops.workflow", "outputs"),
    "chat": ("ftops.workflow", "chat"),
    "read_state": ("ftops.workflow", "read_state"),
    "PlanOptions": ("ftops.plan.options", "PlanOptions"),
    "WaitOptions": ("ftops.apply", "WaitOptions"),
    "FtopsError": ("ftops.errors", "FtopsError"),
}

__all__ = [
    "ApplyHooks",
    "FtopsError",
    "PlanOptions",
    "Settings",
    "WaitOptions",
    "__version__",
    "apply_plan",
    "chat",
    "load",
    "load_project",
    "make_plan",
    "outputs",
    "read_state",
    "save_plan",
    "status",
    "wait",
]

if TYPE_CHECKING:
    from ftops.apply import WaitOptions
    from ftops.errors import FtopsError
    from ftops.plan.options import PlanOptions
    from ftops.workflow import (
        ApplyHooks,
        Settings,
        chat,
        load,
        load_project,
        outputs,
        read_state,
        save_plan,
        status,
        wait,
    )
    from ftops.workflow import apply as apply_plan
    from ftops.workflow import plan as make_plan


def __getattr__(name: str) -> Any:
    source = _EXPORTS.get(name)
    if source is None:
        raise AttributeError(f"module 'ftops' has no attribute {name!r}")
    module, attribute = source
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
