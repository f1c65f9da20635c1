"""Deployments: how a model answers where it must be deployed first (Azure OpenAI), in neutral
values, and the interface of a service's management plane (``DeploymentManager``).

The planner and the executor speak only these; ``ftops.provider.azure.management`` translates
them to ARM requests. The names ftops gives deployments are pure functions of a model name's
prefix and the model id (``deployment_name``): a create is a PUT by that name, so a retried or
repeated create updates the same deployment and never makes a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

TAG_PROJECT: Final = "ftops_project"
TAG_RESOURCE: Final = "ftops_resource"  # models.NAME
TAG_MODEL: Final = "ftops_model"


class DeploymentPhase(StrEnum):
    CREATING = "creating"  # accepted, not answering yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DELETING = "deleting"


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """A deployment to create (or update in place: same name, same model, new sku/capacity)."""

    name: str
    model_id: str
    sku: str
    capacity: int
    project: str
    resource: str  # models.NAME: written as tags, so the listing says whose it is


@dataclass(frozen=True, slots=True)
class ObservedDeployment:
    name: str
    model_id: str
    sku: str
    capacity: int
    phase: DeploymentPhase
    state: str  # the service's own word (provisioningState), for display
    created_at: int | None = None  # unix seconds, when the service says
    project: str | None = None  # from the tags ftops wrote; None: not made by ftops
    resource: str | None = None


def deployment_name(prefix: str, model_id: str) -> str:
    """``chunsik-1a2b3c4d``: the prefix and 8 hex digits of the model id (a deployment name is at
    most 64 characters, and a model id may be longer)."""
    return f"{prefix}-{hashlib.sha256(model_id.encode()).hexdigest()[:8]}"


class DeploymentManager(Protocol):
    """A service's management plane for deployments. Every operation raises only errors of
    ``ftops.errors``; a PUT is idempotent (same name: the same deployment)."""

    @property
    def description(self) -> str: ...

    @property
    def request_count(self) -> int: ...

    @property
    def mutating_request_count(self) -> int: ...

    def list_deployments(self) -> tuple[ObservedDeployment, ...]:
        """Every deployment of the account, in one listing (paged), whoever made it."""
        ...

    def get_deployment(self, name: str) -> ObservedDeployment | None: ...

    def put_deployment(self, spec: DeploymentSpec) -> ObservedDeployment: ...

    def delete_deployment(self, name: str) -> bool:
        """False when it was already gone."""
        ...

    def close(self) -> None: ...
