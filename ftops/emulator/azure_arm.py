"""Azure's management plane (ARM) for model deployments: ``Microsoft.CognitiveServices/accounts/
{account}/deployments/{name}`` (create or update, get, list, delete), in the shapes of the ARM spec
2025-06-01 (``tests/fixtures/azure-arm``).

What the emulator reproduces of Azure's behaviour around deployments:

- a created deployment is ``Creating`` for a while (30 simulated seconds), then ``Succeeded``;
- a fine-tuned model's deployment with no chat for 15 days is deleted (Azure's documented idle
  policy), measured on the emulator's deployment clock, which ``PUT /_emulator/clock`` moves
  forward so that a test can skip 16 days;
- a model that still has deployments cannot be deleted (409, ``ftops.emulator.routes.models``);
- chat through ``/openai/deployments/{name}/chat/completions`` answers as the deployed model and
  counts as traffic.

One emulated account: the subscription, resource group and account in the path are kept with each
deployment, so a listing of another account is empty, as it would be.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.http import json_object, runtime
from ftops.emulator.runtime import Runtime
from ftops.emulator.store import Store

ARM_API_VERSIONS: Final = frozenset({"2023-05-01", "2024-10-01", "2025-06-01"})
PROVISIONING_S: Final = 30.0  # simulated seconds from Creating to Succeeded
IDLE_DELETION_S: Final = 15 * 86400.0
MAX_CAPACITY: Final = 100  # the emulated account's quota, in capacity units
_ACCOUNT: Final = (
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/"
    "accounts/{account}"
)
_TYPE: Final = "Microsoft.CognitiveServices/accounts/deployments"

_TABLES: Final = (
    """CREATE TABLE IF NOT EXISTS arm_deployments (
        account TEXT NOT NULL,          -- /subscriptions/.../accounts/NAME, lower case
        name TEXT NOT NULL,
        sku TEXT NOT NULL,              -- {"name", "capacity"} (JSON)
        model TEXT NOT NULL,            -- properties.model as sent (JSON)
        tags TEXT NOT NULL,             -- JSON
        created_at REAL NOT NULL,       -- on the deployment clock
        ready_at REAL NOT NULL,         -- Creating until then
        last_used REAL NOT NULL,        -- the latest chat through it (or its creation)
        PRIMARY KEY (account, name)
    )""",
    "CREATE TABLE IF NOT EXISTS arm_clock (offset_s REAL NOT NULL)",
)


def ensure_tables(store: Store) -> None:
    with store.transaction() as conn:
        for statement in _TABLES:
            conn.execute(statement)


class ArmError(Exception):
    """An ARM error: ``{"error": {"code", "message"}}`` with its status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"error": {"code": self.code, "message": self.message}}, status_code=self.status)


def now(conn: sqlite3.Connection, rt: Runtime) -> float:
    """The deployment clock: the emulator's clock plus the offset a test moved it by."""
    row = conn.execute("SELECT offset_s FROM arm_clock").fetchone()
    return rt.clock() + (float(row["offset_s"]) if row else 0.0)


def advance_clock(store: Store, seconds: float) -> float:
    """Move the deployment clock forward; returns the total offset."""
    with store.transaction() as conn:
        row = conn.execute("SELECT offset_s FROM arm_clock").fetchone()
        total = (float(row["offset_s"]) if row else 0.0) + seconds
        conn.execute("DELETE FROM arm_clock")
        conn.execute("INSERT INTO arm_clock (offset_s) VALUES (?)", (total,))
    return total


def sweep_idle(conn: sqlite3.Connection, at: float) -> None:
    """Azure's idle policy: a deployment with no traffic for 15 days is deleted."""
    conn.execute("DELETE FROM arm_deployments WHERE ? - last_used > ?", (at, IDLE_DELETION_S))


def serving(conn: sqlite3.Connection, rt: Runtime, name: str) -> tuple[str | None, bool]:
    """The model a deployment named ``name`` serves (any account of the emulated resource), and
    whether it answers yet; a chat through it counts as traffic. (None, False): no such deployment."""
    at = now(conn, rt)
    sweep_idle(conn, at)
    row = conn.execute(
        "SELECT * FROM arm_deployments WHERE name = ? ORDER BY created_at LIMIT 1", (name,)
    ).fetchone()
    if row is None:
        return None, False
    if at < row["ready_at"]:
        return str(json.loads(row["model"]).get("name", "")), False
    conn.execute(
        "UPDATE arm_deployments SET last_used = ? WHERE account = ? AND name = ?", (at, row["account"], name)
    )
    return str(json.loads(row["model"]).get("name", "")), True


def deployments_of(conn: sqlite3.Connection, model_id: str) -> list[str]:
    """The names of the deployments serving ``model_id`` (what blocks its deletion)."""
    rows = conn.execute("SELECT name, model FROM arm_deployments ORDER BY name").fetchall()
    return [row["name"] for row in rows if json.loads(row["model"]).get("name") == model_id]


def _account(request: Request) -> str:
    params = request.path_params
    return _ACCOUNT.format(
        subscription=params["subscription"], group=params["group"], account=params["account"]
    )


def _check(request: Request) -> None:
    """What ARM checks first: an api-version it knows, then a bearer token (any: the emulator
    cannot verify an Entra token)."""
    version = request.query_params.get("api-version")
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if version not in ARM_API_VERSIONS:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are "
            f"'{', '.join(sorted(ARM_API_VERSIONS))}'.",
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ArmError(
            401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
        )


def _body(row: sqlite3.Row, at: float) -> dict[str, Any]:
    """A ``Deployment`` as the spec defines it."""
    state = "Creating" if at < row["ready_at"] else "Succeeded"
    created = row["created_at"]
    return {
        "id": f"{row['account']}/deployments/{row['name']}",
        "name": row["name"],
        "type": _TYPE,
        "sku": json.loads(row["sku"]),
        "tags": json.loads(row["tags"]),
        "systemData": {"createdAt": _iso(created), "lastModifiedAt": _iso(created)},
        "properties": {
            "model": json.loads(row["model"]),
            "provisioningState": state,
            "versionUpgradeOption": "NoAutoUpgrade",
        },
    }


def _iso(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _handled(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            _check(request)
            result: Response = await handler(request)
            return result
        except ArmError as error:
            return error.response()

    return wrapped


async def _list(request: Request) -> Response:
    rt = runtime(request)
    with rt.store.transaction() as conn:
        at = now(conn, rt)
        sweep_idle(conn, at)
        rows = conn.execute(
            "SELECT * FROM arm_deployments WHERE account = ? ORDER BY name", (_account(request).lower(),)
        ).fetchall()
    return JSONResponse({"value": [_body(row, at) for row in rows]})


def _row(conn: sqlite3.Connection, request: Request) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM arm_deployments WHERE account = ? AND name = ?",
        (_account(request).lower(), request.path_params["name"]),
    ).fetchone()
    return row


def _not_found(request: Request) -> ArmError:
    return ArmError(
        404,
        "DeploymentNotFound",
        f"The Deployment '{request.path_params['name']}' under the account does not exist.",
    )


async def _get(request: Request) -> Response:
    rt = runtime(request)
    with rt.store.transaction() as conn:
        at = now(conn, rt)
        sweep_idle(conn, at)
        row = _row(conn, request)
        if row is None:
            raise _not_found(request)
    return JSONResponse(_body(row, at))


def _read_put(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    sku = body.get("sku")
    if not isinstance(sku, dict) or not isinstance(sku.get("name"), str):
        raise ArmError(400, "InvalidResourceProperties", "The 'sku' of the deployment is missing or invalid.")
    capacity = sku.get("capacity", 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise ArmError(400, "InvalidCapacity", "The sku capacity must be a positive integer.")
    if capacity > MAX_CAPACITY:
        raise ArmError(
            400,
            "InsufficientQuota",
            f"This operation require {capacity} new capacity in quota, which is bigger than "
            f"the current available capacity {MAX_CAPACITY}.",
        )
    properties = body.get("properties")
    model = properties.get("model") if isinstance(properties, dict) else None
    if (
        not isinstance(model, dict)
        or not isinstance(model.get("name"), str)
        or model.get("format") != "OpenAI"
    ):
        raise ArmError(
            400, "InvalidResourceProperties", "properties.model with format 'OpenAI' and a name is required."
        )
    tags = body.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise ArmError(400, "InvalidTags", "Tags must be string values.")
    return {"name": sku["name"], "capacity": capacity}, model, tags


async def _put(request: Request) -> Response:
    from ftops.emulator.routes.models import find_model

    rt = runtime(request)
    try:
        body = await json_object(request)
    except Exception as error:  # the OpenAI-shaped error of json_object is not ARM's
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid.") from error
    sku, model, tags = _read_put(body)
    name = request.path_params["name"]
    with rt.store.transaction() as conn:
        at = now(conn, rt)
        sweep_idle(conn, at)
        if find_model(conn, model["name"]) is None:
            raise ArmError(
                400,
                "DeploymentModelNotSupported",
                f"The model '{model['name']}' is not available in this account.",
            )
        existing = _row(conn, request)
        account = _account(request).lower()
        if existing is None:
            conn.execute(
                "INSERT INTO arm_deployments (account, name, sku, model, tags, created_at, ready_at, "
                "last_used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    name,
                    json.dumps(sku),
                    json.dumps(model),
                    json.dumps(tags),
                    at,
                    at + PROVISIONING_S / rt.speed,
                    at,
                ),
            )
        else:
            same_model = json.loads(existing["model"]).get("name") == model["name"]
            ready = existing["ready_at"] if same_model else at + PROVISIONING_S / rt.speed
            conn.execute(
                "UPDATE arm_deployments SET sku = ?, model = ?, tags = ?, ready_at = ? "
                "WHERE account = ? AND name = ?",
                (json.dumps(sku), json.dumps(model), json.dumps(tags), ready, account, name),
            )
        row = _row(conn, request)
    assert row is not None
    return JSONResponse(_body(row, at), status_code=200 if existing is not None else 201)


async def _delete(request: Request) -> Response:
    rt = runtime(request)
    with rt.store.transaction() as conn:
        sweep_idle(conn, now(conn, rt))
        gone = conn.execute(
            "DELETE FROM arm_deployments WHERE account = ? AND name = ?",
            (_account(request).lower(), request.path_params["name"]),
        ).rowcount
    return Response(status_code=200 if gone else 204)


_BASE: Final = (
    "/subscriptions/{subscription}/resourceGroups/{group}/providers/"
    "Microsoft.CognitiveServices/accounts/{account}/deployments"
)

ROUTES: Final = [
    Route(_BASE, _handled(_list), methods=["GET"]),
    Route(_BASE + "/{name}", _handled(_get), methods=["GET"]),
    Route(_BASE + "/{name}", _handled(_put), methods=["PUT"]),
    Route(_BASE + "/{name}", _handled(_delete), methods=["DELETE"]),
]
