"""Together's dedicated endpoints as the ``together`` 3.1.1 SDK sends them: the v2 API under
``/together/v2`` (``FINE_TUNING.md`` of the published spec's notes; the saved spec's v1
``/endpoints`` is not served).

In v2 an endpoint is a named entry point of a project (``POST /v2/projects/{p}/endpoints`` with
``name`` and ``visibility``) and the model runs in its deployments
(``.../endpoints/{id}/deployments``: ``model``, ``config``, ``autoscaling``). A deployment is
``DEPLOYMENT_STATE_PROVISIONING`` for ``PROVISIONING_S`` simulated seconds, then
``DEPLOYMENT_STATE_READY``. The emulator's one simplification: a deployment's hardware is the
last segment of its ``config`` (``projects/{p}/configs/{hardware id}``), one of the hardware
listing's ids (``hardware``); the service resolves a config revision to its hardware. An endpoint
with deployments cannot be deleted (the SDK's own docstring: "Delete its deployments first"), and
chat through ``<project>/<endpoint name>`` answers as its ready deployment's model.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.apierrors import ApiError, invalid
from ftops.emulator.http import runtime
from ftops.emulator.runtime import Runtime
from ftops.emulator.together.catalog import together_model
from ftops.emulator.together.hardware import HARDWARE
from ftops.emulator.together.http import V2_PREFIX, together_json, together_key
from ftops.emulator.together.jobs import completed_job_of_model

PROVISIONING_S: Final = 60.0  # simulated seconds from PROVISIONING to READY
VISIBILITIES: Final = frozenset({"VISIBILITY_PRIVATE", "VISIBILITY_INTERNAL"})
DEFAULT_PAGE: Final = 50
MAX_PAGE: Final = 100


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"{kind} {ident} not found.", param="id", code="not_found")


def _state(row: sqlite3.Row, at: float) -> str:
    return "DEPLOYMENT_STATE_PROVISIONING" if at < row["ready_at"] else "DEPLOYMENT_STATE_READY"


def _deployment_body(row: sqlite3.Row, endpoint: sqlite3.Row, at: float) -> dict[str, Any]:
    state = _state(row, at)
    ready = row["replicas"] if state == "DEPLOYMENT_STATE_READY" else 0
    return {
        "id": row["id"],
        "autoscaling": {"minReplicas": row["replicas"], "maxReplicas": row["replicas"]},
        "config": f"projects/{row['project_id']}/configs/{row['hardware']}",
        "configId": row["hardware"],
        "createdAt": _iso(row["created_at"]),
        "updatedAt": _iso(row["updated_at"]),
        "endpointId": row["endpoint_id"],
        "etag": str(int(row["updated_at"] * 1000)),
        "hardware": row["hardware"],
        "model": f"projects/{row['project_id']}/models/{row['model']}/revisions/1",
        "modelId": row["model"],
        "modelRevisionId": "1",
        "name": f"{row['project_id']}/{endpoint['name']}/{row['name']}",
        "projectId": row["project_id"],
        "status": {
            "state": state,
            "message": "Serving." if ready else f"Starting {row['replicas']} replica(s): {row['hardware']}.",
            "readyReplicas": ready,
            "scheduledReplicas": row["replicas"],
        },
        "trafficMode": "TRAFFIC_MODE_LIVE",
        "desiredReplicas": row["replicas"],
    }


def _summary(row: sqlite3.Row, endpoint: sqlite3.Row, at: float) -> dict[str, Any]:
    return {
        "id": row["id"],
        "autoscaling": {"minReplicas": row["replicas"], "maxReplicas": row["replicas"]},
        "createdAt": _iso(row["created_at"]),
        "estimatedEffectiveTrafficShare": 1.0 if _state(row, at) == "DEPLOYMENT_STATE_READY" else 0.0,
        "model": f"projects/{row['project_id']}/models/{row['model']}/revisions/1",
        "modelId": row["model"],
        "name": f"{row['project_id']}/{endpoint['name']}/{row['name']}",
        "state": _state(row, at),
        "trafficMode": "TRAFFIC_MODE_LIVE",
    }


def _deployments(conn: sqlite3.Connection, endpoint_id: str) -> list[sqlite3.Row]:
    return list(
        conn.execute(
            "SELECT * FROM together_deployments WHERE endpoint_id = ? AND deleted = 0 ORDER BY seq",
            (endpoint_id,),
        )
    )


def _endpoint_body(conn: sqlite3.Connection, row: sqlite3.Row, at: float) -> dict[str, Any]:
    deployments = _deployments(conn, row["id"])
    return {
        "id": row["id"],
        "createdAt": _iso(row["created_at"]),
        "updatedAt": _iso(row["updated_at"]),
        "deployments": [_summary(d, row, at) for d in deployments],
        "endpointType": "ENDPOINT_TYPE_DEDICATED",
        "etag": str(int(row["updated_at"] * 1000)),
        "name": f"{row['project_id']}/{row['name']}",
        "projectId": row["project_id"],
        "trafficSplit": [{"deploymentId": d["id"], "weight": 100} for d in deployments],
        "visibility": row["visibility"],
    }


def _endpoint(conn: sqlite3.Connection, project: str, endpoint_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM together_endpoints WHERE project_id = ? AND id = ? AND deleted = 0",
        (project, endpoint_id),
    ).fetchone()
    if row is None:
        raise _not_found("Endpoint", endpoint_id)
    return row


def _bare_name(value: Any, project: str) -> str:
    """A bare name or ``<project>/<name>``; the slug, when given, must be the path's project."""
    if not isinstance(value, str) or not value.strip():
        raise invalid("Missing required parameter: 'name'.", param="name")
    slug, _, bare = value.strip().rpartition("/")
    if slug and slug != project:
        raise invalid(f"Endpoint name {value!r} names another project than {project!r}.", param="name")
    if not bare or len(bare) > 63:
        raise invalid("An endpoint name has 1 to 63 characters.", param="name")
    return bare


def _page(request: Request) -> tuple[int, int]:
    try:
        limit = int(request.query_params.get("limit", DEFAULT_PAGE))
        after = int(request.query_params.get("after", "0") or 0)
    except ValueError:
        raise invalid("limit and after are integers in this emulator.", param="limit") from None
    return max(1, min(MAX_PAGE, limit)), after


async def create_endpoint(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    project = request.path_params["project_id"]
    body = await together_json(request)
    name = _bare_name(body.get("name"), project)
    visibility = body.get("visibility") or "VISIBILITY_PRIVATE"
    if visibility not in VISIBILITIES:
        raise invalid(f"visibility must be one of {sorted(VISIBILITIES)}.", param="visibility")
    at = rt.clock()
    with rt.store.transaction() as conn:
        taken = conn.execute(
            "SELECT 1 FROM together_endpoints WHERE project_id = ? AND name = ? AND deleted = 0",
            (project, name),
        ).fetchone()
        if taken is not None:
            raise ApiError(
                409, f"Endpoint {project}/{name} already exists.", param="name", code="already_exists"
            )
        endpoint_id = f"endpoint-{uuid.uuid4()}"
        conn.execute(
            "INSERT INTO together_endpoints (id, project_id, name, visibility, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (endpoint_id, project, name, visibility, at, at),
        )
        row = _endpoint(conn, project, endpoint_id)
        return JSONResponse(_endpoint_body(conn, row, at))


async def list_endpoints(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    project = request.path_params["project_id"]
    limit, after = _page(request)
    at = rt.clock()
    with rt.store.reading() as conn:
        rows = list(
            conn.execute(
                "SELECT * FROM together_endpoints WHERE project_id = ? AND deleted = 0 AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (project, after, limit + 1),
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        data = [_endpoint_body(conn, row, at) for row in rows]
    return JSONResponse({"data": data, "next_cursor": str(rows[-1]["seq"]) if more else None})


async def retrieve_endpoint(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.reading() as conn:
        row = _endpoint(conn, request.path_params["project_id"], request.path_params["id"])
        return JSONResponse(_endpoint_body(conn, row, rt.clock()))


async def update_endpoint(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    project = request.path_params["project_id"]
    body = await together_json(request)
    at = rt.clock()
    with rt.store.transaction() as conn:
        row = _endpoint(conn, project, request.path_params["id"])
        visibility = body.get("visibility", row["visibility"])
        if visibility not in VISIBILITIES:
            raise invalid(f"visibility must be one of {sorted(VISIBILITIES)}.", param="visibility")
        conn.execute(
            "UPDATE together_endpoints SET visibility = ?, updated_at = ? WHERE id = ?",
            (visibility, at, row["id"]),
        )
        return JSONResponse(_endpoint_body(conn, _endpoint(conn, project, row["id"]), at))


async def delete_endpoint(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.transaction() as conn:
        row = _endpoint(conn, request.path_params["project_id"], request.path_params["id"])
        if _deployments(conn, row["id"]):
            raise ApiError(
                409,
                f"Endpoint {row['id']} still has deployments; delete them first.",
                param="id",
                code="failed_precondition",
            )
        conn.execute(
            "UPDATE together_endpoints SET deleted = 1, updated_at = ? WHERE id = ?", (rt.clock(), row["id"])
        )
    return JSONResponse({})


def _replicas(body: dict[str, Any], current: int | None) -> int:
    scaling = body.get("autoscaling")
    if scaling is None and current is not None:
        return current
    if not isinstance(scaling, dict):
        raise invalid("Missing required parameter: 'autoscaling'.", param="autoscaling")
    low, high = scaling.get("minReplicas"), scaling.get("maxReplicas")
    if not isinstance(low, int) or not isinstance(high, int) or not 1 <= low <= high <= 64:
        raise invalid("autoscaling needs 1 <= minReplicas <= maxReplicas <= 64.", param="autoscaling")
    if low != high:
        raise invalid(
            "The emulator runs a fixed replica count: minReplicas = maxReplicas.", param="autoscaling"
        )
    return low


def _hardware(body: dict[str, Any], project: str) -> str:
    config = body.get("config") or body.get("configId")
    if not isinstance(config, str) or not config:
        raise invalid("Missing required parameter: 'config'.", param="config")
    hardware = config.rsplit("/", 1)[-1]
    if config != hardware and config != f"projects/{project}/configs/{hardware}":
        raise invalid(f"config {config!r} is not projects/{project}/configs/ID.", param="config")
    if hardware not in HARDWARE:
        raise invalid(
            f"Unknown hardware {hardware!r} (GET /v2/public/inference-instance-types).", param="config"
        )
    return hardware


def _model(body: dict[str, Any], project: str, rt: Runtime) -> str:
    """``projects/{p}/models/{id}[/revisions/{r}]`` or the deprecated ``modelId``: the model must answer."""
    model = body.get("model")
    if isinstance(model, str) and model.startswith("projects/"):
        parts = model.split("/")
        if len(parts) < 4 or parts[2] != "models":
            raise invalid(f"model {model!r} is not projects/{{p}}/models/ID.", param="model")
        model = "/".join(parts[3:]).split("/revisions/")[0]
    elif not model:
        model = body.get("modelId")
    if not isinstance(model, str) or not model:
        raise invalid("Missing required parameter: 'model'.", param="model")
    if not serves(rt, model):
        raise ApiError(
            404,
            f"Model {model} does not exist or has not finished training.",
            param="model",
            code="model_not_found",
        )
    return model


def serves(rt: Runtime, model: str) -> bool:
    """Whether ``model`` answers: a base model of the catalog, or a fine-tune whose job completed."""
    if together_model(model) is not None:
        return True
    with rt.store.reading() as conn:
        return completed_job_of_model(conn, model, rt.clock()) is not None


def _deployment(conn: sqlite3.Connection, endpoint_id: str, deployment_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM together_deployments WHERE endpoint_id = ? AND id = ? AND deleted = 0",
        (endpoint_id, deployment_id),
    ).fetchone()
    if row is None:
        raise _not_found("Deployment", deployment_id)
    return row


async def create_deployment(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    project = request.path_params["project_id"]
    body = await together_json(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise invalid("Missing required parameter: 'name' (a bare deployment name).", param="name")
    replicas = _replicas(body, None)
    hardware = _hardware(body, project)
    model = _model(body, project, rt)
    at = rt.clock()
    with rt.store.transaction() as conn:
        endpoint = _endpoint(conn, project, request.path_params["endpoint_id"])
        if any(d["name"] == name for d in _deployments(conn, endpoint["id"])):
            raise ApiError(
                409,
                f"Deployment {name} already exists on {endpoint['name']}.",
                param="name",
                code="already_exists",
            )
        deployment_id = f"deployment-{uuid.uuid4()}"
        conn.execute(
            "INSERT INTO together_deployments (id, endpoint_id, project_id, name, model, hardware, replicas, "
            "created_at, updated_at, ready_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                deployment_id,
                endpoint["id"],
                project,
                name,
                model,
                hardware,
                replicas,
                at,
                at,
                at + PROVISIONING_S / rt.speed,
            ),
        )
        row = _deployment(conn, endpoint["id"], deployment_id)
        return JSONResponse(_deployment_body(row, endpoint, at))


async def list_deployments(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    at = rt.clock()
    with rt.store.reading() as conn:
        endpoint = _endpoint(conn, request.path_params["project_id"], request.path_params["endpoint_id"])
        data = [_deployment_body(row, endpoint, at) for row in _deployments(conn, endpoint["id"])]
    return JSONResponse({"data": data, "next_cursor": None})


async def retrieve_deployment(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.reading() as conn:
        endpoint = _endpoint(conn, request.path_params["project_id"], request.path_params["endpoint_id"])
        row = _deployment(conn, endpoint["id"], request.path_params["id"])
        return JSONResponse(_deployment_body(row, endpoint, rt.clock()))


async def update_deployment(request: Request) -> Response:
    """Replicas change in place (no new provisioning); the model and hardware are fixed here."""
    together_key(request)
    rt = runtime(request)
    body = await together_json(request)
    at = rt.clock()
    with rt.store.transaction() as conn:
        endpoint = _endpoint(conn, request.path_params["project_id"], request.path_params["endpoint_id"])
        row = _deployment(conn, endpoint["id"], request.path_params["id"])
        replicas = _replicas(body, row["replicas"])
        conn.execute(
            "UPDATE together_deployments SET replicas = ?, updated_at = ? WHERE id = ?",
            (replicas, at, row["id"]),
        )
        return JSONResponse(_deployment_body(_deployment(conn, endpoint["id"], row["id"]), endpoint, at))


async def delete_deployment(request: Request) -> Response:
    together_key(request)
    rt = runtime(request)
    with rt.store.transaction() as conn:
        endpoint = _endpoint(conn, request.path_params["project_id"], request.path_params["endpoint_id"])
        row = _deployment(conn, endpoint["id"], request.path_params["id"])
        conn.execute(
            "UPDATE together_deployments SET deleted = 1, updated_at = ? WHERE id = ?",
            (rt.clock(), row["id"]),
        )
    return JSONResponse({})


def model_behind(conn: sqlite3.Connection, name: str, at: float) -> str | None:
    """The model a chat's ``model`` reaches through an endpoint (``<project>/<endpoint>``) or one
    deployment (``<project>/<endpoint>/<deployment>``) that is ready; None: not an endpoint name."""
    parts = name.split("/")
    if len(parts) not in (2, 3):
        return None
    rows = conn.execute(
        "SELECT d.* FROM together_deployments d JOIN together_endpoints e ON d.endpoint_id = e.id "
        "WHERE e.project_id = ? AND e.name = ? AND e.deleted = 0 AND d.deleted = 0 ORDER BY d.seq",
        (parts[0], parts[1]),
    ).fetchall()
    ready = [r for r in rows if at >= r["ready_at"] and (len(parts) == 2 or r["name"] == parts[2])]
    return str(ready[0]["model"]) if ready else None


_ENDPOINTS = f"{V2_PREFIX}/projects/{{project_id}}/endpoints"
_DEPLOYMENTS = f"{_ENDPOINTS}/{{endpoint_id}}/deployments"
ROUTES = [
    Route(_ENDPOINTS, create_endpoint, methods=["POST"]),
    Route(_ENDPOINTS, list_endpoints, methods=["GET"]),
    Route(f"{_ENDPOINTS}/{{id}}", retrieve_endpoint, methods=["GET"]),
    Route(f"{_ENDPOINTS}/{{id}}", update_endpoint, methods=["PATCH"]),
    Route(f"{_ENDPOINTS}/{{id}}", delete_endpoint, methods=["DELETE"]),
    Route(_DEPLOYMENTS, create_deployment, methods=["POST"]),
    Route(_DEPLOYMENTS, list_deployments, methods=["GET"]),
    Route(f"{_DEPLOYMENTS}/{{id}}", retrieve_deployment, methods=["GET"]),
    Route(f"{_DEPLOYMENTS}/{{id}}", update_deployment, methods=["PATCH"]),
    Route(f"{_DEPLOYMENTS}/{{id}}", delete_deployment, methods=["DELETE"]),
]
