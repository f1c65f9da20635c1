"""Together's hardware for dedicated endpoints, as ``GET /v2/public/inference-instance-types``
answers it (``endpoints.hardware.list()`` of the 3.1.1 SDK; no key needed, it is public).

The hourly prices are the emulator's, in the range Together's pricing page showed for dedicated
endpoints per GPU-hour; they are not confirmed against the service from here (no network), and
ftops's own cost table (``ftops.datasets.hosting``) marks them likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ftops.emulator.apierrors import ApiError
from ftops.emulator.together.http import V2_PREFIX


@dataclass(frozen=True, slots=True)
class Hardware:
    id: str
    gpu_type: str
    gpu_count: int
    gpu_memory_gib: int
    price_cents_per_hour: int  # the whole instance, one replica

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.id,
            "description": f"{self.gpu_count}x {self.gpu_type} {self.gpu_memory_gib} GiB",
            "gpuCount": self.gpu_count,
            "gpuMemoryGib": self.gpu_memory_gib,
            "gpuType": self.gpu_type,
            "priceCentsPerHour": self.price_cents_per_hour,
            "regions": [{"name": "us-central-1"}],
        }


HARDWARE: Final = {
    h.id: h
    for h in (
        Hardware("1x_nvidia_l40s_48gb", "nvidia-l40s", 1, 48, 210),
        Hardware("1x_nvidia_a100_80gb_sxm", "nvidia-a100-80gb", 1, 80, 256),
        Hardware("1x_nvidia_h100_80gb_sxm", "nvidia-h100-80gb", 1, 80, 336),
        Hardware("2x_nvidia_h100_80gb_sxm", "nvidia-h100-80gb", 2, 160, 672),
        Hardware("1x_nvidia_h200_140gb_sxm", "nvidia-h200-140gb", 1, 140, 499),
    )
}


async def list_hardware(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [h.body() for h in HARDWARE.values()]})


async def retrieve_hardware(request: Request) -> Response:
    found = HARDWARE.get(request.path_params["id"])
    if found is None:
        raise ApiError(
            404, f"Instance type {request.path_params['id']} not found.", param="id", code="not_found"
        )
    return JSONResponse(found.body())


ROUTES = [
    Route(f"{V2_PREFIX}/public/inference-instance-types", list_hardware, methods=["GET"]),
    Route(f"{V2_PREFIX}/public/inference-instance-types/{{id}}", retrieve_hardware, methods=["GET"]),
]
