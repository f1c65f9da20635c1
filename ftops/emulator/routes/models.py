"""/v1/models: base models and this organization's fine-tuned models; delete needs the Owner role."""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator import azure_arm, catalog
from ftops.emulator.apierrors import ApiError
from ftops.emulator.azure import azure_model, is_azure
from ftops.emulator.http import api_key, runtime
from ftops.emulator.jobs_engine import sync_active


def _shutdown_dates(conn: sqlite3.Connection) -> dict[str, str | None]:
    return {row["model"]: row["shutdown_date"] for row in conn.execute("SELECT * FROM shutdown_dates")}


def _base_object(model: catalog.BaseModel, overrides: dict[str, str | None]) -> dict[str, Any]:
    owner = "openai" if model.id.startswith(("gpt-", "o")) else "system"
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": owner,
        "shutdown_date": overrides.get(model.id, model.shutdown_date),
    }


def _tuned_object(row: sqlite3.Row, overrides: dict[str, str | None]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "model",
        "created": row["created"],
        "owned_by": row["owned_by"],
        "shutdown_date": overrides.get(row["id"]),
    }


def model_not_found(model_id: str) -> ApiError:
    return ApiError(
        404,
        f"The model '{model_id}' does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )


def find_model(conn: sqlite3.Connection, model_id: str) -> dict[str, Any] | None:
    overrides = _shutdown_dates(conn)
    base = catalog.base_model(model_id)
    if base is not None:
        return _base_object(base, overrides)
    row = conn.execute("SELECT * FROM models WHERE id = ? AND deleted = 0", (model_id,)).fetchone()
    return _tuned_object(row, overrides) if row else None


async def list_models(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        overrides = _shutdown_dates(conn)
        tuned = conn.execute("SELECT * FROM models WHERE deleted = 0 ORDER BY created, id").fetchall()
    data = [_base_object(model, overrides) for model in catalog.BASE_MODELS]
    data += [_tuned_object(row, overrides) for row in tuned]
    if is_azure(request.scope):
        data = [azure_model(model) for model in data]
    return JSONResponse({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    api_key(request)
    rt = runtime(request)
    model_id = request.path_params["model"]
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        found = find_model(conn, model_id)
    if found is None:
        raise model_not_found(model_id)
    return JSONResponse(azure_model(found) if is_azure(request.scope) else found)


async def delete_model(request: Request) -> Response:
    key = api_key(request)
    rt = runtime(request)
    model_id = request.path_params["model"]
    with rt.store.transaction() as conn:
        sync_active(conn, rt, rt.clock())
        found = find_model(conn, model_id)
        if found is None:
            raise model_not_found(model_id)
        if catalog.base_model(model_id) is not None or key in rt.non_owner_keys:
            raise ApiError(
                403,
                "You have insufficient permissions for this operation: deleting a model requires the "
                "Owner role in the organization that owns it.",
                code="insufficient_permissions",
            )
        deployed = azure_arm.deployments_of(conn, model_id)
        if deployed:  # as Azure: a model with deployments cannot be deleted
            raise ApiError(
                409,
                f"The model {model_id} cannot be deleted because it has deployments "
                f"({', '.join(deployed)}): delete them first.",
                code="conflict",
            )
        conn.execute("UPDATE models SET deleted = 1 WHERE id = ?", (model_id,))
    return JSONResponse({"id": model_id, "object": "model", "deleted": True})


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
    Route("/v1/models/{model:path}", delete_model, methods=["DELETE"]),
]
