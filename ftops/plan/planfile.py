"""Saved plans (``ftops plan --out FILE``, ``ftops apply FILE``): versioned JSON with a checksum.

    {"kind": "ftops-plan", "format_version": 1, "ftops_version": "...",
     "checksum": "sha256:<hex of the canonical JSON of everything else>", "plan": {...}}

A file edited by hand, truncated, or of another version is refused with one clear line
(``PlanError``), never a traceback; a plan that no longer fits the state or the inputs is
refused as stale (``StalePlanError``), as Terraform refuses a stale saved plan. A plan file
holds no secret: saving refuses text shaped like a key.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ftops import __version__
from ftops.errors import PlanError, StalePlanError
from ftops.plan.codec import plan_from_json, plan_to_json
from ftops.plan.identity import canonical_json, sha256_hex
from ftops.plan.model import PLAN_FORMAT_VERSION, Plan
from ftops.plan.order import execution_order
from ftops.secrets import redact

if TYPE_CHECKING:
    from ftops.state import StateSnapshot

PLAN_FILE_KIND: Final = "ftops-plan"
# Far above any real plan; a bigger file is not one of ours and is not read into memory.
MAX_PLAN_BYTES: Final = 64 * 1024 * 1024
_ENVELOPE_KEYS: Final = frozenset({"kind", "format_version", "ftops_version", "checksum", "plan"})
_REMAKE = "Make the plan again with `ftops plan --out FILE`."


def _checksum(body: dict[str, Any]) -> str:
    return "sha256:" + sha256_hex(canonical_json(body))


def dumps_plan(plan: Plan) -> str:
    body: dict[str, Any] = {
        "kind": PLAN_FILE_KIND,
        "format_version": PLAN_FORMAT_VERSION,
        "ftops_version": __version__,
        "plan": plan_to_json(plan),
    }
    text = json.dumps({**body, "checksum": _checksum(body)}, indent=2, sort_keys=True, ensure_ascii=False)
    if redact(text) != text:
        raise PlanError(
            "the plan contains text shaped like an API key, so it is not saved",
            hint="Keys belong in the environment only; look for one in job metadata or integrations.",
        )
    return text + "\n"


def save_plan(plan: Plan, path: Path) -> None:
    """Write atomically (a temporary file renamed over the target), readable by its owner only."""
    text = dumps_plan(plan)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise PlanError(f"{path}: cannot write the plan ({error.strerror or error})") from error


def load_plan(path: Path) -> Plan:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PLAN_BYTES + 1)
    except OSError as error:
        raise PlanError(f"{path}: cannot read the plan ({error.strerror or error})") from error
    return loads_plan(data, str(path))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_plan(data: bytes | str, source: str) -> Plan:
    """Parse a saved plan; anything malformed or edited raises ``PlanError`` naming ``source``."""
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(f"{source}: too large to be an ftops plan file", hint=_REMAKE)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        document = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        problem = "nested too deeply" if isinstance(error, RecursionError) else str(error)[:200]
        raise PlanError(
            f"{source}: not an ftops plan file (not valid JSON: {problem})", hint=_REMAKE
        ) from None
    if not isinstance(document, dict) or document.get("kind") != PLAN_FILE_KIND:
        raise PlanError(f"{source}: not an ftops plan file", hint=_REMAKE)
    version = document.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > PLAN_FORMAT_VERSION
        raise PlanError(
            f"{source}: plan format_version {version!r} is not supported, expected {PLAN_FORMAT_VERSION}"
            + (" (made by a newer ftops)" if newer else ""),
            hint=_REMAKE,
        )
    unknown = sorted(str(k) for k in set(document) - _ENVELOPE_KEYS)
    if unknown:
        raise PlanError(f"{source}: unknown field(s) in the plan file: {', '.join(unknown)}", hint=_REMAKE)
    body = {k: v for k, v in document.items() if k != "checksum"}
    try:
        expected = _checksum(body)
    except (ValueError, TypeError, RecursionError):
        raise PlanError(
            f"{source}: the plan file holds values that are not plain JSON", hint=_REMAKE
        ) from None
    if document.get("checksum") != expected:
        raise PlanError(
            f"{source}: the plan file's checksum does not match its content: it was edited or damaged",
            hint="A saved plan must be applied as it was made. " + _REMAKE,
        )
    plan = plan_from_json(document.get("plan"), f"{source}: plan")
    try:
        execution_order(plan.changes)  # every dependency names a change, with no cycle
    except PlanError as error:
        raise PlanError(f"{source}: {error.message}", hint=_REMAKE) from None
    return plan


def check_plan_fresh(plan: Plan, current_state: StateSnapshot | None, current_inputs_digest: str,
                     provider: str | None = None, highest_serial: int | None = None) -> None:
    """Refuse a saved plan that no longer fits what it was made from; ``provider`` is the kind
    of provider this apply talks to; ``highest_serial`` the highest serial the backend has held
    for the plan's lineage: a plan made from an older one was overtaken, even if an older state
    restored since has the plan's serial again."""
    base = plan.base
    if base.provider is not None and provider is not None and base.provider != provider:
        # Checked first: each provider keeps its own state, so the lineage differs too, but
        # "another lineage" would hide the real mistake (a rehearsal's plan applied for real).
        again = "" if provider != "emulator" else " --provider emulator"
        raise StalePlanError(
            f"saved plan was made for the {base.provider} provider, and this apply is for {provider}",
            hint=f"Apply it with --provider {base.provider}, or make the plan again for {provider}: "
                 f"ftops plan{again} --out FILE",
        )
    if base.state_serial is not None and highest_serial is not None and highest_serial > base.state_serial:
        now = f", and holds serial {current_state.serial} now" if current_state is not None else ""
        raise StalePlanError(
            f"saved plan is stale: it was made from serial {base.state_serial} of the state, but the "
            f"backend has held serial {highest_serial} since{now} (a state restored from an older copy "
            "does not make an old plan new again)",
            hint=_REMAKE,
        )
    if base.state_lineage is None:
        if current_state is not None:
            raise StalePlanError(
                "saved plan is stale: it was made with no state, and a state exists now",
                hint=_REMAKE,
            )
    elif current_state is None:
        raise StalePlanError(
            "saved plan is stale: it was made from a state that no longer exists", hint=_REMAKE
        )
    elif current_state.lineage != base.state_lineage:
        raise StalePlanError(
            f"saved plan does not match the state: it was made for state lineage {base.state_lineage}, "
            f"the state's is {current_state.lineage}",
            hint=_REMAKE,
        )
    elif current_state.serial != base.state_serial:
        raise StalePlanError(
            f"saved plan is stale: the state changed since it was made (serial {base.state_serial} → "
            f"{current_state.serial})",
            hint=_REMAKE,
        )
    if current_inputs_digest != base.inputs_digest:
        raise StalePlanError(
            "saved plan is stale: the manifests or the datasets changed since it was made",
            hint=_REMAKE,
        )


def check_creates_not_done(done: tuple[str, ...]) -> None:
    """Refuse a saved plan whose creates the account already holds (``done``: each such create,
    described with the object found): applying it again would upload or train a second time."""
    if done:
        raise StalePlanError(
            f"saved plan is stale: the account already holds what it would create: {', '.join(done)}",
            hint=_REMAKE + " Its plan adopts those objects instead of creating them again.",
        )
