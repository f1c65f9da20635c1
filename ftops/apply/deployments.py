"""Carry out deployments (Azure): create or update one by name and wait until it answers, delete
one, and route a model's chats through the deployment that serves it.

Every create is a PUT by a name that is a pure function of the model
(``ftops.provider.deployments.deployment_name``): an intent is journaled before it, and a
repeated PUT after a crash or a lost answer updates the same deployment, so a name never gets a
second one. A deployment is recorded on its model name's record once it answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from ftops.apply.journal import StateJournal, now_iso
from ftops.apply.progress import Reporter
from ftops.errors import ProviderError, UsageError
from ftops.plan import bookkeeping
from ftops.plan.model import DeleteDeployment, Deploy, DeploymentTarget
from ftops.plan.records import DeploymentRecord, pending_key, read_records, with_record, without
from ftops.provider import Provider
from ftops.provider.deployments import (
    DeploymentManager,
    DeploymentPhase,
    DeploymentSpec,
    ObservedDeployment,
    deployment_name,
)
from ftops.provider.types import ChatReply

# How long a deployment may take to answer before the apply gives up on waiting (it keeps
# provisioning; the next plan sees it).
READY_TIMEOUT_S = 30 * 60.0

Resources = Mapping[str, Any]


def _name(address: str) -> str:
    return address.split(".", 1)[1]


def record_deployment(resources: Resources, address: str, record: DeploymentRecord | None) -> dict[str, Any]:
    """``address``'s record now names ``record`` as its deployment (None: none); its intent goes."""
    current = read_records(resources).models.get(_name(address))
    out = without(resources, pending_key(address))
    if current is None:
        return out
    return with_record(out, address, replace(current, deployment=record))


def forget_deployment(resources: Resources, address: str, name: str) -> dict[str, Any]:
    """A deleted deployment leaves the record that named it."""
    current = read_records(resources).models.get(_name(address))
    if current is None or current.deployment is None or current.deployment.name != name:
        return dict(resources)
    return with_record(resources, address, replace(current, deployment=None))


@dataclass
class ChatRoutes:
    """Which deployment answers for which model id: the checks, the gate and ``chat`` ask a
    model id, and on Azure the request must name a deployment."""

    routes: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, model_id: str, deployment: str) -> None:
        with self._lock:
            self.routes[model_id] = deployment

    def target(self, model_id: str) -> str:
        with self._lock:
            return self.routes.get(model_id, model_id)


class _Routed:
    """A provider whose chats go through ``routes``; everything else is the provider's own."""

    def __init__(self, inner: Provider, routes: ChatRoutes) -> None:
        self._inner = inner
        self._routes = routes

    def chat(self, model: str, messages: Sequence[Mapping[str, Any]]) -> str:
        return self._inner.chat(self._routes.target(model), messages)

    def complete(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        return self._inner.complete(self._routes.target(model), messages, tools=tools, options=options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def routed(provider: Provider, routes: ChatRoutes) -> Provider:
    return cast(Provider, _Routed(provider, routes))


@dataclass
class Deployer:
    manager: DeploymentManager
    journal: StateJournal
    reporter: Reporter
    project: str
    routes: ChatRoutes
    poll_interval_s: float = 5.0
    stop: threading.Event | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time

    def deploy(self, step: Deploy) -> None:
        """The name's current model, deployed (created, recreated or rescaled) and recorded."""
        record = self._put(
            step.address,
            DeploymentSpec(step.name, step.model_id, step.sku, step.capacity, self.project, step.address),
        )
        self.journal.update(lambda r: record_deployment(r, step.address, record))
        self.reporter.line(f"{step.address}: deployment {step.name} serves {step.model_id}")

    def delete(self, step: DeleteDeployment) -> None:
        gone = self.manager.delete_deployment(step.name)
        self.journal.update(lambda r: forget_deployment(r, step.address, step.name))
        self.reporter.line(
            f"{step.address}: deleted deployment {step.name}{'' if gone else ' (already gone)'}"
        )

    def candidate(self, address: str, target: DeploymentTarget, model_id: str) -> DeploymentRecord:
        """A promotion's new model, deployed before its checks; its chats go through it from now."""
        name = deployment_name(target.prefix, model_id)
        record = self._put(
            address, DeploymentSpec(name, model_id, target.sku, target.capacity, self.project, address)
        )
        self.routes.set(model_id, name)
        self.reporter.line(f"{address}: deployed {model_id} as {name}, for its checks")
        return record

    def withdraw(self, address: str, record: DeploymentRecord) -> None:
        """A candidate that was refused (checks or gate): its deployment costs by the hour, so it
        goes at once, unless it is the one the name already uses."""
        current = self.journal.records().models.get(_name(address))
        if current is not None and current.deployment is not None and current.deployment.name == record.name:
            return
        self.manager.delete_deployment(record.name)
        self.journal.update(lambda r: without(r, pending_key(address)))
        self.reporter.line(f"{address}: deleted deployment {record.name} of the refused candidate")

    def retire(self, address: str, previous: DeploymentRecord | None, kept: str) -> None:
        """After the name moved: the previous deployment goes (before any prune of its model)."""
        if previous is None or previous.name == kept:
            return
        gone = self.manager.delete_deployment(previous.name)
        self.reporter.line(
            f"{address}: deleted previous deployment {previous.name}{'' if gone else ' (already gone)'}"
        )

    def _put(self, address: str, spec: DeploymentSpec) -> DeploymentRecord:
        self.journal.update(
            lambda r: bookkeeping.note_pending(r, address, "deployment", spec.name, now_iso())
        )
        observed = self.manager.put_deployment(spec)
        ready = self._wait_ready(address, observed)
        created = ready.created_at if ready.created_at is not None else int(self.clock())
        return DeploymentRecord(spec.name, spec.model_id, spec.sku, spec.capacity, created)

    def _wait_ready(self, address: str, observed: ObservedDeployment) -> ObservedDeployment:
        deadline = self.clock() + READY_TIMEOUT_S
        current: ObservedDeployment | None = observed
        while current is not None and current.phase is DeploymentPhase.CREATING:
            if self.clock() > deadline:
                raise ProviderError(
                    f"{address}: deployment {observed.name} is still {current.state} after "
                    f"{READY_TIMEOUT_S / 60:.0f} minutes",
                    hint="Apply again later: it is found by its name, never made twice.",
                )
            if self.stop is not None and self.stop.wait(self.poll_interval_s):
                raise UsageError(f"{address}: stopped while deployment {observed.name} was provisioning")
            if self.stop is None:
                self.sleep(self.poll_interval_s)
            current = self.manager.get_deployment(observed.name)
        if current is None:
            raise ProviderError(f"{address}: deployment {observed.name} disappeared while provisioning")
        if current.phase is not DeploymentPhase.SUCCEEDED:
            raise ProviderError(
                f"{address}: deployment {observed.name} of {observed.model_id}: provisioning {current.state}",
                hint="The service's message is in the account's activity log.",
            )
        return current
