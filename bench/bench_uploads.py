"""Uploads: a 1 GB file through the uploads endpoint in 64 MB parts, to the emulator.

    .venv/bin/python -m bench uploads            # 1 GB, 64 MB parts
    .venv/bin/python -m bench uploads --quick    # 48 MB, 8 MB parts

Three processes, so each memory figure is one program's alone: the emulator
(``ftops emulator serve`` on an ephemeral loopback port), and, one after the other, two
uploading clients started fresh:

1. ftops: ``Provider.upload`` exactly as ``apply`` calls it (parts sent in parallel by its
   worker threads, the bytes checked against the planned SHA-256);
2. the alternative: the ``openai`` SDK's own ``uploads.upload_file_chunked`` (parts one after
   the other), the way a script would do it.

Each client reports its wall time (throughput) and its peak resident memory (ru_maxrss)
before and after the upload: what the upload added is what must stay far below the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Report, peak_rss_mb

MB = 1024 * 1024
LINE = (json.dumps({"messages": [
    {"role": "user", "content": "How large can a training file be?"},
    {"role": "assistant", "content": "Up to 8 GB through the uploads endpoint, in parts of 64 MB."},
]}) + "\n").encode()


def make_file(path: Path, size: int) -> str:
    """A JSONL file of ``size`` bytes or a little less; returns its ``sha256:`` digest."""
    block = LINE * (MB // len(LINE))
    digest = hashlib.sha256()
    with path.open("wb") as out:
        written = 0
        while written + len(block) <= size:
            out.write(block)
            digest.update(block)
            written += len(block)
    return "sha256:" + digest.hexdigest()


def start_emulator(data: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ftops", "emulator", "serve", "--host", "127.0.0.1", "--port", "0",
         "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "ftops emulator listening on http://127.0.0.1:PORT/v1 (...)"
    words = [w for w in first.split() if w.startswith("http://")]
    if not words:
        process.kill()
        raise RuntimeError(f"the emulator did not start: {first!r}")
    return process, words[0]


def _client(url: str, path: Path, mode: str, part_mb: int, digest: str) -> dict[str, float]:
    """Runs in a fresh process: one upload, timed, with this process's memory before and after."""
    os.environ["OPENAI_API_KEY"] = "bench-key"
    from ftops.provider.openai.adapter import OpenAIProvider
    from ftops.provider.openai.client import connect
    from ftops.resources import ProviderConfig

    size = path.stat().st_size
    connection = connect(ProviderConfig(type="openai", base_url=url))
    provider = OpenAIProvider(connection, plain_upload_limit=min(512 * MB, size - 1), part_size=part_mb * MB)
    client = connection.client
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    if mode == "ftops":
        file = provider.upload(path, "bench-upload.jsonl", size, expected_sha256=digest)
        file_bytes = file.bytes
    else:
        upload = client.uploads.upload_file_chunked(
            file=path, mime_type="application/jsonl", purpose="fine-tune", part_size=part_mb * MB
        )
        file_bytes = upload.file.bytes if upload.file is not None else 0
    seconds = time.perf_counter() - started
    if file_bytes != size:
        raise RuntimeError(f"{mode}: the uploaded file has {file_bytes} bytes, not {size}")
    provider.close()
    return {"seconds": seconds, "rss_before_mb": rss_before, "rss_peak_mb": peak_rss_mb(),
            "requests": connection.counter.total}


def _run_client(url: str, path: Path, mode: str, part_mb: int, digest: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_uploads", "--client", url, str(path), mode, str(part_mb), digest],
        capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} upload failed: {done.stderr.strip()[-800:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(quick: bool = False) -> Report:
    size, part_mb = (48 * MB, 8) if quick else (1024 * MB, 64)
    report = Report("uploads", f"Uploads: a {size // MB:,} MB file in {part_mb} MB parts",
                    "python -m bench uploads" + (" --quick" if quick else ""))
    from ftops.provider.openai.uploads import PART_WORKERS

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.jsonl"
        digest = make_file(path, size)
        size = path.stat().st_size
        emulator, url = start_emulator(Path(folder) / "emulator")
        try:
            results = {mode: _run_client(url, path, mode, part_mb, digest) for mode in ("ftops", "sdk")}
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
    for mode, label in (("ftops", f"ftops Provider.upload, {PART_WORKERS} parts at a time"),
                        ("sdk", "openai SDK upload_file_chunked, sequential")):
        r = results[mode]
        added = r["rss_peak_mb"] - r["rss_before_mb"]
        report.row(label, f"{size / MB / r['seconds']:,.0f} MB/s ({r['seconds']:.1f} s, {r['requests']:.0f} "
                   f"requests); peak RSS {r['rss_peak_mb']:,.0f} MB, +{added:,.0f} MB for the upload",
                   **{f"{mode}_seconds": round(r["seconds"], 3),
                      f"{mode}_mb_per_s": round(size / MB / r["seconds"], 1),
                      f"{mode}_rss_peak_mb": round(r["rss_peak_mb"], 1),
                      f"{mode}_rss_added_mb": round(added, 1)})
    ours = results["ftops"]
    added = ours["rss_peak_mb"] - ours["rss_before_mb"]
    report.figures.update(file_mb=round(size / MB, 1), part_mb=part_mb, parallel_parts=PART_WORKERS)
    report.row("ratio", f"ftops {results['sdk']['seconds'] / ours['seconds']:.2f}x the SDK helper's speed; "
               f"memory added {added / (size / MB):.1%} of the file size")
    report.goal("memory stays far below the file size (under a quarter of it)", added < size / MB / 4)
    report.notes.append(
        "Each part is one HTTP body: ftops streams each part from disk (64 KiB at a time), so "
        f"its {PART_WORKERS} workers hold no part in memory; the SDK helper reads each part whole, "
        "one at a time. The emulator is a separate process, its memory not counted."
    )
    return report.finish()


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--client":
        url, file, mode, part, digest = sys.argv[2:]
        print(json.dumps(_client(url, Path(file), mode, int(part), digest)))
    else:
        print(run("--quick" in sys.argv).text())
