"""Issue 17: a listing always ends. A server that answers every list with ``has_more: true``
and the same last id made ``ftops plan`` page forever (about 190,000 requests in ten minutes);
now the plan ends with one error line, having sent no request with a cursor already used."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ftops.errors import PagingError
from ftops.provider.paging import PageGuard, PagingLimits

from .cli_support import make_project, run_cli, scripted_server

FILE = {"id": "file-stuck", "object": "file", "bytes": 3, "created_at": 1, "filename": "x.jsonl",
        "purpose": "fine-tune", "status": "processed"}
JOB = {"id": "ftjob-stuck", "object": "fine_tuning.job", "model": "gpt-4o-mini-2024-07-18", "created_at": 1,
       "status": "succeeded", "training_file": "file-stuck", "metadata": {"ftops_project": "odd"},
       "hyperparameters": {}}


# The server gives in after this many pages of a listing, so that a regression makes these tests
# fail on their counts rather than page forever.
GIVE_IN_AFTER = 50


def endless() -> Callable[[str, dict[str, list[str]]], dict[str, Any]]:
    """A server whose every list says there is more, each page ending with the same id."""
    pages: dict[str, int] = {}

    def answer(path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        pages[path] = pages.get(path, 0) + 1
        more = pages[path] < GIVE_IN_AFTER
        if path.endswith("/files"):
            return {"object": "list", "data": [FILE], "has_more": more, "first_id": FILE["id"],
                    "last_id": FILE["id"]}
        if path.endswith("/fine_tuning/jobs"):
            return {"object": "list", "data": [JOB], "has_more": more}
        return {"object": "list", "data": []}

    return answer


def test_a_plan_against_a_server_whose_cursor_never_advances_ends_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with scripted_server(endless()) as server:
        root = make_project(tmp_path, server.base_url)
        result = run_cli(root, monkeypatch, "plan")
    assert result.code == 1, result.out + result.err
    errors = [line for line in result.err.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: list files: the listing does not end: the cursor did not advance "
                      "(page 2 ended at file-stuck again); stopped"]
    assert "Traceback" not in result.err
    # Two pages: the first, and the one asked after its last id; never the same cursor twice.
    cursors = [tuple(seen.query.get("after", [])) for seen in server.seen]
    assert len(server.seen) == 2
    assert len(cursors) == len(set(cursors))
    assert all(seen.method == "GET" for seen in server.seen)


def test_the_jobs_listing_is_guarded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs_never_end = endless()

    def files_end_jobs_do_not(path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        if path.endswith("/files"):
            return {"object": "list", "data": [FILE], "has_more": False}
        return jobs_never_end(path, query)

    with scripted_server(files_end_jobs_do_not) as server:
        root = make_project(tmp_path, server.base_url)
        result = run_cli(root, monkeypatch, "plan")
    assert result.code == 1
    assert "Error: list jobs: the listing does not end: the cursor did not advance" in result.err
    job_pages = [s for s in server.seen if s.path.endswith("/fine_tuning/jobs")]
    assert [s.query.get("after") for s in job_pages] == [None, ["ftjob-stuck"]]


def test_a_page_of_ids_already_listed_stops_the_listing() -> None:
    guard = PageGuard("list files", PagingLimits())
    assert guard.next_cursor(["file-a", "file-b"], has_more=True) == "file-b"
    with pytest.raises(PagingError, match="page 2 repeats ids already listed"):
        guard.next_cursor(["file-b", "file-a"], has_more=True)  # the cursor moved, the ids did not


def test_pages_and_time_are_bounded() -> None:
    guard = PageGuard("list jobs", PagingLimits(max_pages=3))
    assert guard.next_cursor(["a"], has_more=True) == "a"
    assert guard.next_cursor(["b"], has_more=True) == "b"
    with pytest.raises(PagingError, match=r"still more after 3 pages \(at most 3\)"):
        guard.next_cursor(["c"], has_more=True)

    now = [0.0]
    timed = PageGuard("list jobs", PagingLimits(max_seconds=60), clock=lambda: now[0])
    assert timed.next_cursor(["a"], has_more=True) == "a"
    now[0] = 61.0
    with pytest.raises(PagingError, match="still more after 61 s and 2 pages"):
        timed.next_cursor(["b"], has_more=True)


def test_a_listing_that_ends_is_not_disturbed() -> None:
    guard = PageGuard("list files", PagingLimits(max_pages=2))
    assert guard.next_cursor(["a"], has_more=True) == "a"
    assert guard.next_cursor(["b"], has_more=False) is None  # the last page may be the bound
    assert PageGuard("x", PagingLimits()).next_cursor([], has_more=True) is None  # empty: done
