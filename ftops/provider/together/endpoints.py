"""Together AI's dedicated endpoints behind ``DeploymentManager``, through the ``together`` 3.1.1
SDK's v2 calls (``client.endpoints`` and ``client.endpoints.deployments``, under
``/v2/projects/{project_id}``).

One ftops deployment is one Together endpoint (its bare name: ``<prefix>-<8 hex of the model
id>``, a pure function of the model, so a create repeated after a crash finds the endpoint by
name and never makes a second) holding one deployment: the model, on ``hardware`` (the hardware
listing's id; the neutral ``sku``) with ``replicas`` fixed (min = max; the neutral ``capacity``).
Together has no tags: the ftops project and name are written in that inner deployment's name
(``ftops--<project>--<name>``), which is how the listing tells ftops's endpoints from others.
What applications send as ``model`` is ``<project_id>/<endpoint name>``
(``qualified_name``); ``ftops output NAME.deployment`` gives that form.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ftops.errors import NotFoundError, UsageError
from ftops.provider.deployments import DeploymentPhase, DeploymentSpec, ObservedDeployment
from ftops.provider.retry import Kind, RetryPolicy, call
from ftops.provider.together.client import Connection
from ftops.provider.together.errors import TOGETHER_ERRORS

_OWNER_MARK: Final = "ftops--"
_PHASES: Final = {
    "DEPLOYMENT_STATE_PROVISIONING": DeploymentPhase.CREATING,
    "DEPLOYMENT_STATE_SCALING": DeploymentPhase.SUCCEEDED,  # answering while it rescales
    "DEPLOYMENT_STATE_READY": DeploymentPhase.SUCCEEDED,
    "DEPLOYMENT_STATE_DEGRADED": DeploymentPhase.SUCCEEDED,
    "DEPLOYMENT_STATE_FAILED": DeploymentPhase.FAILED,
    "DEPLOYMENT_STATE_STOPPED": DeploymentPhase.FAILED,
    "DEPLOYMENT_STATE_STOPPING": DeploymentPhase.DELETING,
}


def project_id_of(configured: str | None) -> str:
    """The Together project that owns the endpoints: the provider block's ``project`` (an
    identifier, not a secret; the manifest rules require it beside a ``deployment:``)."""
    found = (configured or "").strip()
    if not found:
        raise UsageError(
            "dedicated endpoints on Together need the project id in provider.project",
            hint="The Together dashboard shows it; the 3.1.1 SDK puts endpoints under /v2/projects/ID.",
        )
    return found


def _owner(project: str, resource: str) -> str:
    return f"{_OWNER_MARK}{project}--{resource.removeprefix('models.')}"


@dataclass
class TogetherEndpoints:
    """``DeploymentManager`` over Together's endpoints API."""

    connection: Connection
    project_id: str
    project: str  # the ftops project
    retry: RetryPolicy
    close_connection: bool = False

    @property
    def description(self) -> str:
        return f"{self.connection.description} project {self.project_id} endpoints"

    @property
    def request_count(self) -> int:
        return self.connection.counter.total

    @property
    def mutating_request_count(self) -> int:
        return self.connection.counter.mutating

    def close(self) -> None:
        if self.close_connection:
            self.connection.close()

    def qualified_name(self, name: str) -> str:
        return f"{self.project_id}/{name}"

    def _call(self, kind: Kind, what: str, operation: Callable[[], Any]) -> Any:
        return call(self.retry, kind, what, operation, TOGETHER_ERRORS)

    def _endpoints(self) -> list[Any]:
        client = self.connection.client
        return list(
            self._call(
                Kind.READ,
                "list endpoints",
                lambda: list(client.endpoints.list(project_id=self.project_id, limit=100)),
            )
        )

    def _find(self, name: str) -> Any | None:
        bare = name.rsplit("/", 1)[-1]
        return next((e for e in self._endpoints() if e.name.rsplit("/", 1)[-1] == bare), None)

    def _inner(self, endpoint: Any) -> Any | None:
        """The endpoint's one deployment, read in full (the endpoint's summary has no hardware)."""
        if not endpoint.deployments:
            return None
        client = self.connection.client
        summary = endpoint.deployments[0]
        return self._call(
            Kind.READ,
            f"get deployment of {endpoint.name}",
            lambda: client.endpoints.deployments.retrieve(
                summary.id, endpoint_id=endpoint.id, project_id=self.project_id
            ),
        )

    def _observed(self, endpoint: Any, inner: Any | None) -> ObservedDeployment:
        name = str(endpoint.name) if "/" in str(endpoint.name) else self.qualified_name(str(endpoint.name))
        if inner is None:
            return ObservedDeployment(
                name, "", "", 0, DeploymentPhase.FAILED, "no deployment", _unix(endpoint.created_at)
            )
        label = str(inner.name).rsplit("/", 1)[-1]
        project = resource = None
        if label.startswith(_OWNER_MARK):
            project, _, rest = label.removeprefix(_OWNER_MARK).partition("--")
            resource = f"models.{rest}" if rest else None
        # A full deployment has ``status`` and ``hardware``; a listing's summary only ``state``.
        status = getattr(inner, "status", None)
        state = str(status.state if status is not None else inner.state)
        message = f": {status.message}" if status is not None and status.message else ""
        return ObservedDeployment(
            name=name,
            model_id=_model_id(str(inner.model)),
            sku=str(getattr(inner, "hardware", "") or ""),
            capacity=int(inner.autoscaling.min_replicas or 0),
            phase=_PHASES.get(state, DeploymentPhase.CREATING),
            state=f"{state.removeprefix('DEPLOYMENT_STATE_').lower()}{message}",
            created_at=_unix(inner.created_at),
            project=project,
            resource=resource,
        )

    def list_deployments(self) -> tuple[ObservedDeployment, ...]:
        """The project's endpoints in one cursor-paged listing. Its deployment summaries carry no
        hardware, so each endpoint ftops made (its deployment's name says so) is read once more;
        others are shown from the summary alone."""
        out = []
        for endpoint in self._endpoints():
            summary = endpoint.deployments[0] if endpoint.deployments else None
            ours = summary is not None and str(summary.name).rsplit("/", 1)[-1].startswith(
                _owner(self.project, ""))
            out.append(self._observed(endpoint, self._inner(endpoint) if ours else summary))
        return tuple(sorted(out, key=lambda d: d.name))

    def get_deployment(self, name: str) -> ObservedDeployment | None:
        endpoint = self._find(name)
        return None if endpoint is None else self._observed(endpoint, self._inner(endpoint))

    def put_deployment(self, spec: DeploymentSpec) -> ObservedDeployment:
        """The endpoint by name (made when missing), then its deployment: created, or its replicas
        updated in place; a deployment of another model (never made by ftops) is an error."""
        client = self.connection.client
        endpoint = self._find(spec.name)
        if endpoint is None:
            endpoint = self._call(
                Kind.CREATE,
                f"create endpoint {spec.name}",
                lambda: client.endpoints.create(
                    project_id=self.project_id, name=spec.name, visibility="VISIBILITY_PRIVATE"
                ),
            )
        inner = self._inner(endpoint)
        if inner is None:
            inner = self._call(
                Kind.CREATE,
                f"deploy {spec.model_id} on {spec.name}",
                lambda: client.endpoints.deployments.create(
                    endpoint.id,
                    project_id=self.project_id,
                    name=_owner(spec.project, spec.resource),
                    model=f"projects/{self.project_id}/models/{spec.model_id}",
                    config=f"projects/{self.project_id}/configs/{spec.sku}",
                    autoscaling={"min_replicas": spec.capacity, "max_replicas": spec.capacity},
                ),
            )
        elif _model_id(str(inner.model)) != spec.model_id:
            raise UsageError(
                f"endpoint {spec.name} already serves {_model_id(str(inner.model))}, not {spec.model_id}",
                hint="Delete that endpoint or choose another name.",
            )
        elif (
            inner.autoscaling.min_replicas != spec.capacity or inner.autoscaling.max_replicas != spec.capacity
        ):
            inner = self._call(
                Kind.IDEMPOTENT,
                f"scale {spec.name} to {spec.capacity}",
                lambda: client.endpoints.deployments.update(
                    inner.id,
                    endpoint_id=endpoint.id,
                    project_id=self.project_id,
                    autoscaling={"min_replicas": spec.capacity, "max_replicas": spec.capacity},
                ),
            )
        return self._observed(endpoint, inner)

    def delete_deployment(self, name: str) -> bool:
        """Its deployment, then the endpoint (Together refuses an endpoint that still has one)."""
        client = self.connection.client
        endpoint = self._find(name)
        if endpoint is None:
            return False
        for summary in endpoint.deployments:

            def remove(deployment_id: str = summary.id) -> Any:
                return client.endpoints.deployments.delete(
                    deployment_id, endpoint_id=endpoint.id, project_id=self.project_id
                )

            self._gone_ok(f"delete deployment of {name}", remove)
        self._gone_ok(
            f"delete endpoint {name}",
            lambda: client.endpoints.delete(endpoint.id, project_id=self.project_id),
        )
        return True

    def _gone_ok(self, what: str, operation: Callable[[], Any]) -> None:
        with contextlib.suppress(NotFoundError):  # already gone: what was asked
            self._call(Kind.IDEMPOTENT, what, operation)


def _model_id(resource: str) -> str:
    """``projects/{p}/models/{id}[/revisions/{r}]`` → ``{id}`` (a model id may hold slashes)."""
    parts = resource.split("/")
    if len(parts) >= 4 and parts[0] == "projects" and parts[2] == "models":
        return "/".join(parts[3:]).split("/revisions/")[0]
    return resource


def _unix(value: Any) -> int | None:
    return int(value.timestamp()) if isinstance(value, datetime) else None
