"""Benchmark of the state backends: lock acquire + release, read, write, for a state of
1,000 resources, on each backend.

    .venv/bin/python -m bench.bench_state              # local, s3 (moto), postgres
    .venv/bin/python -m bench.bench_state --rounds 20 --backends local,postgres

Where the stores come from: the local backend writes in a temporary folder; S3 is
moto's server on loopback (so its figures measure moto's Python S3 emulation and
boto3, not AWS); PostgreSQL is a real server started in a temporary data folder
(``initdb``/``pg_ctl``, as in the tests; ``fsync=off``, so writes do not wait for
the disk). Set ``FTOPS_PG_CONN`` to measure an existing PostgreSQL instead.

Each operation is timed ``--rounds`` times after one warm-up; the median and the
95th percentile are printed in milliseconds. Every write changes one record, so
each one really stores a new version (and, on PostgreSQL, a history row).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ftops.resources import BackendConfig
from ftops.state import BaseStorage, new_snapshot, open_storage

# The test helpers that start moto's server and a PostgreSQL server.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "state"))

RESOURCES = 1000


def sample_resources(count: int) -> dict[str, Any]:
    """Records shaped like the core's: ids, hashes, statuses, a little metadata."""
    resources: dict[str, Any] = {}
    for i in range(count):
        kind = ("datasets", "jobs", "models")[i % 3]
        resources[f"{kind}.r{i:04d}"] = {
            "id": f"obj-{i:08d}abcdef",
            "sha256": f"{i:064x}",
            "status": "succeeded",
            "created_at": 1767225600 + i,
            "inputs": {"model": "gpt-4.1-mini-2025-04-14", "hash": f"{i * 7:064x}"},
            "metadata": {"team": "search", "ticket": f"ML-{i}"},
        }
    return resources


def timed(rounds: int, operation: Callable[[int], object]) -> list[float]:
    operation(-1)  # warm-up: connections, imports, table creation
    samples = []
    for round_number in range(rounds):
        start = time.perf_counter()
        operation(round_number)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(backend: str, what: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{backend:9} {what:24} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms")


def bench_backend(name: str, storage: BaseStorage, rounds: int) -> None:
    state = storage.write(new_snapshot("bench").with_resources(sample_resources(RESOURCES)))
    size = len(state.to_text().encode())

    def lock_cycle(_: int) -> None:
        storage.unlock(storage.lock("bench").id)

    def read(_: int) -> None:
        # As a new process reads it: a storage skips the parse of bytes it last wrote or read.
        storage._known = None
        storage.read()

    def write(round_number: int) -> None:
        nonlocal state
        resources = dict(state.resources)
        resources["jobs.r0001"] = {"id": "obj", "status": f"round {round_number}"}
        state = storage.write(state.with_resources(resources))

    print(f"{name:9} state of {RESOURCES} resources, {size / 1024:.0f} KiB as stored")
    report(name, "lock acquire + release", timed(rounds, lock_cycle))
    report(name, "read (parse + check)", timed(rounds, read))
    report(name, "write (changed content)", timed(rounds, write))
    storage.close()


@contextmanager
def local_storage() -> Iterator[BaseStorage]:
    with tempfile.TemporaryDirectory() as folder:
        yield open_storage(BackendConfig(), Path(folder))


@contextmanager
def s3_storage() -> Iterator[BaseStorage]:
    import boto3
    from s3_server import SerializedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    server = SerializedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="ftops-bench")
        client.put_bucket_versioning(Bucket="ftops-bench", VersioningConfiguration={"Status": "Enabled"})
        client.close()
        options = {"bucket": "ftops-bench", "region": "us-east-1", "endpoint_url": endpoint}
        yield open_storage(BackendConfig(type="s3", options=options), Path("."))
    finally:
        server.stop()


@contextmanager
def postgres_storage() -> Iterator[BaseStorage]:
    server = None
    if not os.environ.get("FTOPS_PG_CONN"):
        from pg_server import start_postgres

        server = start_postgres()
        os.environ["FTOPS_PG_CONN"] = server.conninfo
    try:
        options = {"schema": "ftops_bench", "name": f"bench{os.getpid()}"}
        yield open_storage(BackendConfig(type="postgres", options=options), Path("."))
    finally:
        if server is not None:
            server.stop()


BACKENDS = {"local": local_storage, "s3": s3_storage, "postgres": postgres_storage}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    for name in args.backends.split(","):
        with BACKENDS[name]() as storage:
            bench_backend(name, storage, args.rounds)


if __name__ == "__main__":
    main()
