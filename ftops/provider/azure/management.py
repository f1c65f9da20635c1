"""Azure's management plane (ARM) for model deployments: ``PUT/GET/DELETE .../accounts/{account}/
deployments/{name}`` and the account's listing, with an Entra token for
``https://management.azure.com``.

Why plain HTTP and not ``azure-mgmt-cognitiveservices``: ftops needs four calls whose shapes are
small and published (ARM 2025-06-01), and it must decide itself what is retried (a PUT by name
is idempotent, so it is retried like a read: the same name is the same deployment) and poll
``provisioningState`` on its own schedule; the SDK would add a large dependency with its own
poller and retry policy for no gain. The token comes from ``azure-identity`` (the standard
chain), which is the part worth not writing: service principals, workload identity federation
in CI, managed identity, ``az login``.

Where the token comes from is the composition root's choice (``token_source``): an explicit
token in ``AZURE_MANAGEMENT_TOKEN`` (e.g. ``az account get-access-token``), else
``DefaultAzureCredential``. Nothing here knows about the emulator: it is one more endpoint
that takes any bearer token.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

import httpx2

from ftops.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ServiceError,
    UsageError,
)
from ftops.provider.deployments import (
    TAG_MODEL,
    TAG_PROJECT,
    TAG_RESOURCE,
    DeploymentPhase,
    DeploymentSpec,
    ObservedDeployment,
)
from ftops.provider.retry import retry_after_seconds
from ftops.resources import ProviderConfig
from ftops.secrets import redact

ARM_ENDPOINT: Final = "https://management.azure.com"
ARM_SCOPE: Final = "https://management.azure.com/.default"
ARM_API_VERSION: Final = "2025-06-01"
TOKEN_ENV: Final = "AZURE_MANAGEMENT_TOKEN"
_TRIES: Final = 4
_MAX_WAIT_S: Final = 30.0
_PHASES: Final = {
    "accepted": DeploymentPhase.CREATING,
    "creating": DeploymentPhase.CREATING,
    "moving": DeploymentPhase.CREATING,
    "succeeded": DeploymentPhase.SUCCEEDED,
    "failed": DeploymentPhase.FAILED,
    "canceled": DeploymentPhase.FAILED,
    "disabled": DeploymentPhase.FAILED,
    "deleting": DeploymentPhase.DELETING,
}

TokenSource = Callable[[], str]


def static_token(token: str) -> TokenSource:
    """A token given as it is (``AZURE_MANAGEMENT_TOKEN``; an emulator takes any)."""
    return lambda: token


def credential_chain() -> TokenSource:
    """``DefaultAzureCredential``'s token for ARM, renewed five minutes before it expires."""
    from ftops.extras import require

    require("azure.identity", "azure", "deploying models on Azure (models.<name>.deployment)")
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential()
    lock = threading.Lock()
    held: list[Any] = []

    def token() -> str:
        with lock:
            if not held or held[0].expires_on - 300 < time.time():
                try:
                    held[:] = [credential.get_token(ARM_SCOPE)]
                except Exception as error:  # azure-identity raises its own ClientAuthenticationError
                    raise AuthenticationError(
                        f"no Azure credential for the management plane: {redact(str(error)).splitlines()[0]}",
                        hint="Sign in (az login), set a service principal (AZURE_CLIENT_ID, "
                        f"AZURE_TENANT_ID, AZURE_CLIENT_SECRET) or workload identity, or set {TOKEN_ENV}.",
                    ) from None
            return str(held[0].token)

    return token


def token_source() -> TokenSource:
    token = os.environ.get(TOKEN_ENV, "").strip()
    return static_token(token) if token else credential_chain()


@dataclass(frozen=True, slots=True)
class Account:
    """Which account's deployments: from the provider block, else ``AZURE_*`` variables."""

    endpoint: str
    subscription_id: str
    resource_group: str
    account_name: str

    @property
    def path(self) -> str:
        return (
            f"/subscriptions/{quote(self.subscription_id)}/resourceGroups/{quote(self.resource_group)}"
            f"/providers/Microsoft.CognitiveServices/accounts/{quote(self.account_name)}/deployments"
        )


def account_of(config: ProviderConfig) -> Account:
    def pick(value: str | None, env: str) -> str:
        return (value or os.environ.get(env, "")).strip()

    subscription = pick(config.subscription_id, "AZURE_SUBSCRIPTION_ID")
    group = pick(config.resource_group, "AZURE_RESOURCE_GROUP")
    account = pick(config.account_name, "AZURE_OPENAI_ACCOUNT")
    missing = [
        name
        for name, value in (
            ("subscription_id (AZURE_SUBSCRIPTION_ID)", subscription),
            ("resource_group (AZURE_RESOURCE_GROUP)", group),
            ("account_name (AZURE_OPENAI_ACCOUNT)", account),
        )
        if not value
    ]
    if missing:
        raise UsageError(
            "deployments on Azure need the account's "
            + ", ".join(missing)
            + " in the provider block or the environment",
            hint="They name the Azure OpenAI resource in the management plane; none is a secret.",
        )
    endpoint = config.management_endpoint or os.environ.get("AZURE_MANAGEMENT_ENDPOINT") or ARM_ENDPOINT
    return Account(endpoint.rstrip("/"), subscription, group, account)


@dataclass
class AzureDeployments:
    """``DeploymentManager`` over ARM."""

    account: Account
    token: TokenSource
    project: str
    pause: Callable[[float], None] = time.sleep
    _client: httpx2.Client = field(
        default_factory=lambda: httpx2.Client(timeout=httpx2.Timeout(60.0, connect=10.0))
    )
    _requests: int = 0
    _mutating: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def description(self) -> str:
        return f"azure management {self.account.endpoint} account {self.account.account_name}"

    @property
    def request_count(self) -> int:
        return self._requests

    @property
    def mutating_request_count(self) -> int:
        return self._mutating

    def close(self) -> None:
        self._client.close()

    def list_deployments(self) -> tuple[ObservedDeployment, ...]:
        found: list[ObservedDeployment] = []
        url: str | None = f"{self.account.endpoint}{self.account.path}?api-version={ARM_API_VERSION}"
        seen: set[str] = set()
        while url is not None and url not in seen:
            seen.add(url)
            body = self._send("GET", url, "list deployments").json()
            found.extend(_observed(item) for item in body.get("value") or ())
            url = body.get("nextLink") or None
        return tuple(sorted(found, key=lambda d: d.name))

    def get_deployment(self, name: str) -> ObservedDeployment | None:
        response = self._send("GET", self._url(name), f"get deployment {name}", missing_ok=True)
        return None if response.status_code == 404 else _observed(response.json())

    def put_deployment(self, spec: DeploymentSpec) -> ObservedDeployment:
        body = {
            "sku": {"name": spec.sku, "capacity": spec.capacity},
            "tags": {TAG_PROJECT: spec.project, TAG_RESOURCE: spec.resource, TAG_MODEL: spec.model_id},
            "properties": {
                "model": {"format": "OpenAI", "name": spec.model_id, "version": "1"},
                "versionUpgradeOption": "NoAutoUpgrade",
            },
        }
        response = self._send(
            "PUT", self._url(spec.name), f"deploy {spec.model_id} as {spec.name}", json=body
        )
        return _observed(response.json())

    def delete_deployment(self, name: str) -> bool:
        response = self._send("DELETE", self._url(name), f"delete deployment {name}", missing_ok=True)
        return response.status_code not in (204, 404)

    def _url(self, name: str) -> str:
        return f"{self.account.endpoint}{self.account.path}/{quote(name)}?api-version={ARM_API_VERSION}"

    def _send(
        self, method: str, url: str, what: str, *, json: Any = None, missing_ok: bool = False
    ) -> httpx2.Response:
        """Every ARM call here is idempotent (a PUT by name included): 429, 5xx and connection
        trouble are tried again, with backoff and ``Retry-After``."""
        for attempt in range(1, _TRIES + 1):
            with self._lock:
                self._requests += 1
                self._mutating += method != "GET"
            try:
                response = self._client.request(
                    method, url, json=json, headers={"Authorization": f"Bearer {self.token()}"}
                )
            except httpx2.TransportError as error:
                if attempt == _TRIES:
                    raise ServiceError(
                        f"{what}: {redact(str(error)) or type(error).__name__}, still failing after retries"
                    ) from None
                self.pause(min(_MAX_WAIT_S, 0.5 * 2**attempt))
                continue
            status = response.status_code
            if (status == 429 or status >= 500) and attempt < _TRIES:
                self.pause(min(_MAX_WAIT_S, retry_after_seconds(response.headers) or 0.5 * 2**attempt))
                continue
            if status < 400 or (missing_ok and status == 404):
                return response
            raise _error(what, response)
        raise AssertionError("unreachable")  # pragma: no cover


def _error(what: str, response: httpx2.Response) -> ProviderError:
    try:
        error = response.json().get("error") or {}
        detail = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except ValueError:
        detail = response.text[:200]
    line = f"{what}: {redact(detail) or response.reason_phrase} (HTTP {response.status_code})"
    if response.status_code == 401:
        return AuthenticationError(
            line,
            status=401,
            hint=f"Check the Azure credential ({TOKEN_ENV}, or the "
            "DefaultAzureCredential chain: az login, a service principal, workload identity).",
        )
    if response.status_code == 403:
        return PermissionDeniedError(
            line,
            status=403,
            hint="Deploying needs the Cognitive Services Contributor role (or Owner) on the account.",
        )
    if response.status_code == 404:
        return NotFoundError(
            line, status=404, hint="Check provider.subscription_id, resource_group and account_name."
        )
    return ProviderError(line, status=response.status_code)


def _observed(item: dict[str, Any]) -> ObservedDeployment:
    properties = item.get("properties") or {}
    sku = item.get("sku") or {}
    tags = item.get("tags") or {}
    state = str(properties.get("provisioningState") or "Succeeded")
    created = (item.get("systemData") or {}).get("createdAt")
    return ObservedDeployment(
        name=str(item.get("name", "")),
        model_id=str((properties.get("model") or {}).get("name", "")),
        sku=str(sku.get("name", "")),
        capacity=int(sku.get("capacity") or 0),
        phase=_PHASES.get(state.lower(), DeploymentPhase.CREATING),
        state=state,
        created_at=_unix(created) if isinstance(created, str) else None,
        project=tags.get(TAG_PROJECT),
        resource=tags.get(TAG_RESOURCE),
    )


def _unix(text: str) -> int | None:
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def connect(config: ProviderConfig, project: str, token: TokenSource | None = None) -> AzureDeployments:
    """The deployments of the account ``config`` names; ``token``: the composition root's choice,
    else ``token_source()``."""
    account = account_of(config)
    return AzureDeployments(account, token or token_source(), project)
