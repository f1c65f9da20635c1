"""Benchmark: list 10,000 files from the emulator in one request, through the openai SDK.

    .venv/bin/python -m bench.bench_emulator_listing
    .venv/bin/python -m bench.bench_emulator_listing --files 10000 --rounds 10

Seeds the files straight into the emulator's SQLite store (the listing is what
is measured, not 10,000 uploads), then times ``client.files.list(limit=N)``
end to end: the HTTP request over loopback, the query, the JSON encoding, and
the SDK parsing the page into ``FileObject`` values. Also times the server's
share alone (from its request log), a filtered listing by purpose, and the same
request made with plain httpx (to show what the SDK's parsing costs). Prints the
median and the 95th percentile in milliseconds after one warm-up round.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx2
from openai import OpenAI

from ftops.emulator import EmulatorConfig, RunningEmulator, start_background


def seed(emulator: RunningEmulator, count: int) -> None:
    now = time.time()
    with emulator.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO files (id, filename, purpose, bytes, created_at) VALUES (?, ?, ?, 1234, ?)",
            [
                (f"file-bench{i:08d}", f"dataset-{i}.jsonl", "fine-tune" if i % 2 else "batch", now)
                for i in range(count)
            ],
        )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        emulator = start_background(EmulatorConfig(data_dir=Path(folder)))
        try:
            started = time.perf_counter()
            seed(emulator, args.files)
            print(f"seeded {args.files} files in {(time.perf_counter() - started) * 1000:.0f} ms")
            client = OpenAI(base_url=emulator.base_url, api_key="bench-key", max_retries=0)
            for label, kwargs, expected in (
                ("all files", {}, args.files),
                ("purpose=fine-tune", {"purpose": "fine-tune"}, args.files // 2),
            ):
                totals, server = [], []
                for round_number in range(args.rounds + 1):
                    emulator.clear_requests()
                    started = time.perf_counter()
                    page = client.files.list(limit=10_000, **kwargs)  # type: ignore[arg-type]
                    elapsed = time.perf_counter() - started
                    requests = emulator.requests()
                    assert len(page.data) == min(expected, 10_000) and len(requests) == 1
                    if round_number:  # the first round warms caches and the connection
                        totals.append(elapsed * 1000)
                        server.append(requests[0].duration_s * 1000)
                print(
                    f"list {label:<18} {len(page.data):>6} files, 1 request: SDK end to end median "
                    f"{statistics.median(totals):7.1f} ms, p95 {percentile(totals, 0.95):7.1f} ms; "
                    f"server share median {statistics.median(server):6.1f} ms"
                )
            # Where the SDK's time goes: the same request with plain httpx and json, no models built.
            raw = []
            with httpx2.Client(base_url=emulator.base_url, headers={"Authorization": "Bearer k"}) as http:
                for round_number in range(args.rounds + 1):
                    started = time.perf_counter()
                    body = http.get("/files", params={"limit": 10_000}).json()
                    if round_number:
                        raw.append((time.perf_counter() - started) * 1000)
            print(
                f"list all files, plain httpx + json ({len(body['data'])} files): median "
                f"{statistics.median(raw):7.1f} ms, p95 {percentile(raw, 0.95):7.1f} ms"
            )
            client.close()
        finally:
            emulator.stop()


if __name__ == "__main__":
    main()
