"""A new user's first hour (issue 17, item 3), as real processes: a rehearsal on the embedded
emulator keeps its state apart, and every command that reads the real state says where the
rehearsal's is and how to see it; ``init``'s next step is that rehearsal."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from .conftest import run_piped

NOTE = ("The rehearsal's state (--provider emulator) is kept apart, in .ftops/emulator/ftops.state.json: "
        "add --provider emulator to see it.")


def test_after_a_rehearsal_the_real_state_commands_point_at_it(example: Path) -> None:
    before = run_piped(example, "output", "chunsik")
    assert before.code == 1 and "points at no model in the state" in before.err
    assert "rehearsal" not in before.err  # no rehearsal yet: nothing to point at

    rehearsal = run_piped(example, "apply", "--provider", "emulator", "--auto-approve", "--wait")
    assert rehearsal.code == 0, rehearsal.out + rehearsal.err

    empty_but_fine = [("output",), ("state", "list"), ("status",)]
    for args in empty_but_fine:
        result = run_piped(example, *args)
        assert result.code == 0, (args, result.err)
        assert NOTE in result.err, (args, result.err)
    refused = [("output", "chunsik"), ("chat", "chunsik", "Who is Chunsik?"), ("metrics", "jobs.chunsik"),
               ("metrics", "models.chunsik"), ("state", "show", "models.chunsik")]
    for args in refused:
        result = run_piped(example, *args)
        assert result.code == 1, (args, result.err)
        assert result.err.count("Error:") == 1 and "Traceback" not in result.err
        assert NOTE in result.err, (args, result.err)

    # The hint is true: with --provider emulator the same commands find the rehearsal.
    shown = run_piped(example, "output", "chunsik", "--provider", "emulator")
    assert shown.code == 0 and shown.out.startswith("ft:gpt-4.1-mini-2025-04-14:"), shown.err
    assert NOTE not in shown.err


def test_init_suggests_a_rehearsal_that_works(tmp_path: Path) -> None:
    created = run_piped(tmp_path, "init", "demo")
    assert created.code == 0, created.err
    suggested = re.search(r"(ftops apply --provider emulator \S.*)$", created.out, flags=re.M)
    assert suggested is not None, created.out
    rehearsal = run_piped(tmp_path / "demo", *shlex.split(suggested.group(1))[1:])
    assert rehearsal.code == 0, rehearsal.out + rehearsal.err
    assert "Apply complete" in rehearsal.out
